"""Tests for subscriber management and signed links (publisher.subscribers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from publisher import subscribers as subs
from publisher.config import Config
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow
from publisher.store import Store
from publisher.subscribers import TokenError, TokenPurpose
from conftest import BASE_URL


def _insert(store: Store, email: str = "ada@example.org", status: SubscriberStatus = SubscriberStatus.ACTIVE,
            **kw: object) -> Subscriber:
    now = utcnow()
    with store.session() as s:
        sub = Subscriber(email=email, name=kw.pop("name", ""), status=status,
                         frequency=kw.pop("frequency", Frequency.WEEKLY), topics=kw.pop("topics", []),
                         regions=kw.pop("regions", []), created_at=now, updated_at=now, token_version=1, **kw)
        s.add(sub)
        s.flush()
        return sub


def _token(url: str, prefix: str) -> str:
    path = urlsplit(url).path
    assert path.startswith(prefix), url
    return path.removeprefix(prefix)


# ---------------------------------------------------------------- tokens


def test_subscriber_links_are_absolute_and_resolve_to_the_subscriber(cfg: Config, store: Store) -> None:
    sub = _insert(store)
    links = subs.subscriber_links(cfg, sub)
    assert set(links) == {"manage", "unsubscribe", "one_click"}
    for url in links.values():
        assert url.startswith(BASE_URL)
    manage = _token(links["manage"], "/preferences/")
    unsub = _token(links["unsubscribe"], "/unsubscribe/")
    assert _token(links["one_click"], "/one-click/") == unsub
    with store.session() as s:
        assert subs.resolve_token(s, cfg, manage, TokenPurpose.MANAGE).id == sub.id  # type: ignore[union-attr]
        assert subs.resolve_token(s, cfg, unsub, TokenPurpose.UNSUBSCRIBE).id == sub.id  # type: ignore[union-attr]


def test_a_token_for_one_purpose_is_refused_for_another(cfg: Config, store: Store) -> None:
    sub = _insert(store)
    unsub = subs.make_token(cfg, sub, TokenPurpose.UNSUBSCRIBE)
    with store.session() as s:
        for purpose in (TokenPurpose.MANAGE, TokenPurpose.CONFIRM):
            with pytest.raises(TokenError, match="not valid"):
                subs.resolve_token(s, cfg, unsub, purpose)


def test_tampered_and_foreign_key_tokens_are_refused(cfg: Config, make_config: Callable[..., Config],
                                                      store: Store) -> None:
    sub = _insert(store)
    token = subs.make_token(cfg, sub, TokenPurpose.MANAGE)
    other = make_config(digest={"secret_key": "another-secret"})
    with pytest.raises(TokenError):
        subs.read_token(cfg, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), TokenPurpose.MANAGE)
    with pytest.raises(TokenError):
        subs.read_token(other, token, TokenPurpose.MANAGE)
    with pytest.raises(TokenError):
        subs.read_token(cfg, "garbage", TokenPurpose.MANAGE)
    # Correctly signed but not our payload shape.
    forged = URLSafeTimedSerializer(cfg.secret_key, salt="publisher.subscriber.manage").dumps({"id": 1})
    with pytest.raises(TokenError):
        subs.read_token(cfg, forged, TokenPurpose.MANAGE)


def test_confirm_tokens_expire_but_unsubscribe_tokens_do_not(cfg: Config, store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sub = _insert(store, status=SubscriberStatus.PENDING)
    confirm = subs.make_token(cfg, sub, TokenPurpose.CONFIRM)
    unsub = subs.make_token(cfg, sub, TokenPurpose.UNSUBSCRIBE)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=cfg.digest.token_max_age_days, hours=1)
    # itsdangerous reads the clock through time.time(); move it past the confirm window.
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later.timestamp())
    with pytest.raises(TokenError) as info:
        subs.read_token(cfg, confirm, TokenPurpose.CONFIRM)
    assert info.value.expired and info.value.subscriber_id == sub.id
    assert subs.read_token(cfg, unsub, TokenPurpose.UNSUBSCRIBE).subscriber_id == sub.id


def test_bumping_token_version_kills_manage_links_but_not_unsubscribe_links(cfg: Config, store: Store) -> None:
    sub = _insert(store)
    manage = subs.make_token(cfg, sub, TokenPurpose.MANAGE)
    unsub = subs.make_token(cfg, sub, TokenPurpose.UNSUBSCRIBE)
    with store.session() as s:
        row = s.get(Subscriber, sub.id)
        assert row is not None
        row.token_version += 1
    with store.session() as s:
        with pytest.raises(TokenError, match="no longer valid"):
            subs.resolve_token(s, cfg, manage, TokenPurpose.MANAGE)
        assert subs.resolve_token(s, cfg, unsub, TokenPurpose.UNSUBSCRIBE) is not None
