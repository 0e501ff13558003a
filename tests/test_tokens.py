"""The signed-link format publisher owns: golden tokens pin it, so links already mailed keep working."""

from __future__ import annotations

import dataclasses
import time

import pytest

from publisher.config import Config
from publisher.models import SubscriberStatus
from publisher.store import Store
from publisher.subscribers.tokens import TokenError, TokenPurpose, _claims_payload, _sign, read_token

# Made with itsdangerous 2.2 URLSafeTimedSerializer("golden-secret-for-tests", salt="publisher.subscriber.<purpose>") at
# 2025-01-01T00:00:00Z: the format of every link mailed before publisher owned it. Never regenerate these.
GOLDEN_SECRET = "golden-secret-for-tests"
GOLDEN_TIME = 1735689600
GOLDEN = [
    (TokenPurpose.CONFIRM, 42, 3, "WzQyLDNd.Z3SFgA.EBWinUIUZogSnQM76-qD-xzPvLk"),
    (TokenPurpose.CONFIRM, 987654321, 12, "Wzk4NzY1NDMyMSwxMl0.Z3SFgA.C0cMzra2SJyBl_tCloHlFUgYQEg"),
    (TokenPurpose.MANAGE, 42, 3, "WzQyLDNd.Z3SFgA.8TtMs4fYJ5UtshGGG34ao0cuPdg"),
    (TokenPurpose.MANAGE, 1, 1, "WzEsMV0.Z3SFgA.i75Y6t8hRocpIbWDPA0feZmMHLQ"),
    (TokenPurpose.MANAGE, 987654321, 12, "Wzk4NzY1NDMyMSwxMl0.Z3SFgA.jvCfrJibktL19KaL_aZjie_gWJk"),
    (TokenPurpose.UNSUBSCRIBE, 42, 3, "WzQyLDNd.Z3SFgA.aM5Vqotisz1MWKVRzptXy1z1Flg"),
    (TokenPurpose.UNSUBSCRIBE, 1, 1, "WzEsMV0.Z3SFgA._IVtOWIBfZF54OQuJql5u6e8s0w"),
]


@pytest.fixture
def golden_cfg(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv(cfg.digest.secret_key_env, raising=False)
    monkeypatch.setenv(cfg.digest.secret_key_env, GOLDEN_SECRET)
    # Confirm links expire; the golden ones are old, so give them a lifetime that reaches back to them.
    days = int((time.time() - GOLDEN_TIME) // 86400) + 2
    return dataclasses.replace(cfg, digest=dataclasses.replace(cfg.digest, token_max_age_days=days))


@pytest.mark.parametrize(("purpose", "sid", "version", "token"), GOLDEN)
def test_minting_gives_the_golden_bytes(purpose: TokenPurpose, sid: int, version: int, token: str) -> None:
    assert _sign(GOLDEN_SECRET, _claims_payload(sid, version), purpose, now=GOLDEN_TIME) == token


@pytest.mark.parametrize(("purpose", "sid", "version", "token"), GOLDEN)
def test_golden_tokens_are_read_back(
    golden_cfg: Config, purpose: TokenPurpose, sid: int, version: int, token: str
) -> None:
    claims = read_token(golden_cfg, token, purpose)
    assert (claims.subscriber_id, claims.token_version, claims.purpose) == (sid, version, purpose)


def _tampered(token: str) -> list[str]:
    payload, stamp, sig = token.split(".")
    flip = "A" if sig[0] != "A" else "B"
    return [
        f"{payload}.{stamp}.{flip}{sig[1:]}",  # signature changed
        f"WzQzLDNd.{stamp}.{sig}",  # claims changed ([43,3])
        f"{payload}.Z3SFgQ.{sig}",  # time changed
        f"{payload}.{stamp}.{sig}=",  # padding added
        f"{payload}.{stamp}",  # a part missing
        f"{payload}.{stamp}.{sig}.{sig}",  # a part too many
        f"{payload}.{stamp}.{sig}" + "A" * 300,  # overlong
        "",
        "...",
        "é.é.é",
    ]


@pytest.mark.parametrize("bad", _tampered("WzQyLDNd.Z3SFgA.8TtMs4fYJ5UtshGGG34ao0cuPdg"))
def test_tampered_tokens_are_refused(golden_cfg: Config, bad: str) -> None:
    with pytest.raises(TokenError, match="not valid"):
        read_token(golden_cfg, bad, TokenPurpose.MANAGE)


def test_a_token_works_only_for_its_purpose_and_secret(golden_cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    manage = "WzQyLDNd.Z3SFgA.8TtMs4fYJ5UtshGGG34ao0cuPdg"
    for other in (TokenPurpose.UNSUBSCRIBE, TokenPurpose.CONFIRM):
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, manage, other)
    monkeypatch.setenv(golden_cfg.digest.secret_key_env, "another-secret-of-length")
    with pytest.raises(TokenError, match="not valid"):
        read_token(golden_cfg, manage, TokenPurpose.MANAGE)


def test_claims_that_are_not_two_integers_are_refused(golden_cfg: Config) -> None:
    import base64

    for claims in (b"[true,1]", b"[1]", b'["1",1]', b"{}", b"[1,1,1]", b"[1.0,1]"):
        payload = base64.urlsafe_b64encode(claims).rstrip(b"=")
        token = _sign(GOLDEN_SECRET, payload, TokenPurpose.MANAGE)  # genuinely signed, but not our claims
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, token, TokenPurpose.MANAGE)


def test_confirm_links_expire_and_say_who_asked(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cfg.digest.secret_key_env, GOLDEN_SECRET)
    old = _sign(GOLDEN_SECRET, _claims_payload(7, 1), TokenPurpose.CONFIRM, now=time.time() - 86400 * 400)
    with pytest.raises(TokenError, match="expired") as info:
        read_token(cfg, old, TokenPurpose.CONFIRM)
    assert info.value.expired and info.value.subscriber_id == 7
    future = _sign(GOLDEN_SECRET, _claims_payload(7, 1), TokenPurpose.CONFIRM, now=time.time() + 3600)
    with pytest.raises(TokenError, match="expired"):
        read_token(cfg, future, TokenPurpose.CONFIRM)
    fresh = _sign(GOLDEN_SECRET, _claims_payload(7, 1), TokenPurpose.CONFIRM)
    assert read_token(cfg, fresh, TokenPurpose.CONFIRM).subscriber_id == 7
    # Manage and unsubscribe links never expire.
    ancient = _sign(GOLDEN_SECRET, _claims_payload(7, 1), TokenPurpose.UNSUBSCRIBE, now=1_000_000_000)
    assert read_token(cfg, ancient, TokenPurpose.UNSUBSCRIBE).subscriber_id == 7


@pytest.mark.parametrize(("sid", "version"), [(1, 1), (41, 3), (999_999, 9), (1_000_000, 1), (2**31 - 1, 99)])
def test_tokens_are_what_itsdangerous_dumps(
    cfg: Config, monkeypatch: pytest.MonkeyPatch, sid: int, version: int
) -> None:
    """For every realistic id, the very string a stock URLSafeTimedSerializer.dumps makes at the same second,
    for each purpose's salt, and stock itsdangerous reads ours: the format did not change when publisher took it over."""
    import itsdangerous.timed
    from itsdangerous import URLSafeTimedSerializer

    from publisher.delivery import Recipient
    from publisher.subscribers import TokenPurpose, make_token, subscriber_links

    at = 1_764_000_000
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: at + 0.75)
    who = Recipient(sid, "a@example.org", "", SubscriberStatus.ACTIVE, version)
    links = subscriber_links(cfg, who)
    for purpose, token in (
        (TokenPurpose.MANAGE, links["manage"].rsplit("/", 1)[1]),
        (TokenPurpose.UNSUBSCRIBE, links["unsubscribe"].rsplit("/", 1)[1]),
    ):
        stock = URLSafeTimedSerializer(cfg.secret_key, salt=f"publisher.subscriber.{purpose}")
        assert token == stock.dumps([sid, version])
        assert make_token(cfg, who, purpose) == token
        assert stock.loads(token) == [sid, version]


def test_compressed_payloads_that_itsdangerous_wrote_are_read(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from itsdangerous import URLSafeTimedSerializer

    monkeypatch.setenv(cfg.digest.secret_key_env, GOLDEN_SECRET)
    stock = URLSafeTimedSerializer(GOLDEN_SECRET, salt="publisher.subscriber.manage")
    token = stock.dumps([10**15, 1])
    assert token.startswith(".")  # itsdangerous compressed this one
    claims = read_token(cfg, token, TokenPurpose.MANAGE)
    assert (claims.subscriber_id, claims.token_version) == (10**15, 1)


# Private feed tokens: publisher's own two-part format from the start (see tokens.py). Never regenerate these.
GOLDEN_FEED = [
    (42, 3, 1, "WzQyLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tY"),
    (1, 1, 1, "WzEsMSwxXQ.tknZBEWmfOOVZ8UhiI1j1Gt8NHg"),
    (987654321, 12, 7, "Wzk4NzY1NDMyMSwxMiw3XQ.KQIKJ4vCd4rZcX2pPLKoxPnq6HA"),
]


@pytest.mark.parametrize(("sid", "version", "feed_version", "token"), GOLDEN_FEED)
def test_feed_tokens_are_the_golden_bytes_and_read_back(
    golden_cfg: Config, sid: int, version: int, feed_version: int, token: str
) -> None:
    from publisher.delivery import Recipient
    from publisher.subscribers import feed_token, private_feed_url, subscriber_links

    who = Recipient(sid, "a@example.org", "", SubscriberStatus.ACTIVE, version, feed_version)
    assert feed_token(golden_cfg, who) == token
    # No timestamp: the same subscriber state gives the same URL at any time.
    assert subscriber_links(golden_cfg, who)["feed"] == golden_cfg.site.url(f"feeds/private/{token}.atom")
    assert private_feed_url(golden_cfg, who, "rss") == golden_cfg.site.url(f"feeds/private/{token}.rss")
    claims = read_token(golden_cfg, token, TokenPurpose.FEED)
    assert (claims.subscriber_id, claims.token_version, claims.feed_version) == (sid, version, feed_version)


def test_feed_tokens_and_other_links_never_stand_in_for_each_other(golden_cfg: Config) -> None:
    feed = GOLDEN_FEED[0][3]
    for purpose in (TokenPurpose.CONFIRM, TokenPurpose.MANAGE, TokenPurpose.UNSUBSCRIBE):
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, feed, purpose)
    for _purpose, _sid, _version, token in GOLDEN:
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, token, TokenPurpose.FEED)
        # Dropping the timestamp of a genuine link does not make a feed token either (other salt).
        payload, _stamp, sig = token.split(".")
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, f"{payload}.{sig}", TokenPurpose.FEED)


@pytest.mark.parametrize(
    "bad",
    [
        "WzQyLDMsMV0.c8M3054nf--4H1MhMMc39jGG3tY",  # signature changed
        "WzQyLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tZ",  # the same signature bytes, non-canonical base64
        "WzQyLDMsMV1.b8M3054nf--4H1MhMMc39jGG3tY",  # the same claims, non-canonical base64
        "WzQzLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tY",  # claims changed ([43,3,1])
        "WzQyLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tY=",  # padding added
        "WzQyLDMsMV0",  # signature missing
        "WzQyLDMsMV0.Z3SFgA.b8M3054nf--4H1MhMMc39jGG3tY",  # a part too many
        "WzQyLDMsMV0.b8M3054nf--4H1MhMMc39jGG3tY" + "A" * 300,  # overlong
        "",
        ".",
        "é.é",
    ],
)
def test_tampered_feed_tokens_are_refused(golden_cfg: Config, bad: str) -> None:
    with pytest.raises(TokenError, match="not valid"):
        read_token(golden_cfg, bad, TokenPurpose.FEED)


def test_feed_claims_that_are_not_three_integers_are_refused(golden_cfg: Config) -> None:
    import base64

    from publisher.subscribers.tokens import _sign_feed

    for claims in (b"[42,3]", b"[42,3,1,1]", b"[true,3,1]", b'[42,"3",1]', b"[42,3,1.0]", b"{}"):
        payload = base64.urlsafe_b64encode(claims).rstrip(b"=")
        token = _sign_feed(GOLDEN_SECRET, payload)  # genuinely signed, but not feed claims
        with pytest.raises(TokenError, match="not valid"):
            read_token(golden_cfg, token, TokenPurpose.FEED)


def test_a_feed_link_dies_on_reset_and_on_unsubscribe(cfg: Config, store: Store) -> None:
    import datetime as dt

    from publisher.models.mail import Frequency, Subscriber
    from publisher.subscribers import feed_token, make_token, reset_private_feed, resolve_token, unsubscribe

    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with store.session() as s:
        sub = Subscriber(
            email="f@example.org",
            status=SubscriberStatus.ACTIVE,
            frequency=Frequency.WEEKLY,
            created_at=now,
            confirmed_at=now,
            updated_at=now,
        )
        s.add(sub)
        s.flush()
        first = feed_token(cfg, sub)
        manage = make_token(cfg, sub, TokenPurpose.MANAGE)
        assert resolve_token(s, cfg, first, TokenPurpose.FEED) is sub
        reset_private_feed(sub)
        with pytest.raises(TokenError, match="no longer valid"):
            resolve_token(s, cfg, first, TokenPurpose.FEED)
        second = feed_token(cfg, sub)
        assert second != first and resolve_token(s, cfg, second, TokenPurpose.FEED) is sub
        assert resolve_token(s, cfg, manage, TokenPurpose.MANAGE) is sub  # the reset leaves the manage link alone
        unsubscribe(sub)
        with pytest.raises(TokenError, match="no longer valid"):
            resolve_token(s, cfg, second, TokenPurpose.FEED)
