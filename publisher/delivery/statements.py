"""The delivery queue's hot statements, built once: the per-message claim and `sent` record, the batch pick."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Exists, Select, and_, bindparam, exists, or_, select, text, tuple_, update
from sqlalchemy.orm import InstrumentedAttribute

from publisher.models.mail import Delivery, DeliveryStatus, Subscriber, SubscriberStatus


def active(subscriber_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    # Correlated EXISTS by key: one index probe per row, whatever the number of subscribers.
    return exists().where(Subscriber.id == subscriber_id, Subscriber.status == SubscriberStatus.ACTIVE)


_PENDING_LITERAL = text("deliveries.status IN ('queued', 'deferred')")
# The two statements a sender runs per message, built once: constructing and cache-keying an UPDATE cost
# several times what executing it does (about 850 against 150 µs of CPU per claim on SQLite). Both go by
# primary key. (`==`/`or_` rather than `in_`: expanding IN parameters cannot be used with executemany.)
CLAIM = (
    update(Delivery)
    .where(
        Delivery.id == bindparam("did"),
        Delivery.worker == bindparam("wid"),
        or_(Delivery.status == DeliveryStatus.QUEUED, Delivery.status == DeliveryStatus.DEFERRED),
        active(Delivery.subscriber_id),
    )
    .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=bindparam("at"))
)
SENT = (
    update(Delivery)
    .where(
        Delivery.id == bindparam("did"),
        or_(Delivery.status == DeliveryStatus.SENDING, Delivery.status == DeliveryStatus.UNKNOWN),
    )
    .values(
        status=DeliveryStatus.SENT,
        updated_at=bindparam("at"),
        sent_at=bindparam("at"),
        last_code=bindparam("code"),
        last_error="",
        next_attempt_at=None,
        worker=None,
    )
)


def pick_statement(dialect: str, now: dt.datetime, after: tuple[int, str, int], limit: int) -> Select[int]:
    """The ids of the next `limit` due rows after `after` in sending order that no sender holds."""
    due = or_(
        Delivery.status == DeliveryStatus.QUEUED,
        and_(Delivery.status == DeliveryStatus.DEFERRED, Delivery.next_attempt_at <= now),
    )
    pick = (
        select(Delivery.id)
        .where(
            # The partial index's own predicate, with the statuses written out: SQLite uses a partial index
            # only when the query repeats its condition, which `status IN (?, ?)` with bound values does not
            # (it sorted every pending row per batch instead, the cost growing with the list).
            _PENDING_LITERAL,
            due,
            Delivery.worker.is_(None),
            tuple_(Delivery.edition_id, Delivery.variant, Delivery.id) > tuple_(*after),
        )
        # Sorted by variant so each variant is rendered once and only a few stay in memory.
        .order_by(Delivery.edition_id, Delivery.variant, Delivery.id)
        .limit(limit)
    )
    return pick.with_for_update(skip_locked=True) if dialect == "postgresql" else pick
