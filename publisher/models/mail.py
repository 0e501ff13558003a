"""Tables for subscribers, digest editions, deliveries and what each subscriber has already received."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.models.base import Base
from publisher.models.content import _enum


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class EditionStatus(StrEnum):
    BUILT = "built"  # deliveries queued, not all handed over yet
    SENT = "sent"  # every delivery reached a final state


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; if the process dies here the reply is unknown
    SENT = "sent"
    DEFERRED = "deferred"  # 4xx: retried with backoff
    FAILED = "failed"  # 5xx or out of attempts: never retried
    UNKNOWN = "unknown"  # sent but no reply seen (crash or lost connection): not retried, see README
    SKIPPED = "skipped"  # subscriber left before it went out


class Subscriber(Base):
    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[SubscriberStatus] = mapped_column(_enum(SubscriberStatus, "subscriber_status"), index=True)
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, "frequency"))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: everything
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: everything
    # Bumped on unsubscribe/resubscribe so that older signed links stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped by the preferences page's "reset private feed link": only the private feed URL changes.
    feed_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    unsubscribed_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


class Edition(Base):
    """One digest issue for one frequency and period (ISO week `2025-W10` or month `2025-03`)."""

    __tablename__ = "editions"
    __table_args__ = (UniqueConstraint("frequency", "period", name="uq_editions_frequency_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, "frequency"))
    period: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    status: Mapped[EditionStatus] = mapped_column(_enum(EditionStatus, "edition_status"))
    built_at: Mapped[dt.datetime]
    subject: Mapped[str] = mapped_column(String(400), default="")
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="edition", cascade="all, delete-orphan")


class Delivery(Base):
    """One message of one edition to one subscriber; the unique pair is what makes sending at-most-once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("edition_id", "subscriber_id", name="uq_deliveries_edition_subscriber"),
        Index("ix_deliveries_status_next_attempt", "status", "next_attempt_at"),
        # The senders' work list in sending order, pending rows only: picking the next batch reads a few index
        # entries whatever the size of the list or of the history.
        Index(
            "ix_deliveries_pending_order",
            "edition_id",
            "variant",
            "id",
            sqlite_where=text("status IN ('queued', 'deferred')"),
            postgresql_where=text("status IN ('queued', 'deferred')"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    message_id: Mapped[str] = mapped_column(String(400), unique=True)
    variant: Mapped[str] = mapped_column(String(64), default="")  # which rendered content variant
    release_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # what this message contains
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The sender (DeliveryWorker.id) holding the row: reserved in its batch, or being sent. Null: free.
    worker: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[dt.datetime | None]
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]

    edition: Mapped[Edition] = relationship(back_populates="deliveries")
    subscriber: Mapped[Subscriber] = relationship()


class DeliveryWorker(Base):
    """A running sender (`publisher deliver`, one per thread): rows it holds are its own until it is dead."""

    __tablename__ = "delivery_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]


class DeliveryPacing(Base):
    """The shared token bucket of delivery.rate_limit: the next free sending slot, for every sender at once."""

    __tablename__ = "delivery_pacing"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)  # Unix time


class SentRelease(Base):
    """A release already put in a message to a subscriber: the guard that no release reaches anyone twice."""

    __tablename__ = "sent_releases"
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)


__all__ = [
    "Delivery",
    "DeliveryPacing",
    "DeliveryStatus",
    "DeliveryWorker",
    "Edition",
    "EditionStatus",
    "Frequency",
    "SentRelease",
    "Subscriber",
    "SubscriberStatus",
]
