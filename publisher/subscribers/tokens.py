"""Signed subscriber links: one itsdangerous salt per purpose, minted fast enough for a digest per recipient."""

from __future__ import annotations

import base64
import functools
import hmac
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import SubscriberError
from publisher.models import Subscriber


class TokenPurpose(StrEnum):
    """What a signed link may do; each purpose has its own salt so a token for one never works for another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


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


class _HMAC(HMACAlgorithm):
    """itsdangerous' HMAC (same key, digest and bytes) through the one-shot C `hmac.digest`: a digest mail
    signs two links per recipient, and the pure-Python hmac object was most of that time."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


@functools.lru_cache(maxsize=32)
def _serializer_for(secret_key: str, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt=f"publisher.subscriber.{purpose.value}", signer_kwargs={"algorithm": _HMAC()}
    )


@functools.lru_cache(maxsize=32)
def _signer_for(secret_key: str, purpose: TokenPurpose) -> Signer:
    # A signer holds only the key, salt and algorithm: safe to share, and built once instead of per token.
    return _serializer_for(secret_key, purpose).make_signer()


def _serializer(cfg: Config, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return _serializer_for(cfg.secret_key, purpose)


class TokenHolder(Protocol):
    """What signing needs of a subscriber: an ORM `Subscriber` or the light row a delivery run loads."""

    @property
    def id(self) -> int | None: ...
    @property
    def email(self) -> str: ...
    @property
    def token_version(self) -> int | None: ...


def _payload(secret_key: str, subscriber: TokenHolder) -> bytes:
    if subscriber.id is None:
        raise SubscriberError(f"subscriber {subscriber.email} has no id yet (flush the session first)")
    return _claims_payload(subscriber.id, subscriber.token_version or 1)


def _claims_payload(subscriber_id: int, token_version: int) -> bytes:
    """What `URLSafeTimedSerializer.dump_payload([id, version])` returns, built directly when that is provably
    the same: compact JSON of two integers, URL-safe base64 without padding. itsdangerous zlib-compresses only
    when that saves 2+ bytes, and zlib output is at least 9 bytes (2 header + 3 deflate + 4 checksum), so up to
    10 bytes of JSON (ids below 1 000 000 with a one-digit version) it never does; longer ones take the stock way."""
    if type(subscriber_id) is int and type(token_version) is int:  # exact types: a bool would dump differently
        claims = b"[%d,%d]" % (subscriber_id, token_version)
        if len(claims) <= 10:
            return base64.urlsafe_b64encode(claims).rstrip(b"=")
    return _serializer_for("", TokenPurpose.MANAGE).dump_payload([subscriber_id, token_version])


@functools.lru_cache(maxsize=32)
def _signing_key(secret_key: str, purpose: TokenPurpose) -> tuple[bytes, Any]:
    """The signer's derived key and HMAC digest, taken from the signer itself so they cannot drift from it."""
    signer = _signer_for(secret_key, purpose)
    return signer.derive_key(), signer.algorithm.digest_method  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4)
def _timestamp(seconds: int) -> bytes:
    # itsdangerous: base64 of the big-endian integer without leading zero bytes. Memoised: one per second.
    return base64.urlsafe_b64encode(seconds.to_bytes(8, "big").lstrip(b"\x00")).rstrip(b"=")


def _sign(secret_key: str, payload: bytes, purpose: TokenPurpose, now: float | None = None) -> str:
    """What `URLSafeTimedSerializer.dumps` returns for this payload: payload.timestamp.signature, with the
    signer's derived key cached per purpose (itsdangerous derives it again for every token)."""
    value = payload + b"." + _timestamp(int(time.time() if now is None else now))
    key, digest = _signing_key(secret_key, purpose)
    signature = hmac.digest(key, value, digest)
    return (value + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode("ascii")


def make_token(cfg: Config, subscriber: TokenHolder, purpose: TokenPurpose) -> str:
    """A URL-safe signed token naming the subscriber and their current token_version."""
    key = cfg.secret_key
    return _sign(key, _payload(key, subscriber), purpose)


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    token_version: int
    purpose: TokenPurpose


def read_token(cfg: Config, token: str, purpose: TokenPurpose) -> TokenClaims:
    """Verify a token's signature (and age, for confirm links); raise TokenError otherwise.

    The token_version is checked against the store by `resolve_token`, not here.
    """
    ser = _serializer(cfg, purpose)
    max_age = cfg.digest.token_max_age_days * 86400 if purpose is TokenPurpose.CONFIRM else None
    try:
        payload = ser.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        # The signature was genuine, so the payload can be trusted to name who asked.
        sid = _subscriber_id(ser.load_payload(exc.payload)) if exc.payload is not None else None
        raise TokenError(
            f"this {purpose.value} link has expired", purpose=purpose, expired=True, subscriber_id=sid
        ) from None
    except BadSignature:
        raise TokenError(f"this {purpose.value} link is not valid", purpose=purpose) from None
    sid = _subscriber_id(payload)
    if sid is None or not isinstance(payload[1], int):
        raise TokenError(f"this {purpose.value} link is not valid", purpose=purpose)
    return TokenClaims(sid, payload[1], purpose)


def _subscriber_id(payload: Any) -> int | None:
    if isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int):
        return payload[0]
    return None


def resolve_token(session: Session, cfg: Config, token: str, purpose: TokenPurpose) -> Subscriber | None:
    """The subscriber a token names, or TokenError.

    Confirm and manage links die when token_version is bumped (on unsubscribe / re-subscribe).
    Unsubscribe links never die: a link in an old mail must always work, and unsubscribing is the
    safe direction. They return None when the subscriber was purged (nothing left to unsubscribe).
    """
    claims = read_token(cfg, token, purpose)
    sub = session.get(Subscriber, claims.subscriber_id)
    if purpose is TokenPurpose.UNSUBSCRIBE:
        return sub
    if sub is None or sub.token_version != claims.token_version:
        raise TokenError(f"this {purpose.value} link is no longer valid", purpose=purpose)
    return sub


def subscriber_links(cfg: Config, subscriber: TokenHolder) -> dict[str, str]:
    """Absolute URLs of a subscriber's personal pages: "manage", "unsubscribe", "one_click" (RFC 8058 POST)."""
    key = cfg.secret_key  # a property reading the environment: once, not per token
    payload = _payload(key, subscriber)  # the same claims for both: serialise once, sign twice (one salt each)
    manage = _sign(key, payload, TokenPurpose.MANAGE)
    unsub = _sign(key, payload, TokenPurpose.UNSUBSCRIBE)
    root = cfg.site.url("")  # what cfg.site.url(path) prefixes; a token never starts with "/"
    return {
        "manage": f"{root}preferences/{manage}",
        "unsubscribe": f"{root}unsubscribe/{unsub}",
        "one_click": f"{root}one-click/{unsub}",
    }


def confirm_link(cfg: Config, subscriber: Subscriber) -> str:
    """Absolute URL of the double opt-in confirmation page (valid for digest.token_max_age_days)."""
    return cfg.site.url(f"confirm/{make_token(cfg, subscriber, TokenPurpose.CONFIRM)}")
