"""Feeds that push and a third format: WebSub hub links and publish pings (a hub on 127.0.0.1), JSON Feed 1.1."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import feedparser
from sqlalchemy import update

from publisher import feeds
from publisher.config import Config
from publisher.models import Release
from publisher.store import Store

FORMATS = ("atom", "rss", "json")


@contextlib.contextmanager
def hub(status: int = 204) -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A WebSub hub on 127.0.0.1 that records every publish request (form fields) and answers `status`."""
    seen: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            assert self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            seen.append(parse_qs(self.rfile.read(length).decode("ascii")))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hub", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _with(cfg: Config, **feeds_kw: Any) -> Config:
    return dataclasses.replace(cfg, feeds=dataclasses.replace(cfg.feeds, formats=FORMATS, **feeds_kw))


def _pinged(seen: list[dict[str, list[str]]]) -> list[str]:
    assert all(s["hub.mode"] == ["publish"] and len(s["hub.url"]) == 1 for s in seen)
    return sorted(s["hub.url"][0] for s in seen)


def test_every_feed_links_the_hub_and_itself_and_a_build_pings_exactly_the_changed_feeds(
    cfg: Config, feed_store: Store
) -> None:
    with hub() as (hub_url, seen):
        c = _with(cfg, websub_hub=hub_url)
        first = feeds.build(c, feed_store)
        infos = feeds.list_feeds(c, feed_store)
        every = sorted(u for i in infos for u in i.urls.values())
        assert _pinged(seen) == first.pinged == every and not first.ping_errors
        for info in infos:
            for fmt, path in info.paths.items():
                if fmt == "json":
                    doc = json.loads(path.read_bytes())
                    assert doc["hubs"] == [{"type": "WebSub", "url": hub_url}]
                    assert doc["feed_url"] == info.urls["json"]
                    continue
                d = feedparser.parse(path.read_bytes())
                rels = {(ln.rel, ln.href) for ln in d.feed.links}
                assert ("hub", hub_url) in rels and ("self", info.urls[fmt]) in rels, path

        seen.clear()
        again = feeds.build(c, feed_store)
        assert seen == [] and again.pinged == [] and not again.changed

        with feed_store.session() as s:
            s.execute(
                update(Release)
                .where(Release.id == 3)
                .values(
                    title="Labour migration study (updated)", content_hash="h3c", updated_at=dt.datetime.now(dt.UTC)
                )
            )
        edit = feeds.build(c, feed_store)
        written = sorted(
            c.site.url(p.relative_to(c.feeds.dir).as_posix())
            for p in edit.written
            if p.suffix in (".atom", ".rss", ".json")
        )
        assert _pinged(seen) == edit.pinged == written
        assert c.site.url("all.json") in written and c.site.url("topics/trafficking.atom") not in written


def test_a_failing_hub_costs_only_the_push(cfg: Config, feed_store: Store) -> None:
    with hub(status=500) as (hub_url, seen):
        summary = feeds.build(_with(cfg, websub_hub=hub_url), feed_store)
    assert seen and summary.written and summary.pinged == []
    assert len(summary.ping_errors) == len(seen) and "500" in summary.ping_errors[0]
    assert "hub pings failed" in summary.describe()


def test_no_hub_no_hub_links_and_no_pings(cfg: Config, feed_store: Store) -> None:
    summary = feeds.build(_with(cfg), feed_store)
    assert summary.pinged == []
    assert b'rel="hub"' not in (cfg.feeds.dir / "all.atom").read_bytes()
    assert "hubs" not in json.loads((cfg.feeds.dir / "all.json").read_bytes())


def test_json_feed_carries_the_same_entries_as_atom_with_autodiscovery(cfg: Config, feed_store: Store) -> None:
    c = _with(cfg)
    feeds.build(c, feed_store)
    doc = json.loads((c.feeds.dir / "all.json").read_bytes())
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == c.site.url("all.json") and doc["home_page_url"].startswith(c.site.base_url)
    atom = feedparser.parse((c.feeds.dir / "all.atom").read_bytes())
    assert [i["id"] for i in doc["items"]] == [e.id for e in atom.entries]
    for item, entry in zip(doc["items"], atom.entries, strict=True):
        assert item["url"] == entry.link and item["title"] == entry.title
        assert dt.datetime.fromisoformat(item["date_published"]) == dt.datetime.fromisoformat(entry.published)
        assert dt.datetime.fromisoformat(item["date_modified"]) == dt.datetime.fromisoformat(entry.updated)
        assert item["content_html"] == entry.content[0].value
    # JSON Feed 1.1's musts: version, title, items; each item a string id and content_html or content_text.
    assert isinstance(doc["title"], str) and all(isinstance(i["id"], str) and i["content_html"] for i in doc["items"])
    index = (c.feeds.dir / "feeds" / "index.html").read_text("utf-8")  # the feed table, one folder down
    page = (c.feeds.dir / "news" / "release-2.html").read_text("utf-8")
    assert '<link rel="alternate" type="application/feed+json" title="ICMPD News (JSON)" href="../all.json">' in index
    assert 'type="application/feed+json"' in page and 'href="../all.json"' in page
    assert feeds.build(c, feed_store).written == []  # byte-identical rebuild
