"""Serving the feed folder over real HTTP: URL scheme, types, ETag/Last-Modified 304s, gzip, traversal safety."""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import http.client
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest

from publisher.config import Config
from publisher.store import Store

ATOM = (
    b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:x,2025:all</id><title>All news</title>
<updated>2025-03-01T09:30:00Z</updated>"""
    + b"".join(
        f"<entry><id>tag:x,2025:{i}</id><title>Entry {i}</title><updated>2025-03-01T09:30:00Z</updated></entry>".encode()
        for i in range(20)
    )
    + b"</feed>\n"
)


@pytest.fixture
def feed_dir(cfg: Config) -> Path:
    d = cfg.feeds.dir
    (d / "topics").mkdir(parents=True)
    (d / "news").mkdir()
    (d / "all.atom").write_bytes(ATOM)
    (d / "all.rss").write_bytes(b"<?xml version='1.0'?><rss version='2.0'><channel><title>All</title></channel></rss>")
    (d / "topics" / "border-management.atom").write_bytes(ATOM.replace(b"All news", b"Border news"))
    (d / "feeds.opml").write_bytes(b"<?xml version='1.0'?><opml version='2.0'><head/><body/></opml>")
    (d / "index.html").write_bytes(b"<!doctype html><title>Feeds</title>" + b"<p>feeds</p>" * 50)
    (d / "news" / "hello.html").write_bytes(b"<!doctype html><title>Hello</title>")
    (d / ".publisher-feeds.json").write_bytes(b"{}")  # the feed writer's manifest: private
    (d / ".all.atom.x1y2.tmp").write_bytes(b"half-written")
    return d


def get(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> http.client.HTTPResponse:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        resp.body = resp.read()  # type: ignore[attr-defined]
        return resp
    finally:
        conn.close()


SERVED = [
    ("/all.atom", "application/atom+xml; charset=utf-8", "all.atom"),
    ("/all.rss", "application/rss+xml; charset=utf-8", "all.rss"),
    ("/topics/border-management.atom", "application/atom+xml; charset=utf-8", "topics/border-management.atom"),
    ("/feeds.opml", "text/x-opml; charset=utf-8", "feeds.opml"),
    ("/", "text/html; charset=utf-8", "index.html"),
    ("/index.html", "text/html; charset=utf-8", "index.html"),
    ("/news/hello", "text/html; charset=utf-8", "news/hello.html"),
    ("/news/hello.html", "text/html; charset=utf-8", "news/hello.html"),
]


def test_feed_files_are_served_with_their_type(feed_dir: Path, web_server: str) -> None:
    for path, ctype, file in SERVED:
        resp = get(web_server, path)
        assert resp.status == 200, path
        assert resp.headers["Content-Type"] == ctype, path
        assert resp.body == (feed_dir / file).read_bytes()  # type: ignore[attr-defined]
        assert resp.headers["Cache-Control"] == "public, max-age=300"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["ETag"].startswith('"') and not resp.headers["ETag"].startswith("W/")
        mtime = int((feed_dir / file).stat().st_mtime)
        assert email.utils.parsedate_to_datetime(resp.headers["Last-Modified"]).timestamp() == mtime


def test_conditional_requests_get_304(feed_dir: Path, web_server: str) -> None:
    first = get(web_server, "/all.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"other", W/{etag}'}, {"If-Modified-Since": modified}):
        resp = get(web_server, "/all.atom", headers)
        assert resp.status == 304, headers
        assert resp.body == b"" and resp.headers["ETag"] == etag  # type: ignore[attr-defined]
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    assert get(web_server, "/all.atom", {"If-None-Match": '"stale"', "If-Modified-Since": modified}).status == 200
    old = email.utils.format_datetime(email.utils.parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert get(web_server, "/all.atom", {"If-Modified-Since": old}).status == 200


def test_a_rewritten_feed_gets_a_new_etag(feed_dir: Path, web_server: str) -> None:
    before = get(web_server, "/all.atom").headers["ETag"]
    tmp = feed_dir / ".all.atom.new.tmp"
    tmp.write_bytes(ATOM.replace(b"Entry 1<", b"Entry one<"))
    later = time.time() + 5
    os.utime(tmp, (later, later))
    os.replace(tmp, feed_dir / "all.atom")  # what the feed writer does
    resp = get(web_server, "/all.atom", {"If-None-Match": before})
    assert resp.status == 200 and resp.headers["ETag"] != before
    assert b"Entry one" in resp.body  # type: ignore[attr-defined]


def test_gzip_when_accepted(feed_dir: Path, web_server: str) -> None:
    plain = get(web_server, "/all.atom")
    zipped = get(web_server, "/all.atom", {"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding" and plain.headers["Vary"] == "Accept-Encoding"
    body = zipped.body  # type: ignore[attr-defined]
    assert int(zipped.headers["Content-Length"]) == len(body) < len(ATOM)
    assert gzip.decompress(body) == ATOM
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # strong tags differ per encoding
    assert "Content-Encoding" not in plain.headers
    refused = get(web_server, "/all.atom", {"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    again = get(web_server, "/all.atom", {"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status == 304


def test_head_sends_headers_only(feed_dir: Path, web_server: str) -> None:
    resp = get(web_server, "/all.atom", method="HEAD")
    assert resp.status == 200 and resp.body == b""  # type: ignore[attr-defined]
    assert int(resp.headers["Content-Length"]) == len(ATOM)


FORBIDDEN = [
    "/../config.toml",
    "/..%2fconfig.toml",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/topics/../../outbox",
    "/.publisher-feeds.json",
    "/.all.atom.x1y2.tmp",
    "/topics/%2e%2e/%2e%2e/store/publisher.db",
    "/news/../../store/publisher.db",
    "/nothing-here.atom",
    "/escape/passwd",
    "/news/hello.html/x",
    "/topics/..%5c..%5cstore",
    "/%00all.atom",
]


def test_nothing_outside_the_feed_folder_or_private_is_served(feed_dir: Path, web_server: str) -> None:
    (feed_dir / "escape").symlink_to("/etc")
    (feed_dir.parent / "store").mkdir(exist_ok=True)
    (feed_dir.parent / "store" / "secret.txt").write_text("root:secret")
    for path in FORBIDDEN:
        resp = get(web_server, path)
        assert resp.status in (400, 404), path
        assert b"root:" not in resp.body, path  # type: ignore[attr-defined]


def test_home_before_any_feed_is_built_says_what_to_do(cfg: Config, web_server: str) -> None:
    resp = get(web_server, "/")
    assert resp.status == 404 and b"publisher feeds build" in resp.body  # type: ignore[attr-defined]
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"


def test_folder_without_slash_redirects(feed_dir: Path, web_server: str) -> None:
    (feed_dir / "topics" / "index.html").write_bytes(b"<!doctype html><title>Topics</title>")
    resp = get(web_server, "/topics")
    assert resp.status == 308 and urljoin(f"{web_server}/topics", resp.headers["Location"]) == f"{web_server}/topics/"
    assert get(web_server, "/topics/").status == 200
    assert get(web_server, "/news/").status == 404  # no listings


@pytest.fixture
def built_feeds(cfg: Config, feed_store: Store) -> Iterator[Path]:
    from publisher import pipeline

    pipeline.build_feeds(cfg, feed_store, full=True)
    yield cfg.feeds.dir


def test_real_feeds_parse_over_http(cfg: Config, built_feeds: Path, web_server: str) -> None:
    """The feed writer's own output, fetched from the server and parsed by feedparser."""
    opml = get(web_server, "/feeds.opml")
    assert opml.status == 200
    for rel in ("all.atom", "all.rss"):
        resp = get(web_server, f"/{rel}", {"Accept-Encoding": "gzip"})
        assert resp.status == 200
        parsed = feedparser.parse(
            gzip.decompress(resp.body),  # type: ignore[attr-defined]
            response_headers={"content-type": resp.headers["Content-Type"]},
        )
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.entries
        # Self links use site.base_url; the same path is what this server answers.
        self_links = [link.href for link in parsed.feed.get("links", []) if link.get("rel") == "self"]
        assert not self_links or urlsplit(self_links[0]).path == f"/{rel}"
        entry_links = [e.link for e in parsed.entries if e.link.startswith(cfg.site.base_url + "news/")]
        for link in entry_links[:3]:
            assert get(web_server, urlsplit(link).path).status == 200  # release pages resolve
    index = get(web_server, "/feeds/")
    assert index.status == 200 and b"feeds.opml" in index.body  # type: ignore[attr-defined]


def test_json_feeds_are_served_as_feed_json_other_json_stays_json(
    cfg: Config, feed_store: Store, web_server: str
) -> None:
    """JSON Feed 1.1 says application/feed+json; a .json file that is no JSON Feed keeps application/json."""
    from publisher import pipeline

    with_json = dataclasses.replace(cfg, feeds=dataclasses.replace(cfg.feeds, formats=("atom", "rss", "json")))
    pipeline.build_feeds(with_json, feed_store)
    built_feeds = cfg.feeds.dir
    (built_feeds / "data.json").write_bytes(b'{"version": "2", "items": []}\n')
    (built_feeds / "broken.json").write_bytes(b'{"version": "https://jsonfeed.org/version/1.1", ')
    feeds = ["/all.json", *(f"/{p.relative_to(built_feeds).as_posix()}" for p in built_feeds.glob("topics/*.json"))]
    assert len(feeds) > 1
    for path in feeds:
        resp = get(web_server, path, {"Accept-Encoding": "gzip"})
        assert resp.status == 200, path
        assert resp.headers["Content-Type"] == "application/feed+json", path
        assert resp.headers["Content-Encoding"] == "gzip"
        doc = json.loads(gzip.decompress(resp.body))  # type: ignore[attr-defined]
        assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["items"] is not None
    for path in ("/data.json", "/broken.json"):
        resp = get(web_server, path)
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json", path
