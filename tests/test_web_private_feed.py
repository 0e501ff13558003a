"""Private feeds over real HTTP (waitress on 127.0.0.1): exactly a subscriber's selection, read by feedparser;
every link that is not the current one of an active subscriber is a plain 404; the preferences page resets it."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import feedparser
import pytest

from publisher import subscribers as subs
from publisher.config import Config
from publisher.models.mail import Subscriber, SubscriberStatus
from publisher.store import Store

HUB = "http://127.0.0.1:9/hub"  # public feeds would advertise it; private ones must not


@pytest.fixture
def cfg(make_config: Callable[..., Config]) -> Config:
    return make_config(feeds={"dir": "feeds", "formats": ["atom", "rss", "json"], "websub_hub": HUB})


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Client:
    """HTTP on 127.0.0.1 with one cookie jar; no redirects followed."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, url: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        hdrs = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        target = urlsplit(url)
        path = target.path + (f"?{target.query}" if target.query else "")
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        for raw in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return reply

    def get(self, url: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", url, headers=headers)


# digest_world's releases r0..r7 (see conftest): (index, day, topics, regions).
WORLD = [
    (0, dt.date(2025, 2, 20), {"border-management"}, {"western-balkans"}),
    (1, dt.date(2025, 3, 3), {"border-management"}, {"western-balkans"}),
    (2, dt.date(2025, 3, 5), {"labour-migration"}, {"europe"}),
    (3, dt.date(2025, 3, 12), {"return-reintegration"}, {"central-asia"}),
    (4, dt.date(2025, 3, 19), {"research-data"}, set()),
    (5, dt.date(2025, 3, 26), {"border-management", "labour-migration"}, {"central-asia"}),
    (6, dt.date(2025, 3, 31), set(), set()),
    (7, dt.date(2025, 4, 2), {"border-management"}, {"europe"}),
]
SELECTIONS = [
    # (email, topics, regions, the releases it selects newest first, worked out by hand from WORLD)
    ("borders@example.org", ["border-management"], [], [7, 5, 1, 0]),
    ("asia@example.org", [], ["central-asia"], [5, 3]),
    ("both@example.org", ["border-management"], ["central-asia"], [5]),
    ("two@example.org", ["labour-migration", "research-data"], ["europe", "central-asia"], [5, 2]),
    ("all@example.org", [], [], [7, 6, 5, 4, 3, 2, 1, 0]),
]


def _guid(i: int) -> str:
    day = WORLD[i][1]
    return f"tag:news.example.org,{day}:news/r{i}"


def _subscriber(store: Store, email: str) -> Subscriber:
    with store.session() as s:
        sub = subs.get_subscriber(s, email)
        s.expunge(sub)
        return sub


@pytest.fixture
def world(digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]) -> dict[str, Any]:
    add_subscribers([(email, "weekly", topics, regions) for email, topics, regions, _ in SELECTIONS])
    add_subscribers(
        [
            ("pending@example.org", "weekly", [], [], SubscriberStatus.PENDING),
            ("gone@example.org", "weekly", [], [], SubscriberStatus.UNSUBSCRIBED),
            ("bounced@example.org", "weekly", [], [], SubscriberStatus.BOUNCED),
        ]
    )
    return digest_world


def test_each_subscriber_reads_exactly_their_selection(
    cfg: Config, store: Store, world: dict[str, Any], web_server: str
) -> None:
    client = Client(web_server)
    for email, _topics, _regions, expected in SELECTIONS:
        sub = _subscriber(store, email)
        url = subs.subscriber_links(cfg, sub)["feed"]
        assert url == subs.private_feed_url(cfg, sub, "atom")  # atom: the first of feeds.formats
        resp = client.get(url)
        assert resp.status == 200, resp.text
        assert resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(resp.body, response_headers={"content-type": resp.headers["Content-Type"]})
        assert not parsed.bozo, parsed.bozo_exception
        assert [e.id for e in parsed.entries] == [_guid(i) for i in expected], email
        assert parsed.feed.title == f"{cfg.site.title} \N{EM DASH} your selection"
        rels = {(link.get("rel"), link.href) for link in parsed.feed.links}
        assert ("self", url) in rels
        assert all(rel != "hub" for rel, _ in rels), "a private feed never advertises a WebSub hub"
        assert HUB.encode() not in resp.body


def test_every_format_carries_the_same_selection_and_its_own_self_link(
    cfg: Config, store: Store, world: dict[str, Any], web_server: str
) -> None:
    client = Client(web_server)
    sub = _subscriber(store, "two@example.org")
    expected = [_guid(5), _guid(2)]
    for fmt, content_type in (("rss", "application/rss+xml; charset=utf-8"), ("json", "application/feed+json")):
        url = subs.private_feed_url(cfg, sub, fmt)
        resp = client.get(url)
        assert resp.status == 200 and resp.headers["Content-Type"] == content_type
        if fmt == "json":
            doc = json.loads(resp.body)
            assert [item["id"] for item in doc["items"]] == expected
            assert doc["feed_url"] == url and "hubs" not in doc
        else:
            parsed = feedparser.parse(resp.body, response_headers={"content-type": content_type})
            assert not parsed.bozo, parsed.bozo_exception
            assert [e.id for e in parsed.entries] == expected
            assert [link.href for link in parsed.feed.links if link.get("rel") == "self"] == [url]
            assert b'rel="hub"' not in resp.body


def test_private_headers_etag_and_304(cfg: Config, store: Store, world: dict[str, Any], web_server: str) -> None:
    client = Client(web_server)
    url = subs.subscriber_links(cfg, _subscriber(store, "borders@example.org"))["feed"]
    first = client.get(url)
    assert first.status == 200
    cache = {d.strip() for d in first.headers["Cache-Control"].split(",")}
    assert "private" in cache and "public" not in cache
    assert "noindex" in first.headers["X-Robots-Tag"]
    assert first.headers["Referrer-Policy"] == "no-referrer"
    etag = first.headers["ETag"]
    again = client.get(url, {"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, {"If-None-Match": '"something-else"'}).status == 200
    # New content for the selection: a new ETag, and the old one no longer gets a 304.
    from publisher.models import Release, ReleaseTopic

    with store.session() as s:
        r = Release(
            key="k-new",
            guid="tag:news.example.org,2025-04-10:news/new",
            slug="new",
            source="t",
            published=dt.date(2025, 4, 10),
            title="Newer border news",
            summary="S.",
            body="B.",
            url="",
            content_hash="h",
            created_at=world["created"],
            updated_at=world["created"],
        )
        r.topics = [ReleaseTopic(topic="border-management", score=1.0, reasons=[])]
        s.add(r)
    changed = client.get(url, {"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    parsed = feedparser.parse(changed.body)
    assert parsed.entries[0].id == "tag:news.example.org,2025-04-10:news/new"


def _not_found_body(client: Client) -> bytes:
    resp = client.get("/no/such/page")
    assert resp.status == 404
    return resp.body


def test_forged_other_purpose_revoked_and_inactive_links_are_404_alike(
    cfg: Config, store: Store, world: dict[str, Any], web_server: str
) -> None:
    client = Client(web_server)
    expected_body = _not_found_body(client)
    sub = _subscriber(store, "borders@example.org")
    links = subs.subscriber_links(cfg, sub)
    feed = links["feed"]
    token = feed.rsplit("/", 1)[1].removesuffix(".atom")
    manage = links["manage"].rsplit("/", 1)[1]
    unsub = links["unsubscribe"].rsplit("/", 1)[1]
    payload, _, sig = token.partition(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    bad = [
        cfg.site.url(f"feeds/private/{payload}.{flipped}.atom"),  # signature changed
        cfg.site.url(f"feeds/private/{manage}.atom"),  # a manage link's token
        cfg.site.url(f"feeds/private/{unsub}.atom"),  # an unsubscribe link's token
        cfg.site.url(f"feeds/private/{token}.xml"),  # a format we do not serve
        cfg.site.url(f"feeds/private/{token}"),  # no format
        cfg.site.url("feeds/private/.atom"),
    ]
    for email in ("pending@example.org", "gone@example.org", "bounced@example.org"):
        bad.append(subs.subscriber_links(cfg, _subscriber(store, email))["feed"])  # genuine, but not active
    for url in bad:
        resp = client.get(url)
        assert (resp.status, resp.body) == (404, expected_body), url
    # Another subscriber's genuine token never shows this one's selection (and the feed token is not a manage link).
    assert client.get(cfg.site.url(f"preferences/{token}")).status == 400
    assert client.get(feed).status == 200
    # Unsubscribing kills the URL; so does purging the row.
    with store.session() as s:
        subs.unsubscribe(subs.get_subscriber(s, "borders@example.org"))
    assert (client.get(feed).status, client.get(feed).body) == (404, expected_body)
    asia = subs.subscriber_links(cfg, _subscriber(store, "asia@example.org"))["feed"]
    assert client.get(asia).status == 200
    with store.session() as s:
        subs.purge(s, subs.get_subscriber(s, "asia@example.org"))
    assert (client.get(asia).status, client.get(asia).body) == (404, expected_body)


def test_the_preferences_page_shows_the_feed_and_resets_it(
    cfg: Config, store: Store, world: dict[str, Any], web_server: str
) -> None:
    client = Client(web_server)
    sub = _subscriber(store, "borders@example.org")
    links = subs.subscriber_links(cfg, sub)
    page = client.get(links["manage"])
    assert page.status == 200
    for fmt in cfg.feeds.formats:
        url = subs.private_feed_url(cfg, sub, fmt)
        assert re.search(
            rf'<label for="private-feed-{fmt}">[^<]+</label>\s*<input type="url" id="private-feed-{fmt}" '
            rf'value="{re.escape(url)}" readonly',
            page.text,
        ), fmt
    old = links["feed"]
    assert client.get(old).status == 200
    forms = re.findall(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page.text
    )
    reset_action, csrf = next((a, t) for a, t in forms if a.endswith("/private-feed"))
    assert client.request("POST", reset_action, form={"csrf_token": "forged"}).status == 400
    assert client.get(old).status == 200  # a refused form changed nothing
    done = client.request("POST", reset_action, form={"csrf_token": csrf})
    assert done.status == 303
    after = client.get(done.headers["Location"])
    assert after.status == 200 and 'id="feed-reset"' in after.text
    assert client.get(old).status == 404
    new = subs.subscriber_links(cfg, _subscriber(store, "borders@example.org"))["feed"]
    assert new != old and new in after.text
    assert client.get(new).status == 200
    # The manage link survives the reset; only the feed moved.
    assert client.get(links["manage"]).status == 200


def test_pending_subscribers_see_no_private_feed_on_their_page(
    cfg: Config, store: Store, world: dict[str, Any], web_server: str
) -> None:
    page = Client(web_server).get(subs.subscriber_links(cfg, _subscriber(store, "pending@example.org"))["manage"])
    assert page.status == 200 and "feeds/private/" not in page.text and 'id="private-feed"' not in page.text


@pytest.mark.parametrize("page", [1, 2, 3, 500])
def test_the_selection_is_the_same_whatever_the_page_size(
    cfg: Config, store: Store, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, page: int
) -> None:
    from publisher.digest import lookup

    monkeypatch.setattr(lookup, "FOLLOWED_PAGE", page)
    with store.session() as s:
        ids = {r: i for i, r in enumerate(world["release_ids"])}
        for _email, topics, regions, expected in SELECTIONS:
            got = lookup.followed_release_ids(s, topics, regions, 50)
            assert [ids[r] for r in got] == expected
            # At most `limit`, the newest ones.
            assert [ids[r] for r in lookup.followed_release_ids(s, topics, regions, 2)] == expected[:2]


GOLDEN = Path(__file__).parent / "golden" / "feeds"
GOLDEN_TOKEN = "WzQyLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tY"  # tests/test_tokens.py GOLDEN_FEED


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_private_feed_matches_golden_file(cfg: Config, feed_store: Store, fmt: str) -> None:
    from publisher import feeds

    with feed_store.session() as s:
        got = feeds.build_private_feed(s, cfg, GOLDEN_TOKEN, ["border-management", "trafficking"], [], fmt)
    golden = GOLDEN / f"private.{fmt}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(got)
    assert got == golden.read_bytes(), f"{golden} differs (UPDATE_GOLDEN=1 regenerates after review)"
