"""Signed subscriber links in a token format publisher owns: one key per purpose, fast enough per recipient."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import SubscriberError
from publisher.models import Subscriber


class TokenPurpose(StrEnum):
    """What a signed link may do; each purpose has its own salt so a token for one never works for another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    FEED = "feed"  # the private feed URL: a format of its own (below), so no other link can stand in for it


class TokenError(SubscriberError):
    """A signed link is malformed, forged, expired or no longer current."""

    def __init__(
        self, message: str, *, purpose: TokenPurpose, expired: bool = False, subscriber_id: int | None = None
    ) -> None:
        self.purpose = purpose
        self.expired = expired
        # Known only for a genuine but expired token: lets the confirm page offer a re-send.
        self.subscriber_id = subscriber_id
        super().__init__(message)


# The token format is publisher's own, written down here and pinned by golden tokens in the tests, so no library
# upgrade can silently invalidate the links already mailed. It is byte for byte what itsdangerous 2.x
# `URLSafeTimedSerializer` made for these claims (the format of every link mailed before it was owned here):
#
#     token     = payload "." timestamp "." signature            (all three URL-safe base64, no "=" padding)
#     payload   = compact JSON of [subscriber_id, token_version]  e.g. b"[42,3]"
#     timestamp = the signing time in whole Unix seconds, big-endian, leading zero bytes dropped
#     signature = HMAC-SHA1(key, payload "." timestamp)
#     key       = SHA1(salt + b"signer" + secret),  salt = b"publisher.subscriber." + purpose
#
# SHA-1 is fine inside HMAC; a new algorithm would need a new, distinguishable format, not a silent switch.
#
# Private feed tokens (purpose "feed") are publisher's own from the start, and distinguishable by their shape:
#
#     token     = payload "." signature                           (two parts: no timestamp)
#     payload   = compact JSON of [subscriber_id, token_version, feed_version]  e.g. b"[42,3,1]"
#     signature = HMAC-SHA1(key, payload), key as above with purpose "feed"
#
# No timestamp: a feed URL never expires, and the same subscriber state always gives the same URL, so a reader
# subscribed from one digest finds the same link in the next. It dies when token_version (unsubscribe) or
# feed_version (the "reset" button) moves. Two parts never parse as three, and the salts differ besides.
_SALT_PREFIX = b"publisher.subscriber."
PRIVATE_FEED_DIR = "feeds/private/"  # under site.base_url; the web app serves <token>.atom, .rss and .json there
_MAX_TOKEN = 200  # far above any real token; longer input is refused before any decoding work


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(data: str) -> bytes:
    """URL-safe base64 without padding; ValueError on anything else (binascii.Error is a ValueError)."""
    if not data or not data.isascii() or "=" in data:
        raise ValueError("not unpadded base64")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@functools.lru_cache(maxsize=32)
def _signing_key(secret_key: str, purpose: TokenPurpose) -> bytes:
    """The HMAC key of one purpose (cached: a digest run signs two links per recipient)."""
    salt = _SALT_PREFIX + purpose.value.encode("ascii")
    return hashlib.sha1(salt + b"signer" + secret_key.encode("utf-8")).digest()


def _signature(secret_key: str, purpose: TokenPurpose, value: bytes) -> bytes:
    return hmac.digest(_signing_key(secret_key, purpose), value, "sha1")


class TokenHolder(Protocol):
    """What signing needs of a subscriber: an ORM `Subscriber` or the light row a delivery run loads."""

    @property
    def id(self) -> int | None: ...
    @property
    def email(self) -> str: ...
    @property
    def token_version(self) -> int | None: ...
    @property
    def feed_version(self) -> int | None: ...


def _payload(secret_key: str, subscriber: TokenHolder) -> bytes:
    if subscriber.id is None:
        raise SubscriberError(f"subscriber {subscriber.email} has no id yet (flush the session first)")
    return _claims_payload(subscriber.id, subscriber.token_version or 1)


def _claims_payload(subscriber_id: int, token_version: int) -> bytes:
    """The encoded payload: compact JSON of the two integers, URL-safe base64 without padding."""
    if type(subscriber_id) is not int or type(token_version) is not int:  # exact types: a bool is not a claim
        raise SubscriberError(f"token claims must be integers, got {subscriber_id!r}, {token_version!r}")
    return _b64encode(b"[%d,%d]" % (subscriber_id, token_version))


@functools.lru_cache(maxsize=4)
def _timestamp(seconds: int) -> bytes:
    # Memoised: one per second, while a digest run signs thousands of links.
    return _b64encode(seconds.to_bytes(8, "big").lstrip(b"\x00"))


def _sign(secret_key: str, payload: bytes, purpose: TokenPurpose, now: float | None = None) -> str:
    """payload.timestamp.signature for an encoded payload, signed now (or at `now`, Unix seconds)."""
    value = payload + b"." + _timestamp(int(time.time() if now is None else now))
    return (value + b"." + _b64encode(_signature(secret_key, purpose, value))).decode("ascii")


def _decode_payload(payload: str) -> bytes:
    """The JSON of a payload. A leading "." marks zlib-compressed JSON: itsdangerous wrote that when it was
    shorter, which for two integers happens only for ids of ten and more digits; publisher reads it, never writes it."""
    if not payload.startswith("."):
        return _b64decode(payload)
    inflate = zlib.decompressobj()
    data = inflate.decompress(_b64decode(payload[1:]), _MAX_TOKEN)
    if inflate.unconsumed_tail or not inflate.eof:
        raise ValueError("bad compressed payload")
    return data


def _verify(secret_key: str, token: str, purpose: TokenPurpose) -> tuple[list[int], int]:
    """The claims and signing time of a genuine token of this purpose; ValueError for anything else."""
    if len(token) > _MAX_TOKEN:
        raise ValueError("too long")
    value, sep, signature = token.rpartition(".")
    payload, sep2, stamp = value.rpartition(".")
    if not sep or not sep2 or "." in payload[1:]:
        raise ValueError("not three parts")
    expected = _signature(secret_key, purpose, value.encode("ascii"))
    if not hmac.compare_digest(_b64decode(signature), expected):
        raise ValueError("bad signature")
    claims = json.loads(_decode_payload(payload))
    if not (isinstance(claims, list) and len(claims) == 2 and all(type(c) is int for c in claims)):
        raise ValueError("claims are not two integers")
    return claims, int.from_bytes(_b64decode(stamp), "big")


def make_token(cfg: Config, subscriber: TokenHolder, purpose: TokenPurpose) -> str:
    """A URL-safe signed token naming the subscriber and their current token_version."""
    key = cfg.secret_key
    return _sign(key, _payload(key, subscriber), purpose)


def _feed_payload(subscriber: TokenHolder) -> bytes:
    if subscriber.id is None:
        raise SubscriberError(f"subscriber {subscriber.email} has no id yet (flush the session first)")
    claims = (subscriber.id, subscriber.token_version or 1, subscriber.feed_version or 1)
    if any(type(c) is not int for c in claims):
        raise SubscriberError(f"token claims must be integers, got {claims!r}")
    return _b64encode(b"[%d,%d,%d]" % claims)


def _sign_feed(secret_key: str, payload: bytes) -> str:
    return (payload + b"." + _b64encode(_signature(secret_key, TokenPurpose.FEED, payload))).decode("ascii")


def _verify_feed(secret_key: str, token: str) -> list[int]:
    """The three claims of a genuine feed token; ValueError for anything else (a three-part link included)."""
    if len(token) > _MAX_TOKEN or token.count(".") != 1:
        raise ValueError("not a feed token")
    payload, _, signature = token.partition(".")
    expected = _signature(secret_key, TokenPurpose.FEED, payload.encode("ascii"))
    # Canonical base64 only (the unused low bits of the last character are zero): one feed, one URL.
    if not hmac.compare_digest(signature.encode("ascii"), _b64encode(expected)):
        raise ValueError("bad signature")
    if _b64encode(_b64decode(payload)).decode("ascii") != payload:
        raise ValueError("not canonical base64")
    claims = json.loads(_b64decode(payload))
    if not (isinstance(claims, list) and len(claims) == 3 and all(type(c) is int for c in claims)):
        raise ValueError("claims are not three integers")
    return claims


def feed_token(cfg: Config, subscriber: TokenHolder) -> str:
    """The private feed token of a subscriber's current token_version and feed_version (same state, same token)."""
    key = cfg.secret_key
    return _sign_feed(key, _feed_payload(subscriber))


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    token_version: int
    purpose: TokenPurpose
    feed_version: int = 0  # feed tokens only


def read_token(cfg: Config, token: str, purpose: TokenPurpose) -> TokenClaims:
    """Verify a token's signature (and age, for confirm links); raise TokenError otherwise.

    The token_version is checked against the store by `resolve_token`, not here.
    """
    if purpose is TokenPurpose.FEED:
        try:
            sid, version, feed_version = _verify_feed(cfg.secret_key, token)
        except (ValueError, UnicodeError):
            raise TokenError("this feed link is not valid", purpose=purpose) from None
        return TokenClaims(sid, version, purpose, feed_version)
    try:
        (sid, version), signed_at = _verify(cfg.secret_key, token, purpose)
    except (ValueError, UnicodeError):  # json and base64 errors are ValueErrors too
        raise TokenError(f"this {purpose.value} link is not valid", purpose=purpose) from None
    if purpose is TokenPurpose.CONFIRM:
        age = time.time() - signed_at
        if age > cfg.digest.token_max_age_days * 86400 or age < -60:  # a minute of clock skew in the future
            # The signature was genuine, so the claims can be trusted to name who asked.
            raise TokenError(f"this {purpose.value} link has expired", purpose=purpose, expired=True, subscriber_id=sid)
    return TokenClaims(sid, version, purpose)


def resolve_token(session: Session, cfg: Config, token: str, purpose: TokenPurpose) -> Subscriber | None:
    """The subscriber a token names, or TokenError.

    Confirm and manage links die when token_version is bumped (on unsubscribe / re-subscribe); feed links
    also when feed_version is (the preferences page's "reset" button).
    Unsubscribe links never die: a link in an old mail must always work, and unsubscribing is the
    safe direction. They return None when the subscriber was purged (nothing left to unsubscribe).
    """
    claims = read_token(cfg, token, purpose)
    sub = session.get(Subscriber, claims.subscriber_id)
    if purpose is TokenPurpose.UNSUBSCRIBE:
        return sub
    if sub is None or sub.token_version != claims.token_version:
        raise TokenError(f"this {purpose.value} link is no longer valid", purpose=purpose)
    if purpose is TokenPurpose.FEED and sub.feed_version != claims.feed_version:
        raise TokenError(f"this {purpose.value} link is no longer valid", purpose=purpose)
    return sub


def subscriber_links(cfg: Config, subscriber: TokenHolder) -> dict[str, str]:
    """Absolute URLs of a subscriber's personal pages: "manage", "unsubscribe", "one_click" (RFC 8058 POST),
    and "feed", their private feed in the first of feeds.formats (see `private_feed_url` for the others)."""
    key = cfg.secret_key  # a property reading the environment: once, not per token
    payload = _payload(key, subscriber)  # the same claims for both: serialise once, sign twice (one salt each)
    manage = _sign(key, payload, TokenPurpose.MANAGE)
    unsub = _sign(key, payload, TokenPurpose.UNSUBSCRIBE)
    root = cfg.site.url("")  # what cfg.site.url(path) prefixes; a token never starts with "/"
    return {
        "manage": f"{root}preferences/{manage}",
        "unsubscribe": f"{root}unsubscribe/{unsub}",
        "one_click": f"{root}one-click/{unsub}",
        "feed": f"{root}{PRIVATE_FEED_DIR}{_sign_feed(key, _feed_payload(subscriber))}.{cfg.feeds.formats[0]}",
    }


def private_feed_url(cfg: Config, subscriber: TokenHolder, fmt: str = "atom") -> str:
    """Absolute URL of a subscriber's private feed in one format (atom, rss, json)."""
    return cfg.site.url(f"{PRIVATE_FEED_DIR}{feed_token(cfg, subscriber)}.{fmt}")


def confirm_link(cfg: Config, subscriber: Subscriber) -> str:
    """Absolute URL of the double opt-in confirmation page (valid for digest.token_max_age_days)."""
    return cfg.site.url(f"confirm/{make_token(cfg, subscriber, TokenPurpose.CONFIRM)}")
