"""The delivery queue's state machine in the store: reserve, claim, record, recover, for any number of senders."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Dialect

from publisher.delivery.rows import PENDING, DueDelivery, Outcome, Recipient
from publisher.delivery.statements import CLAIM, SENT, DriverStatement, active, reserve_statement
from publisher.models import pid_alive, utcnow
from publisher.models.mail import (
    Delivery,
    DeliveryStatus,
    DeliveryWorker,
    Edition,
    EditionStatus,
    SentRelease,
    Subscriber,
    SubscriberStatus,
)
from publisher.store import Store

BATCH = 50  # rows a sender reserves at a time: few enough that senders share a short queue fairly
# A sender that has not touched its registry row for this long is presumed dead (on another host; on the same
# host a vanished pid is dead at once). Senders refresh it at least every HEARTBEAT.
STALE_AFTER = dt.timedelta(seconds=120)
HEARTBEAT = dt.timedelta(seconds=20)


class DeliveryQueue:
    """One sender's view of the queue. Every method is one short transaction through SQLAlchemy Core, and each
    starts by writing, so SQLite serialises concurrent senders instead of failing them; PostgreSQL senders
    split the work with `FOR UPDATE SKIP LOCKED`."""

    def __init__(self, store: Store, *, bounce_after: int = 1, worker_id: str | None = None) -> None:
        self.store = store
        self.engine = store.engine
        self.worker = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.next_beat = time.monotonic() + HEARTBEAT.total_seconds()
        self.bounce_after = bounce_after
        self._conn: Connection | None = None
        self._cursor: Any = None  # the DBAPI cursor of _conn for the per-message statements, kept with it
        dialect = self.engine.dialect
        # Built once per sender: constructing a statement (and its 50 IN parameters) cost more than running it.
        self._reserve = reserve_statement(dialect.name)
        self._claim, self._sent = _hot_statements(dialect)

    def _hot(self) -> Connection:
        """The sender's own connection for its per-message statements (claim, bulk `sent`): held for the run
        (no pool checkout, no pre-ping round trip) and in autocommit (a claim is one statement: one round trip).

        On PostgreSQL its commits do not wait for the WAL flush (`synchronous_commit = off`). A commit is
        visible and kept as soon as it returns, so a `sending` mark survives the *sender* being killed, which
        is what at-most-once rests on; only a crash of the database server itself can forget the last few
        hundred milliseconds of marks, and such a message might then go out twice. SQLite connections run
        WAL with synchronous=NORMAL (publisher.store): the same trade. Not thread-safe: one thread at a time."""
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET synchronous_commit = off")
            self._conn = conn
            # Kept for the run: creating a psycopg cursor per statement cost a good part of a claim.
            self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self._conn

    def _hot_cursor(self) -> Any:
        self._hot()
        return self._cursor

    # -- the sender's registry row

    def register(self) -> None:
        now = utcnow()
        with self.engine.begin() as c:
            c.execute(
                insert(DeliveryWorker).values(
                    id=self.worker, host=self.host, pid=self.pid, started_at=now, heartbeat_at=now
                )
            )
        self.next_beat = time.monotonic() + HEARTBEAT.total_seconds()

    def _beat(self, c: Connection) -> None:
        if time.monotonic() < self.next_beat:  # checked per claim: a clock read, not a datetime
            return
        now = utcnow()
        c.execute(update(DeliveryWorker).where(DeliveryWorker.id == self.worker).values(heartbeat_at=now))
        self.next_beat = time.monotonic() + HEARTBEAT.total_seconds()

    def beat(self) -> None:
        with self.engine.begin() as c:
            self._beat(c)

    def unregister(self) -> None:
        """Give back the rows still reserved (not sent) and leave the registry."""
        if self._conn is not None:
            self._cursor.close()
            self._conn.close()
            self._conn, self._cursor = None, None
        with self.engine.begin() as c:
            c.execute(
                update(Delivery).where(Delivery.worker == self.worker, Delivery.status.in_(PENDING)).values(worker=None)
            )
            c.execute(delete(DeliveryWorker).where(DeliveryWorker.id == self.worker))

    # -- recovery

    def _dead_workers(self) -> list[str]:
        now = utcnow()
        with self.engine.connect() as c:
            rows = c.execute(
                select(DeliveryWorker.id, DeliveryWorker.host, DeliveryWorker.pid, DeliveryWorker.heartbeat_at)
            )
            dead = []
            for wid, host, pid, beat in rows:
                if wid == self.worker:
                    continue
                if (host == self.host and not pid_alive(pid)) or now - beat > STALE_AFTER:
                    dead.append(wid)
            return dead

    def recover(self, now: dt.datetime) -> tuple[int, int]:
        """Rows in `sending` held by a dead sender (or by none: an older version) mean it died between claiming
        and recording the reply: the message may have gone out. At-most-once: mark them `unknown`, never
        resend. Rows a dead sender had only reserved go back to the queue. Returns (rows marked unknown, rows
        given back)."""
        dead = self._dead_workers()
        held_by_dead = or_(Delivery.worker.is_(None), Delivery.worker.in_(dead)) if dead else Delivery.worker.is_(None)
        with self.engine.begin() as c:
            res = c.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING, held_by_dead)
                .values(
                    status=DeliveryStatus.UNKNOWN,
                    worker=None,
                    updated_at=now,
                    last_error="sender stopped between claiming and recording the reply",
                )
            )
            released = 0
            if dead:
                freed = c.execute(
                    update(Delivery).where(Delivery.worker.in_(dead), Delivery.status.in_(PENDING)).values(worker=None)
                )
                released = int(freed.rowcount or 0)
                c.execute(delete(DeliveryWorker).where(DeliveryWorker.id.in_(dead)))
            return int(res.rowcount or 0), released

    def held_by_others(self) -> bool:
        """Whether another sender still holds pending rows (reserved, not yet sent)."""
        with self.engine.connect() as c:
            row = c.execute(
                select(Delivery.id)
                .where(Delivery.status.in_(PENDING), Delivery.worker.is_not(None), Delivery.worker != self.worker)
                .limit(1)
            ).first()
            return row is not None

    # -- the work list

    def reserve(self, now: dt.datetime, after: tuple[int, str, int], limit: int) -> list[DueDelivery]:
        """Take up to `limit` due rows after `after` (sending order) that no sender holds, for this sender."""
        params = {
            "now": now,
            "after_edition": after[0],
            "after_variant": after[1],
            "after_id": after[2],
            "limit": limit,
            "worker": self.worker,
        }
        with self.engine.begin() as c:
            self._beat(c)
            taken = c.scalars(self._reserve, params).all()
            if not taken:
                return []
            rows = c.execute(_RESERVED, {"ids": list(taken), "worker": self.worker}).all()
        return [
            DueDelivery(
                did,
                eid,
                variant,
                mid,
                tuple(ids or ()),
                attempts,
                Recipient(sid, email, name or "", status, tv or 1, fv or 1),
            )
            for did, eid, variant, mid, ids, attempts, sid, email, name, status, tv, fv in rows
        ]

    # -- claim and record

    def _record(self, c: Connection, outcomes: Iterable[Outcome], now: dt.datetime) -> int:
        bounced = 0
        for o in outcomes:
            values: dict[str, object] = {
                "status": o.status,
                "updated_at": now,
                "last_code": o.code,
                "last_error": o.error[:2000],
                "next_attempt_at": o.next_attempt,
                "worker": None,
            }
            if o.status is DeliveryStatus.SENT:
                values["sent_at"] = now
            res = c.execute(
                update(Delivery)
                .where(Delivery.id == o.delivery_id, Delivery.status.in_(o.from_states))
                .values(**values)
            )
            if not res.rowcount:
                continue
            if o.release:
                # The message did not (and will not) go out: its releases may go in the subscriber's next edition.
                c.execute(delete(SentRelease).where(SentRelease.delivery_id == o.delivery_id))
            if o.bounce_subscriber is not None:
                bounced += self._bounce(c, o.bounce_subscriber, now)
        return bounced

    def _bounce(self, c: Connection, subscriber_id: int, now: dt.datetime) -> int:
        c.execute(
            update(Subscriber).where(Subscriber.id == subscriber_id).values(bounce_count=Subscriber.bounce_count + 1)
        )
        res = c.execute(
            update(Subscriber)
            .where(
                Subscriber.id == subscriber_id,
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscriber.bounce_count >= self.bounce_after,
            )
            .values(status=SubscriberStatus.BOUNCED, updated_at=now)
        )
        return int(res.rowcount or 0)

    def record(self, outcomes: Sequence[Outcome], now: dt.datetime) -> int:
        """Record outcomes; returns how many subscribers became bounced. Plain `sent` rows go in one
        executemany on the sender's connection; anything that frees releases or counts a bounce gets a
        transaction of its own."""
        if not outcomes:
            return 0
        bounced = 0
        rest = [o for o in outcomes if not o.plain_sent]
        if rest:
            with self.engine.begin() as c:
                bounced = self._record(c, rest, now)
        if len(rest) < len(outcomes):
            rows = [{"did": o.delivery_id, "at": o.at or now, "code": o.code} for o in outcomes if o.plain_sent]
            self._sent.executemany(self._hot_cursor(), rows)
        return bounced

    def claim(self, delivery_id: int, now: dt.datetime, outcomes: Sequence[Outcome] = ()) -> tuple[bool, int]:
        """Record earlier outcomes, then claim this row (→ `sending`): one statement by key, committed BEFORE
        the message is handed over. Not claimed when the row is no longer ours or its subscriber is no longer
        active (the batch was loaded a while ago: they may have unsubscribed since).
        Returns (claimed, subscribers newly bounced)."""
        bounced = self.record(outcomes, now)
        claimed = self._claim.execute(self._hot_cursor(), {"did": delivery_id, "wid": self.worker, "at": now})
        self._beat(self._hot())
        return bool(claimed), bounced

    def skip_if_left(self, delivery_id: int, now: dt.datetime) -> bool:
        """pending → skipped, only if its subscriber is no longer active (not when the row is not ours)."""
        with self.engine.begin() as c:
            res = c.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.worker == self.worker,
                    Delivery.status.in_(PENDING),
                    ~active(Delivery.subscriber_id),
                )
                .values(
                    status=DeliveryStatus.SKIPPED,
                    worker=None,
                    updated_at=now,
                    last_error="subscriber left before sending",
                    next_attempt_at=None,
                )
            )
            if not res.rowcount:
                return False
            c.execute(delete(SentRelease).where(SentRelease.delivery_id == delivery_id))
        return True


_HOT: dict[tuple[str, str, str], tuple[DriverStatement, DriverStatement]] = {}


def _hot_statements(dialect: Dialect) -> tuple[DriverStatement, DriverStatement]:
    """The claim and `sent` statements compiled for this kind of connection, once per process (a run, and each
    worker of `--workers N`, would otherwise compile them again)."""
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    if key not in _HOT:
        _HOT[key] = (
            DriverStatement(CLAIM, dialect, given=("did", "wid", "at"), datetimes=("at",)),
            DriverStatement(SENT, dialect, given=("did", "at", "code"), datetimes=("at",)),
        )
    return _HOT[key]


# The rows a sender just reserved, with their recipients: by key (the worker column has no index).
_RESERVED = (
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
        Subscriber.feed_version,
    )
    .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
    .where(Delivery.id.in_(bindparam("ids", expanding=True)), Delivery.worker == bindparam("worker"))
    .order_by(Delivery.edition_id, Delivery.variant, Delivery.id)
)


def recover_interrupted(store: Store, now: dt.datetime) -> int:
    """Mark rows left `sending` by dead senders `unknown` (see DeliveryQueue.recover)."""
    return DeliveryQueue(store).recover(now)[0]


def finish_editions(store: Store, edition_ids: set[int]) -> list[int]:
    """Editions whose every delivery reached a final state become `sent`."""
    pending = [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED]
    finished = []
    with store.engine.begin() as c:
        for eid in sorted(edition_ids):
            open_row = c.scalar(
                select(Delivery.id).where(Delivery.edition_id == eid, Delivery.status.in_(pending)).limit(1)
            )
            if open_row is None:
                res = c.execute(
                    update(Edition)
                    .where(Edition.id == eid, Edition.status != EditionStatus.SENT)
                    .values(status=EditionStatus.SENT)
                )
                if res.rowcount:
                    finished.append(eid)
    return finished
