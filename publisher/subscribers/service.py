"""Subscriber storage: add or update, list, unsubscribe, purge, preferences, subscribe requests and confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from publisher.errors import NotFoundError, SubscriberError
from publisher.models import Subscriber, SubscriberStatus, utcnow
from publisher.subscribers.validate import SubscriberData


class Outcome(StrEnum):
    """What an add/import did to one address."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT_INACTIVE = "kept-inactive"  # unsubscribed/bounced: an import never re-activates them


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email.strip().lower()))


def get_subscriber(session: Session, email: str) -> Subscriber:
    sub = find_subscriber(session, email)
    if sub is None:
        raise NotFoundError(f"no subscriber {email.strip().lower()!r}")
    return sub


def new_subscriber(data: SubscriberData, status: SubscriberStatus, now: dt.datetime) -> Subscriber:
    return Subscriber(
        email=data.email,
        name=data.name,
        status=status,
        frequency=data.frequency,
        topics=list(data.topics),
        regions=list(data.regions),
        token_version=1,
        feed_version=1,
        bounce_count=0,
        created_at=now,
        updated_at=now,
        confirmed_at=now if status is SubscriberStatus.ACTIVE else None,
    )


PREFERENCE_FIELDS = ("name", "topics", "regions", "frequency")


def _set_preferences(sub: Subscriber, data: SubscriberData, fields: Iterable[str] | None = None) -> bool:
    changed = False
    wanted: dict[str, Any] = {
        "name": data.name,
        "frequency": data.frequency,
        "topics": list(data.topics),
        "regions": list(data.regions),
    }
    for key in PREFERENCE_FIELDS if fields is None else fields:
        value = wanted[key]
        if getattr(sub, key) != value:
            setattr(sub, key, value)
            changed = True
    return changed


def _activate(sub: Subscriber, now: dt.datetime) -> None:
    sub.status = SubscriberStatus.ACTIVE
    sub.confirmed_at = now
    sub.unsubscribed_at = None
    sub.bounce_count = 0


def upsert_subscriber(
    session: Session,
    data: SubscriberData,
    *,
    status: SubscriberStatus,
    now: dt.datetime | None = None,
    resubscribe: bool = False,
    keep_inactive: bool = False,
    fields: Iterable[str] | None = None,
) -> tuple[Subscriber, Outcome]:
    """Add an address or update an existing one (never a duplicate).

    On update only `fields` (default: all of name, topics, regions, frequency) are overwritten, so an
    operator's `add --topic x` or a CSV without a frequency column keeps what the subscriber chose.
    An existing active subscriber is never demoted to pending. An unsubscribed or bounced one is
    re-activated only with `resubscribe`; otherwise `keep_inactive` leaves them untouched (imports)
    and the default refuses (an explicit `subscribers add`).
    """
    now = now or utcnow()
    sub = find_subscriber(session, data.email)
    if sub is None:
        sub = new_subscriber(data, status, now)
        session.add(sub)
        session.flush()
        return sub, Outcome.ADDED
    inactive = sub.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED)
    if inactive and not resubscribe:
        if keep_inactive:
            return sub, Outcome.KEPT_INACTIVE
        when = f" on {sub.unsubscribed_at:%Y-%m-%d}" if sub.unsubscribed_at else ""
        raise SubscriberError(
            f"{sub.email} is {sub.status.value}{when}; add them again only if they asked to (--resubscribe)"
        )
    changed = _set_preferences(sub, data, fields)
    if inactive:
        sub.status = status
        sub.token_version += 1
        if status is SubscriberStatus.ACTIVE:
            _activate(sub, now)
        changed = True
    elif status is SubscriberStatus.ACTIVE and sub.status is SubscriberStatus.PENDING:
        _activate(sub, now)
        changed = True
    if changed:
        sub.updated_at = now
    return sub, Outcome.UPDATED if changed else Outcome.UNCHANGED


def list_subscribers(session: Session, status: SubscriberStatus | None = None) -> list[Subscriber]:
    q = select(Subscriber).order_by(Subscriber.email)
    if status is not None:
        q = q.where(Subscriber.status == status)
    return list(session.scalars(q))


def count_by_status(session: Session) -> dict[SubscriberStatus, int]:
    rows = session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status))
    return {SubscriberStatus(s): n for s, n in rows}


def unsubscribe(sub: Subscriber, now: dt.datetime | None = None) -> bool:
    """Mark unsubscribed and kill older manage/confirm links; False when already unsubscribed (idempotent)."""
    if sub.status is SubscriberStatus.UNSUBSCRIBED:
        return False
    now = now or utcnow()
    sub.status = SubscriberStatus.UNSUBSCRIBED
    sub.unsubscribed_at = now
    sub.updated_at = now
    sub.token_version += 1
    return True


def purge(session: Session, sub: Subscriber) -> None:
    """Erase the subscriber for good (GDPR); the database cascades to their deliveries and sent releases."""
    session.delete(sub)
    session.flush()


def update_preferences(sub: Subscriber, data: SubscriberData, now: dt.datetime | None = None) -> bool:
    """Save a subscriber's own choices from the preferences page (the address itself is not changeable)."""
    changed = _set_preferences(sub, data)
    if changed:
        sub.updated_at = now or utcnow()
    return changed


class RequestAction(StrEnum):
    """What to mail after a subscribe form was submitted."""

    CONFIRM = "confirm"  # send the double opt-in link
    ALREADY_ACTIVE = "already-active"  # tell the owner they are subscribed, with their manage link


def request_subscription(
    session: Session, data: SubscriberData, now: dt.datetime | None = None
) -> tuple[Subscriber, RequestAction]:
    """Handle a public subscribe request; nothing becomes active until the owner confirms.

    An active subscriber's settings are not changed by strangers: the owner only gets a note.
    An unsubscribed or bounced address keeps its status until the owner confirms.
    """
    now = now or utcnow()
    sub = find_subscriber(session, data.email)
    if sub is None:
        sub = new_subscriber(data, SubscriberStatus.PENDING, now)
        session.add(sub)
        session.flush()
        return sub, RequestAction.CONFIRM
    if sub.status is SubscriberStatus.ACTIVE:
        return sub, RequestAction.ALREADY_ACTIVE
    if _set_preferences(sub, data) or sub.status is SubscriberStatus.PENDING:
        sub.updated_at = now  # a pending request asked again lives on (see expire_pending)
    return sub, RequestAction.CONFIRM


def expire_pending(session: Session, max_age: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete pending requests nobody confirmed within `max_age` of their last request; returns how many.

    A flood of made-up addresses then leaves nothing behind, and a real person can simply subscribe again.
    """
    cutoff = (now or utcnow()) - max_age
    stale = delete(Subscriber).where(Subscriber.status == SubscriberStatus.PENDING, Subscriber.updated_at < cutoff)
    return int(session.execute(stale).rowcount or 0)  # type: ignore[attr-defined]


def confirm(sub: Subscriber, now: dt.datetime | None = None) -> bool:
    """Activate after double opt-in; False when already active (a second click changes nothing)."""
    if sub.status is SubscriberStatus.ACTIVE:
        return False
    now = now or utcnow()
    _activate(sub, now)
    sub.updated_at = now
    return True


def reset_private_feed(sub: Subscriber, now: dt.datetime | None = None) -> None:
    """A new private feed URL; the old one stops working (manage and unsubscribe links are not touched)."""
    sub.feed_version = (sub.feed_version or 1) + 1
    sub.updated_at = now or utcnow()
