"""Abuse limits on the subscribe form, over real HTTP: per client, per address, for everyone; a honeypot;
pending requests that expire. Counted in the store, so they hold across app instances and restarts."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from conftest import outbox_mails
from sqlalchemy import func, select
from test_web import Browser

from publisher import subscribers as subs
from publisher.config import Config
from publisher.models import Subscriber, SubscriberStatus, count_hit, utcnow
from publisher.store import Store
from publisher.subscribers.limits import CLIENT_LIMITS, Limit, StoreLimiter


@contextlib.contextmanager
def serving(cfg: Config, store: Store) -> Iterator[str]:
    from publisher.web import make_server

    server = make_server(cfg, store, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def _subscribe(browser: Browser, email: str, **extra: str) -> int:
    return browser.submit("/subscribe", {"email": email, "frequency": "weekly", **extra}).status


def _count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Subscriber)) or 0)


def test_one_client_cannot_flood_the_form(cfg: Config, store: Store, web_server: str) -> None:
    browser = Browser(web_server)
    allowed = CLIENT_LIMITS[0].hits
    statuses = [_subscribe(browser, f"flood{i}@example.org") for i in range(allowed + 10)]
    assert statuses[:allowed] == [200] * allowed
    assert statuses[allowed:] == [429] * 10
    assert _count(store) == allowed  # refused requests store nothing
    assert len(outbox_mails(cfg)) == allowed


def test_the_client_limit_holds_across_app_instances(cfg: Config, store: Store) -> None:
    """Two processes (or a restart) share the counts: a new app instance on the same store keeps refusing."""
    from publisher.web import create_app

    allowed = CLIENT_LIMITS[0].hits
    first = StoreLimiter(store)
    assert all(first.allow_client("198.51.100.7") for _ in range(allowed))
    app = create_app(cfg, store)  # what a restarted `publisher serve` builds
    again: StoreLimiter = app.extensions["publisher.limiter"]
    assert not again.allow_client("198.51.100.7")
    assert again.allow_client("198.51.100.8")  # other clients are independent


def test_address_and_global_limits_cap_confirmation_mails(cfg: Config, store: Store) -> None:
    now = [dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)]
    limiter = StoreLimiter(
        store,
        address_limits=(Limit("mail-address", 1, 60),),
        global_limits=(Limit("mail-all", 4, 3600),),
        clock=lambda: now[0],
    )
    assert limiter.allow("a@example.org")
    assert not limiter.allow("a@example.org")  # the same address again within a minute
    assert [limiter.allow(f"x{i}@example.org") for i in range(5)] == [True, True, True, False, False]
    now[0] += dt.timedelta(hours=1)  # the next window
    assert limiter.allow("a@example.org")


def test_the_honeypot_stores_and_sends_nothing(cfg: Config, store: Store, web_server: str) -> None:
    reply = Browser(web_server).submit(
        "/subscribe", {"email": "bot@example.org", "frequency": "weekly", "website": "http://spam.example/"}
    )
    assert reply.status == 200 and "inbox" in reply.text.lower()  # looks the same as a real request
    assert _count(store) == 0 and outbox_mails(cfg) == []


def test_the_honeypot_field_is_hidden_from_people(web_server: str) -> None:
    page = Browser(web_server).get("/subscribe").text
    assert 'class="hp" aria-hidden="true"' in page and 'tabindex="-1"' in page


def test_unconfirmed_requests_expire_but_confirmed_and_renewed_ones_stay(cfg: Config, store: Store) -> None:
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    data = [subs.validate_subscriber(cfg, f"{n}@example.org", frequency="weekly") for n in ("old", "renewed", "kept")]
    with store.session() as s:
        for d in data:
            subs.request_subscription(s, d, now=t0)
        kept = subs.find_subscriber(s, "kept@example.org")
        assert kept is not None
        subs.confirm(kept, now=t0)
    with store.session() as s:
        subs.request_subscription(s, data[1], now=t0 + dt.timedelta(days=6))  # asked again: lives on
    with store.session() as s:
        assert subs.expire_pending(s, dt.timedelta(days=8), now=t0 + dt.timedelta(days=9)) == 1
    with store.session() as s:
        left = {sub.email: sub.status for sub in s.scalars(select(Subscriber))}
    assert left == {"renewed@example.org": SubscriberStatus.PENDING, "kept@example.org": SubscriberStatus.ACTIVE}


def test_the_subscribe_pipeline_expires_stale_requests(cfg: Config, store: Store) -> None:
    from publisher import pipeline

    stale = utcnow() - dt.timedelta(days=cfg.digest.token_max_age_days + 2)
    with store.session() as s:
        subs.request_subscription(s, subs.validate_subscriber(cfg, "stale@example.org", frequency="weekly"), now=stale)
    pipeline.request_subscription(
        cfg, subs.validate_subscriber(cfg, "new@example.org", frequency="weekly"), store=store
    )
    with store.session() as s:
        assert [sub.email for sub in s.scalars(select(Subscriber))] == ["new@example.org"]


@pytest.fixture
def hammer() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for t in threads:
        t.join(30)


def test_concurrent_hits_are_all_counted(store: Store, hammer: list[threading.Thread]) -> None:
    now = utcnow()
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            for _ in range(10):
                with store.session() as s:
                    count_hit(s, "race", 3600, now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    hammer.extend(threading.Thread(target=hit) for _ in range(4))
    for t in hammer:
        t.start()
    for t in hammer:
        t.join(30)
    assert not errors
    with store.session() as s:
        assert count_hit(s, "race", 3600, now) == 41


def _subscribe_as(web_server: str, email: str, forwarded_for: str) -> int:
    browser = Browser(web_server)
    page = browser.get("/subscribe")
    return browser.post(
        "/subscribe",
        {"csrf_token": page.csrf(), "email": email, "frequency": "weekly"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    make_config: Callable[..., Config], store: Store
) -> None:
    cfg = make_config(web={"trusted_proxy": "127.0.0.1"})
    with serving(cfg, store) as base:
        allowed = CLIENT_LIMITS[0].hits
        assert [_subscribe_as(base, f"a{i}@example.org", "203.0.113.5") for i in range(allowed + 1)][-1] == 429
        assert _subscribe_as(base, "b@example.org", "203.0.113.6") == 200  # another client behind the proxy


def test_forwarded_headers_from_an_untrusted_client_do_not_change_its_address(
    cfg: Config, store: Store, web_server: str
) -> None:
    allowed = CLIENT_LIMITS[0].hits
    statuses = [_subscribe_as(web_server, f"c{i}@example.org", f"198.51.100.{i}") for i in range(allowed + 1)]
    assert statuses[-1] == 429  # a made-up X-Forwarded-For per request did not escape the limit


def test_the_trusted_proxy_must_be_an_ip_address(make_config: Callable[..., Config]) -> None:
    from publisher.errors import ConfigError

    with pytest.raises(ConfigError, match=r"web\.trusted_proxy: must be an IP address"):
        make_config(web={"trusted_proxy": "proxy.example.org"})
