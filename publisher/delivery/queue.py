"""The delivery queue's state machine in the store: due rows, claim, finish, skip, bounce, recovery, editions done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.models.mail import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    SentRelease,
    Subscriber,
    SubscriberStatus,
)
from publisher.store import Store

BATCH = 200


@dataclass(frozen=True, slots=True)
class Recipient:
    """The subscriber columns one message needs. A delivery run loads these (a row of five columns), not ORM
    `Subscriber` objects: building and tracking an ORM object cost more than assembling the message."""

    id: int
    email: str
    name: str
    status: SubscriberStatus
    token_version: int


@dataclass(frozen=True)
class DueDelivery:
    id: int
    edition_id: int
    variant: str
    message_id: str
    release_ids: tuple[int, ...]
    attempts: int
    subscriber: Recipient


def recover_interrupted(store: Store, now: dt.datetime) -> int:
    """Rows left in `sending` mean a sender died between claiming and recording the reply: the message may
    have gone out. At-most-once: mark them `unknown`, never resend."""
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.UNKNOWN,
                updated_at=now,
                last_error="sender stopped between claiming and recording the reply",
            )
        )
        return res.rowcount or 0  # type: ignore[attr-defined]


def due_batch(session: Session, now: dt.datetime, after: tuple[int, str, int], limit: int) -> list[DueDelivery]:
    due = (Delivery.status == DeliveryStatus.QUEUED) | (
        (Delivery.status == DeliveryStatus.DEFERRED) & (Delivery.next_attempt_at <= now)
    )
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.edition_id,
            Delivery.variant,
            Delivery.message_id,
            Delivery.release_ids,
            Delivery.attempts,
            Subscriber.id,
            Subscriber.email,
            Subscriber.name,
            Subscriber.status,
            Subscriber.token_version,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(due, tuple_(Delivery.edition_id, Delivery.variant, Delivery.id) > tuple_(*after))
        # Sorted by variant so each variant is rendered once and only a few stay in memory.
        .order_by(Delivery.edition_id, Delivery.variant, Delivery.id)
        .limit(limit)
    ).all()
    return [
        DueDelivery(
            did, eid, variant, mid, tuple(ids or ()), attempts, Recipient(sid, email, name or "", status, tv or 1)
        )
        for did, eid, variant, mid, ids, attempts, sid, email, name, status, tv in rows
    ]


def release_items(session: Session, delivery_id: int) -> None:
    # The message did not (and will not) go out: its releases may go in the subscriber's next edition.
    session.execute(delete(SentRelease).where(SentRelease.delivery_id == delivery_id))


def finish(
    store: Store,
    delivery_id: int,
    now: dt.datetime,
    status: DeliveryStatus,
    *,
    code: int | None = None,
    error: str = "",
    next_attempt: dt.datetime | None = None,
    release: bool = False,
    from_states: tuple[DeliveryStatus, ...] = (DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN),
) -> bool:
    with store.session() as session:
        values: dict[str, object] = {
            "status": status,
            "updated_at": now,
            "last_code": code,
            "last_error": error[:2000],
            "next_attempt_at": next_attempt,
        }
        if status is DeliveryStatus.SENT:
            values["sent_at"] = now
        res = session.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(from_states)).values(**values)
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return False
        if release:
            release_items(session, delivery_id)
    return True


def claim(store: Store, delivery_id: int, now: dt.datetime) -> bool:
    """queued/deferred → sending, committed BEFORE the transport is touched; False if someone else has it or
    the subscriber is no longer active (the batch was loaded a while ago: they may have unsubscribed since)."""
    active = select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE)
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]),
                Delivery.subscriber_id.in_(active),
            )
            .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def skip_if_left(store: Store, delivery_id: int, now: dt.datetime) -> bool:
    """queued/deferred → skipped, only if its subscriber is no longer active (not when another run claimed it)."""
    active = select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE)
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]),
                Delivery.subscriber_id.not_in(active),
            )
            .values(
                status=DeliveryStatus.SKIPPED,
                updated_at=now,
                last_error="subscriber left before sending",
                next_attempt_at=None,
            )
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return False
        release_items(session, delivery_id)
    return True


def bounce(store: Store, cfg: Config, subscriber_id: int, now: dt.datetime) -> bool:
    with store.session() as session:
        session.execute(
            update(Subscriber).where(Subscriber.id == subscriber_id).values(bounce_count=Subscriber.bounce_count + 1)
        )
        res = session.execute(
            update(Subscriber)
            .where(
                Subscriber.id == subscriber_id,
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscriber.bounce_count >= cfg.delivery.bounce_after,
            )
            .values(status=SubscriberStatus.BOUNCED, updated_at=now)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def backoff(cfg: Config, attempts: int) -> dt.timedelta:
    """Exponential: base, 2·base, 4·base, ... after the 1st, 2nd, 3rd failed attempt."""
    return dt.timedelta(seconds=cfg.delivery.retry_base_seconds * (2 ** max(attempts - 1, 0)))


def finish_editions(store: Store, edition_ids: set[int]) -> list[int]:
    """Editions whose every delivery reached a final state become `sent`."""
    pending = [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED]
    finished = []
    with store.session() as session:
        for eid in sorted(edition_ids):
            open_rows = session.scalars(
                select(Delivery.id).where(Delivery.edition_id == eid, Delivery.status.in_(pending)).limit(1)
            ).first()
            if open_rows is None:
                res = session.execute(
                    update(Edition)
                    .where(Edition.id == eid, Edition.status != EditionStatus.SENT)
                    .values(status=EditionStatus.SENT)
                )
                if res.rowcount:  # type: ignore[attr-defined]
                    finished.append(eid)
    return finished
