"""What a sender passes around: the rows it reserved, their recipients, and what became of each one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from publisher.config import Config
from publisher.models.mail import DeliveryStatus, SubscriberStatus

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)
CLAIMED = (DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN)  # a claimed row (`unknown` if presumed dead meanwhile)


@dataclass(frozen=True, slots=True)
class Recipient:
    """The subscriber columns one message needs. A delivery run loads these (a row of six columns), not ORM
    `Subscriber` objects: building and tracking an ORM object cost more than assembling the message."""

    id: int
    email: str
    name: str
    status: SubscriberStatus
    token_version: int
    feed_version: int = 1  # signs the private feed link in the footer


@dataclass(frozen=True)
class DueDelivery:
    id: int
    edition_id: int
    variant: str
    message_id: str
    release_ids: tuple[int, ...]
    attempts: int
    subscriber: Recipient


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed (or skipped) row, recorded in the sender's next transaction."""

    delivery_id: int
    status: DeliveryStatus
    code: int | None = None
    error: str = ""
    next_attempt: dt.datetime | None = None
    release: bool = False  # free its releases for the subscriber's next edition
    bounce_subscriber: int | None = None  # a permanent failure counts against this subscriber
    from_states: tuple[DeliveryStatus, ...] = (DeliveryStatus.SENDING,)
    at: dt.datetime | None = None  # when it happened (outcomes may be recorded a little later, in a batch)

    @property
    def plain_sent(self) -> bool:
        """A claimed row that went out: nothing to free or count, so it can be recorded in bulk."""
        return self.status is DeliveryStatus.SENT and self.from_states == CLAIMED and not self.release


def backoff(cfg: Config, attempts: int) -> dt.timedelta:
    """Exponential: base, 2·base, 4·base, ... after the 1st, 2nd, 3rd failed attempt."""
    return dt.timedelta(seconds=cfg.delivery.retry_base_seconds * (2 ** max(attempts - 1, 0)))
