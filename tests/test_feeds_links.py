"""Links follow site.base_url: the store keeps a source's own URL or nothing, outputs join paths when they are built."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import feedparser
from sqlalchemy import select, text

from publisher import pipeline
from publisher.config import Config
from publisher.feeds.model import site_link
from publisher.models import Release
from publisher.store import Store

OLD = "https://news.example.org/"
NEW = "https://press.example.net/archive/"
_HREF = re.compile(r'(?:href|src)="(https?://[^"]+)"')


def _rebased(cfg: Config, base_url: str) -> Config:
    return dataclasses.replace(cfg, site=dataclasses.replace(cfg.site, base_url=base_url))


def _all_links(folder: Path) -> list[tuple[str, str]]:
    """(file, absolute URL) for every link in every feed, OPML list and page of a feeds folder."""
    out: list[tuple[str, str]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if path.suffix in (".atom", ".rss"):
            d = feedparser.parse(data)
            out += [(rel, ln.href) for ln in d.feed.get("links", [])]
            out += [(rel, ln.href) for e in d.entries for ln in e.get("links", [])]
            out += [(rel, t.scheme) for e in d.entries for t in e.get("tags", []) if t.get("scheme")]
            out += [(rel, u) for e in d.entries for c in e.get("content", []) for u in _HREF.findall(c.value)]
        else:
            out += [(rel, u) for u in re.findall(r'(?:href|src|xmlUrl|htmlUrl)="(https?://[^"]+)"', data.decode())]
    return out


def test_ingest_stores_no_url_under_the_base_url(cfg: Config, ingested: Store) -> None:
    with ingested.session() as s:
        urls = list(s.scalars(select(Release.url)))
    assert len(urls) == 25
    assert not [u for u in urls if u.startswith(OLD) or "127.0.0.1" in u]


def test_a_new_base_url_moves_every_link_on_the_next_build(cfg: Config, ingested: Store) -> None:
    pipeline.build_feeds(cfg, ingested)
    before = _all_links(cfg.feeds.dir)
    assert [u for _, u in before if u.startswith(OLD)]  # the check below looks at real links

    moved = _rebased(cfg, NEW)
    summary = pipeline.build_feeds(moved, ingested)  # not --full: the changed setting makes everything stale
    assert summary.written
    after = _all_links(moved.feeds.dir)
    stale = [(f, u) for f, u in after if u.startswith(OLD)]
    assert stale == []
    assert [u for _, u in after if u.startswith(NEW)]
    d = feedparser.parse((moved.feeds.dir / "all.atom").read_bytes())
    assert len(d.entries) == 25
    for e in d.entries:
        assert e.link.startswith(NEW), e.link
        assert (moved.feeds.dir / e.link.removeprefix(NEW)).is_file(), e.link


def test_a_source_link_is_kept_and_a_relative_template_follows_the_base_url(cfg: Config) -> None:
    assert site_link(cfg, "https://www.icmpd.org/news/a") == "https://www.icmpd.org/news/a"
    assert site_link(cfg, "press/2025-03-24/a.html") == OLD + "press/2025-03-24/a.html"
    assert site_link(_rebased(cfg, NEW), "press/a.html") == NEW + "press/a.html"
    assert site_link(cfg, "") == ""
    assert site_link(cfg, "javascript:alert(1)") == ""
    assert site_link(cfg, "//evil.example/x") == ""


def test_migration_drops_stored_page_links_and_keeps_source_links(empty_db_url: str) -> None:
    store = Store(empty_db_url)
    store.migrate("0006")
    rows = {
        "a": "http://127.0.0.1:8080/news/a.html",  # built at ingest from the old default
        "b": "https://old.example.org/prefix/news/b.html",  # same, base_url with a path
        "c": "https://www.icmpd.org/news/c",  # the source's own link
        "d": "https://www.icmpd.org/news/d.html?page=1",  # not a page link of ours
        "e": "https://www.icmpd.org/news/other.html",  # another slug
        "f": "",
    }
    now = dt.datetime(2025, 1, 1)
    with store.engine.begin() as conn:
        for i, (slug, url) in enumerate(rows.items()):
            conn.execute(
                text(
                    "INSERT INTO releases (key, guid, slug, source, published, title, summary, body, url,"
                    " content_hash, created_at, updated_at) VALUES (:k, :g, :s, 'src', '2025-01-01', 'T', 'S', 'B',"
                    " :u, 'h', :now, :now)"
                ),
                {"k": f"k{i}", "g": f"tag:x,2025-01-01:news/{slug}", "s": slug, "u": url, "now": now},
            )
    store.migrate()
    with store.engine.connect() as conn:
        got = dict(conn.execute(text("SELECT slug, url FROM releases")).all())
    store.dispose()
    assert got == {"a": "", "b": "", "c": rows["c"], "d": rows["d"], "e": rows["e"], "f": ""}
