"""Feeds read by real clients: Debian newsboat over HTTP (checked through its SQLite cache) and headless Chromium."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import TRICKY_TITLE

from publisher import feeds, pipeline
from publisher.config import Config
from publisher.store import Store

NEWSBOAT = shutil.which("newsboat")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The feeds folder over HTTP on 127.0.0.1 (a random free port), like a plain static web server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def newsboat_read(url: str, work: Path, tz: str = "UTC") -> tuple[str, list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Run newsboat headless on one feed with private config, urls and cache (in timezone `tz`); return
    (stdout, feeds, items)."""
    work.mkdir()
    (work / "config").write_text("")
    (work / "urls").write_text(url + "\n")
    cache = work / "cache.db"
    proc = subprocess.run(
        [
            str(NEWSBOAT),
            "-C",
            str(work / "config"),
            "-u",
            str(work / "urls"),
            "-c",
            str(cache),
            "-x",
            "reload",
            "print-unread",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(work), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": tz},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with contextlib.closing(sqlite3.connect(cache)) as db:
        feeds_rows = db.execute("SELECT rssurl, title, url FROM rss_feed").fetchall()
        items = db.execute(
            "SELECT guid, title, url, pubDate, content, author FROM rss_item ORDER BY pubDate DESC, id"
        ).fetchall()
    return proc.stdout, feeds_rows, items


@pytest.mark.skipif(NEWSBOAT is None, reason="newsboat is not installed (scripts/test.sh installs it)")
@pytest.mark.parametrize("name", ["all.atom", "all.rss", "topics/border-management.rss", "projects/quiet-project.atom"])
def test_newsboat_reads_every_entry(cfg: Config, feed_store: Store, tmp_path: Path, name: str) -> None:
    feeds.build(cfg, feed_store)
    info = next(i for i in feeds.list_feeds(cfg, feed_store) if cfg.feeds.dir / name in i.paths.values())
    expected = feedparser.parse((cfg.feeds.dir / name).read_bytes()).entries
    with serve(cfg.feeds.dir) as base:
        out, feed_rows, items = newsboat_read(base + name, tmp_path / "nb")
    assert f"{len(expected)} unread articles" in out
    assert [(r[0], r[1]) for r in feed_rows] == [(base + name, info.title)]
    # newsboat orders by date only; release-2 and -3 share a day, so compare as sets and dates as a sequence.
    assert {(i[0], i[1], i[2]) for i in items} == {(e.id, e.title, e.link) for e in expected}
    assert [i[3] for i in items] == sorted(
        (int(dt.datetime(*e.published_parsed[:6], tzinfo=dt.UTC).timestamp()) for e in expected), reverse=True
    )
    for guid, title, _url, _date, content, _author in items:
        assert "<script" not in content.lower() and "<img" not in content.lower(), guid
        if guid.endswith("release-2"):
            assert title == TRICKY_TITLE  # non-ASCII, quotes, & and <script> shown as text
            assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in content


@pytest.mark.browser
def test_chromium_shows_release_text_as_text_and_index_links_resolve(cfg: Config, feed_store: Store) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    pipeline.build_feeds(cfg, feed_store)  # the feeds and the site pages the feed index links to
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto((cfg.feeds.dir / "news" / "release-2.html").as_uri())
            assert page.locator("h1").inner_text() == TRICKY_TITLE
            assert page.evaluate("document.scripts.length") == 0
            assert page.evaluate("document.images.length") == 0
            body_text = page.locator("article").inner_text()
            assert '<script>alert("body")</script>' in body_text and "Grüße aus Wien" in body_text
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            assert not [h for h in hrefs if h.startswith("javascript:")]

            page.goto((cfg.feeds.dir / "feeds" / "index.html").as_uri())
            alternates = page.eval_on_selector_all("link[rel=alternate]", "els => els.map(e => e.href)")
            anchors = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            assert len(alternates) == 2 * len(feeds.list_feeds(cfg, feed_store))
            for href in {*alternates, *anchors}:
                assert href.startswith("file://"), href
                target = Path(href.removeprefix("file://"))
                if target.name == "subscribe":
                    continue  # the subscribe form is a route of `publisher serve`, not a file
                assert (target / "index.html" if href.endswith("/") else target).is_file(), href
            assert dialogs == []
        finally:
            browser.close()
