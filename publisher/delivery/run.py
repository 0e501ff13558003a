"""One delivery run: recover interrupted rows, then claim → send → record each due message through a transport."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from publisher.config import Config
from publisher.delivery.messages import LinkProvider, Renderer, default_links, message_for
from publisher.delivery.pacing import Pacer
from publisher.delivery.queue import BATCH, DeliveryQueue, finish_editions
from publisher.delivery.rows import CLAIMED, PENDING, DueDelivery, Outcome, backoff
from publisher.delivery.transports import (
    ServerUnresponsive,
    Transport,
    TransportUnavailable,
    make_transport,
)
from publisher.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from publisher.mailmsg import OutgoingMessage
from publisher.models import utcnow
from publisher.models.mail import DeliveryStatus, SubscriberStatus
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

log = logging.getLogger(__name__)
LINGER_SECONDS = 0.5  # how often a sender with nothing to do looks whether another one died
# Plain `sent` outcomes are written in batches of this many, or this often, whichever comes first: a sender
# killed in between leaves at most that many rows `unknown` that really went out.
RECORD_EVERY = 100
RECORD_SECONDS = 0.5


@dataclass
class DeliverySummary:
    """What one delivery run did."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    bounced: int = 0  # subscribers newly marked bounced
    recovered: int = 0  # rows found in `sending` from a dead run, now `unknown`
    stopped: bool = False
    note: str = ""
    editions_finished: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.deferred + self.failed + self.unknown

    def describe(self) -> str:
        text = (
            f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed, {self.unknown} unknown, "
            f"{self.skipped} skipped"
        )
        if self.bounced:
            text += f", {self.bounced} subscribers bounced"
        if self.recovered:
            text += f", {self.recovered} interrupted deliveries marked unknown"
        if self.stopped:
            text += " (stopped early)"
        if self.note:
            text += f"; {self.note}"
        return text


def run_deliveries(
    store: Store,
    cfg: Config,
    *,
    transport: Transport | None = None,
    links: LinkProvider = default_links,
    limit: int | None = None,
    now: dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: threading.Event | None = None,
    worker_id: str | None = None,
) -> DeliverySummary:
    """Send every due delivery once: recover rows of dead senders, then pace → claim → send → record, one row at
    a time. Any number of these may run at once (threads, processes, hosts): each reserves its own batches."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    summary = DeliverySummary()
    queue = DeliveryQueue(store, bounce_after=cfg.delivery.bounce_after, worker_id=worker_id)
    summary.recovered = queue.recover(clock())[0]
    if summary.recovered:
        log.warning("%d deliveries were interrupted by a previous run; marked unknown, not resent", summary.recovered)
    queue.register()
    pacer = Pacer(store, cfg.delivery.rate_limit)
    renderer = Renderer(store, cfg)
    own_transport = transport is None
    opened: Transport | None = transport
    touched: set[int] = set()
    after: tuple[int, str, int] = (0, "", 0)
    done = 0
    # The sender's claims and records run on one thread of their own, in order, while the transport talks
    # to the server; the queue's connection is used from that thread only.
    db = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="deliver-db")
    outcomes = _Outcomes(queue, db)
    ahead: concurrent.futures.Future[list[DueDelivery]] | None = None
    progress.start("delivering", limit)
    try:
        while limit is None or done < limit:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            size = BATCH if limit is None else min(BATCH, limit - done)
            batch = ahead.result() if ahead is not None else queue.reserve(clock(), after, size)
            ahead = None
            if len(batch) == BATCH and (limit is None or done + 2 * BATCH <= limit):
                # Reserve the next batch on the DB thread while this one is sent (rows reserved but never
                # claimed go back to the queue when the sender leaves, or dies).
                last = batch[-1]
                ahead = db.submit(queue.reserve, clock(), (last.edition_id, last.variant, last.id), BATCH)
            if not batch:
                # Nothing free. Rows of a sender that died meanwhile are taken over; while live senders still
                # hold rows, wait: one of them may die, and the run is over only when the queue is.
                unknown, released = queue.recover(clock())
                summary.recovered += unknown
                if released:
                    after = (0, "", 0)
                    continue
                if not queue.held_by_others():
                    break
                summary.bounced += outcomes.flush(clock())
                if stop is not None:
                    stop.wait(LINGER_SECONDS)
                else:
                    time.sleep(LINGER_SECONDS)
                continue
            for d in batch:
                if stop is not None and stop.is_set():
                    summary.stopped = True
                    break
                after = (d.edition_id, d.variant, d.id)
                touched.add(d.edition_id)
                done += 1
                progress.advance()
                t = clock()
                if d.subscriber.status is not SubscriberStatus.ACTIVE:
                    outcomes.add(
                        Outcome(
                            d.id,
                            DeliveryStatus.SKIPPED,
                            error=f"subscriber {d.subscriber.status}",
                            release=True,
                            from_states=PENDING,
                        )
                    )
                    summary.skipped += 1
                    continue
                try:
                    msg = message_for(
                        cfg,
                        renderer.get(d),
                        delivery_id=d.id,
                        message_id=d.message_id,
                        subscriber=d.subscriber,
                        links=links(cfg, d.subscriber),
                        date=t,
                    )
                except DeliveryError as exc:
                    # Bad data (e.g. a line break in a header): sending can never succeed; nothing went out.
                    outcomes.add(
                        Outcome(d.id, DeliveryStatus.FAILED, error=str(exc), release=True, from_states=PENDING)
                    )
                    summary.failed += 1
                    continue
                if pacer.interval:
                    # Wait for the slot BEFORE claiming: a sender killed while waiting has nothing in `sending`.
                    summary.bounced += outcomes.flush(t)
                    if not pacer.wait(stop):
                        summary.stopped = True
                        break
                if opened is None:
                    opened = make_transport(cfg)
                summary.bounced += outcomes.collect()
                # Outcomes that free releases or count bounces are recorded before this claim; plain `sent`
                # ones in batches, queued behind it so they are written while this message is on the wire.
                claim = db.submit(queue.claim, d.id, t, outcomes.urgent())
                outcomes.submit_if_due(t)
                overlapped = getattr(opened, "send_claimed", None)
                if overlapped is None:
                    claimed = claim.result()[0]
                    send = functools.partial(_plain_send, opened, msg) if claimed else _not_claimed
                else:
                    # The claim commits while the envelope (MAIL, RCPT) is on the wire; the transport waits for
                    # it before the message data, so the row is `sending` before anything is handed over.
                    send = functools.partial(_overlapped_send, overlapped, msg, claim)
                outcome, halt = _send(send, d, cfg, clock, summary)
                claimed, bounced = claim.result()
                summary.bounced += bounced
                if not claimed:
                    # The subscriber left since the batch was loaded (or the row is no longer ours).
                    if queue.skip_if_left(d.id, t):
                        summary.skipped += 1
                    continue
                if outcome is None:
                    continue
                outcomes.add(outcome)
                if halt:
                    summary.note, summary.stopped = halt, True
                    return summary
            else:
                continue
            break
    finally:
        try:
            summary.bounced += outcomes.flush(clock())
        finally:
            db.shutdown(wait=True)
            progress.done()
            if own_transport and opened is not None:
                opened.close()
            queue.unregister()
            summary.editions_finished = finish_editions(store, touched)
    return summary


class _Outcomes:
    """Outcomes not yet committed. Plain `sent` ones are recorded in batches (every RECORD_EVERY messages or
    RECORD_SECONDS) on the DB thread; any other outcome (deferred, failed, skipped, unknown) goes with the next
    claim, and everything before waiting, stopping or returning. A sender killed before its batch is written
    leaves those rows `sending`, which recovery makes `unknown`: they were handed over, so nothing is lost
    that was not sent, and nothing is sent twice."""

    def __init__(self, queue: DeliveryQueue, db: concurrent.futures.Executor) -> None:
        self.queue, self.db = queue, db
        self.items: list[Outcome] = []
        self.urgent_items = False  # one of the items is more than a plain `sent`
        self.since = time.monotonic()
        self.writing: list[concurrent.futures.Future[int]] = []

    def add(self, outcome: Outcome) -> None:
        self.items.append(outcome)
        self.urgent_items = self.urgent_items or not outcome.plain_sent

    def _take(self) -> list[Outcome]:
        items, self.items, self.urgent_items, self.since = self.items, [], False, time.monotonic()
        return items

    def urgent(self) -> list[Outcome]:
        """All items when one of them is more than a plain `sent` (to be recorded before the next claim)."""
        return self._take() if self.urgent_items else []

    def submit_if_due(self, now: dt.datetime) -> None:
        if len(self.items) >= RECORD_EVERY or (self.items and time.monotonic() - self.since >= RECORD_SECONDS):
            self.writing.append(self.db.submit(self.queue.record, self._take(), now))

    def collect(self) -> int:
        """Subscribers bounced by batches written meanwhile; a batch that failed raises here."""
        bounced = 0
        while self.writing and self.writing[0].done():
            bounced += self.writing.pop(0).result()
        return bounced

    def flush(self, now: dt.datetime) -> int:
        if self.items:
            self.writing.append(self.db.submit(self.queue.record, self._take(), now))
        bounced = 0
        while self.writing:
            bounced += self.writing.pop(0).result()
        return bounced


def _not_claimed() -> bool:
    return False


def _overlapped_send(
    send_claimed: Callable[[OutgoingMessage, Callable[[], bool]], bool],
    msg: OutgoingMessage,
    claim: concurrent.futures.Future[tuple[bool, int]],
) -> bool:
    return send_claimed(msg, lambda: claim.result()[0])


def _plain_send(transport: Transport, msg: OutgoingMessage) -> bool:
    transport.send(msg)
    return True


def _send(
    send: Callable[[], bool],
    d: DueDelivery,
    cfg: Config,
    clock: Callable[[], dt.datetime],
    summary: DeliverySummary,
) -> tuple[Outcome | None, str]:
    """Hand one claimed message to the transport; its outcome (None: the claim failed, nothing was sent), and
    why the run must stop ("" to go on)."""
    attempt = d.attempts + 1
    from_claimed = CLAIMED
    try:
        if not send():
            return None, ""
    except TransportUnavailable as exc:
        summary.deferred += 1
        retry = clock() + backoff(cfg, attempt)
        outcome = Outcome(d.id, DeliveryStatus.DEFERRED, exc.code, str(exc), retry, from_states=from_claimed)
        return outcome, f"transport unavailable, run stopped: {exc}"
    except TransientDeliveryError as exc:
        if attempt >= cfg.delivery.max_attempts:
            summary.failed += 1
            error = f"gave up after {attempt} attempts: {exc}"
            return Outcome(d.id, DeliveryStatus.FAILED, exc.code, error, release=True, from_states=from_claimed), ""
        summary.deferred += 1
        retry = clock() + backoff(cfg, attempt)
        return Outcome(d.id, DeliveryStatus.DEFERRED, exc.code, str(exc), retry, from_states=from_claimed), ""
    except PermanentDeliveryError as exc:
        summary.failed += 1
        outcome = Outcome(
            d.id,
            DeliveryStatus.FAILED,
            exc.code,
            str(exc),
            release=True,
            bounce_subscriber=d.subscriber.id,
            from_states=from_claimed,
        )
        return outcome, ""
    except ServerUnresponsive as exc:
        # The next message would most likely meet the same silence: stop, leave the rest queued.
        summary.unknown += 1
        outcome = Outcome(d.id, DeliveryStatus.UNKNOWN, error=str(exc), from_states=from_claimed)
        return outcome, f"no clear answer from the server after a message was handed over, run stopped: {exc}"
    except UnknownDeliveryError as exc:
        summary.unknown += 1
        return Outcome(d.id, DeliveryStatus.UNKNOWN, error=str(exc), from_states=from_claimed), ""
    summary.sent += 1
    return Outcome(d.id, DeliveryStatus.SENT, 250, from_states=from_claimed, at=clock()), ""
