"""The private feed link in digest footers: each recipient's own URL (HTML and text) through the per-variant
skeleton, premailer never run per recipient, and the link opens that recipient's selection."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Callable
from typing import Any

import feedparser
import pytest
from sqlalchemy import select

from publisher import pipeline
from publisher import subscribers as subs
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.models.mail import Delivery, SubscriberStatus
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)
FEED_URL = re.compile(r"https://news\.example\.org/feeds/private/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.atom")


@pytest.fixture
def cfg(make_config: Callable[..., Config]) -> Config:
    return make_config(site={"base_url": "https://news.example.org/", "timezone": "Europe/Vienna"})


def test_each_recipient_gets_their_own_feed_link_from_one_render_per_variant(
    cfg: Config,
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import premailer

    from publisher import digest as digest_step

    add_subscribers(
        [
            # ana and bo share a variant (same preferences, same items): one render, two different feed links.
            ("ana@example.org", "monthly", ["border-management"], [], SubscriberStatus.ACTIVE, "Ana"),
            ("bo@example.org", "monthly", ["border-management"], [], SubscriberStatus.ACTIVE, "Bo"),
            ("cy@example.org", "monthly", [], ["central-asia"], SubscriberStatus.ACTIVE, "Cy"),
        ]
    )
    with store.session() as s:
        build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)
        variants = {d.subscriber.email: d.variant for d in s.scalars(select(Delivery))}
    assert variants["ana@example.org"] == variants["bo@example.org"] != variants["cy@example.org"]

    digest_step.inlined_template(cfg)  # the template's CSS is inlined once per template source, before any run
    renders: list[str] = []
    premailer_runs: list[int] = []
    render = digest_step.render_edition_variant
    transform = premailer.Premailer.transform
    monkeypatch.setattr(digest_step, "render_edition_variant", lambda *a, **k: renders.append(a[3]) or render(*a, **k))
    monkeypatch.setattr(
        premailer.Premailer, "transform", lambda self, *a, **k: premailer_runs.append(1) or transform(self, *a, **k)
    )
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert summary.sent == 3
    assert sorted(renders) == sorted(set(variants.values()))  # one render per variant, not per recipient
    assert premailer_runs == []  # and no premailer call at all in the run

    seen: dict[str, str] = {}
    for path in sorted(cfg.delivery.outbox_dir.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        to = msg["To"].addresses[0].addr_spec
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        with store.session() as s:
            expected = subs.subscriber_links(cfg, subs.get_subscriber(s, to))["feed"]
        assert FEED_URL.findall(text) == [expected], to
        assert FEED_URL.findall(html) == [expected], to
        assert f'href="{expected}"' in html
        seen[to] = expected
    assert len(set(seen.values())) == 3

    # Each link opens that recipient's selection (the web app on the same store).
    from publisher.web import create_app

    client = create_app(cfg, store).test_client()
    for to, url in seen.items():
        resp = client.get(url.removeprefix("https://news.example.org"))
        assert resp.status_code == 200, to
        titles = [e.title for e in feedparser.parse(resp.data).entries]
        if to == "cy@example.org":
            assert titles == ["Mixed: borders and labour", "Returns in Central Asia"]
        else:
            assert titles == [
                "April news",
                "Mixed: borders and labour",
                "Border training in Serbia",
                "February border news",
            ]


def test_archive_copy_and_previews_carry_no_private_feed(
    cfg: Config, store: Store, digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]
) -> None:
    add_subscribers([("ana@example.org", "monthly", ["border-management"], [], SubscriberStatus.ACTIVE, "Ana")])
    with store.session() as s:
        result = build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)
        variant = s.scalars(select(Delivery.variant)).one()
    archive = pipeline.digest_archive_page(cfg, result.edition_id, variant, store)  # type: ignore[arg-type]
    preview = pipeline.preview_digest(cfg, "2025-03", frequency="monthly", subscriber="ana@example.org", store=store)
    for page in (archive, preview.html, preview.text):
        assert "feeds/private/" not in page and "__pub_" not in page
    # A preview is not for sending: its feed line points at the public feed table.
    assert cfg.site.url("feeds/") in preview.text
