"""Subscriber management: validate and store subscribers, import CSV, and sign/verify their personal links."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from typing import Any

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import NotFoundError, SubscriberError
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow

# ---------------------------------------------------------------- signed tokens


class TokenPurpose(StrEnum):
    """What a signed link may do; each purpose has its own salt so a token for one never works for another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


class TokenError(SubscriberError):
    """A signed link is malformed, forged, expired or no longer current."""

    def __init__(self, message: str, *, purpose: TokenPurpose, expired: bool = False,
                 subscriber_id: int | None = None) -> None:
        self.purpose = purpose
        self.expired = expired
        # Known only for a genuine but expired token: lets the confirm page offer a re-send.
        self.subscriber_id = subscriber_id
        super().__init__(message)


def _serializer(cfg: Config, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(cfg.secret_key, salt=f"publisher.subscriber.{purpose.value}")


def make_token(cfg: Config, subscriber: Subscriber, purpose: TokenPurpose) -> str:
    """A URL-safe signed token naming the subscriber and their current token_version."""
    if subscriber.id is None:
        raise SubscriberError(f"subscriber {subscriber.email} has no id yet (flush the session first)")
    return _serializer(cfg, purpose).dumps([subscriber.id, subscriber.token_version or 1])


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
        raise TokenError(f"this {purpose.value} link has expired", purpose=purpose, expired=True,
                         subscriber_id=sid) from None
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


def subscriber_links(cfg: Config, subscriber: Subscriber) -> dict[str, str]:
    """Absolute URLs of a subscriber's personal pages: "manage", "unsubscribe", "one_click" (RFC 8058 POST)."""
    manage = make_token(cfg, subscriber, TokenPurpose.MANAGE)
    unsub = make_token(cfg, subscriber, TokenPurpose.UNSUBSCRIBE)
    return {
        "manage": cfg.site.url(f"preferences/{manage}"),
        "unsubscribe": cfg.site.url(f"unsubscribe/{unsub}"),
        "one_click": cfg.site.url(f"one-click/{unsub}"),
    }


def confirm_link(cfg: Config, subscriber: Subscriber) -> str:
    """Absolute URL of the double opt-in confirmation page (valid for digest.token_max_age_days)."""
    return cfg.site.url(f"confirm/{make_token(cfg, subscriber, TokenPurpose.CONFIRM)}")
