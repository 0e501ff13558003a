"""One delivery run: recover interrupted rows, then claim → send → record each due message through a transport."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from publisher.config import Config
from publisher.delivery.messages import LinkProvider, Renderer, default_links, message_for
from publisher.delivery.outcomes import PendingOutcomes
from publisher.delivery.pacing import Pacer
from publisher.delivery.queue import BATCH, DeliveryQueue, finish_editions
from publisher.delivery.rows import CLAIMED, PENDING, DueDelivery, Outcome, backoff
from publisher.delivery.transports import (
    OverlappingTransport,
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
    a time. Any number of these may run at once (threads, processes, hosts): each reserves its own batches.

    One thread does everything, in an order that keeps the server and the store busy at once: the row is
    claimed while the server reads the envelope, and the next message is built (and finished outcomes
    recorded, the next batch reserved) while the server takes this message's data."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    summary = DeliverySummary()
    queue = DeliveryQueue(store, bounce_after=cfg.delivery.bounce_after, worker_id=worker_id)
    summary.recovered = queue.recover(clock())[0]
    if summary.recovered:
        log.warning("%d deliveries were interrupted by a previous run; marked unknown, not resent", summary.recovered)
    queue.register()
    pacer = Pacer(store, cfg.delivery.rate_limit)
    builder = _Builder(cfg, Renderer(store, cfg), links, clock)
    outcomes = PendingOutcomes(queue)
    own_transport = transport is None
    opened: Transport | None = transport
    overlapping: bool | None = None  # whether `opened` is an OverlappingTransport (a protocol check is slow)
    touched: set[int] = set()
    after: tuple[int, str, int] = (0, "", 0)
    done = 0
    ahead: list[DueDelivery] | None = None
    progress.start("delivering", limit)
    try:
        while limit is None or done < limit:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            size = BATCH if limit is None else min(BATCH, limit - done)
            batch = ahead if ahead is not None else queue.reserve(clock(), after, size)
            ahead = None
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
            # The next batch is reserved while the last message of this one is on the wire (rows reserved but
            # never claimed go back to the queue when the sender leaves, or dies).
            reserve_next = len(batch) == BATCH and (limit is None or done + 2 * BATCH <= limit)
            for i, d in enumerate(batch):
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
                built = builder.take(d)
                if isinstance(built, DeliveryError):
                    # Bad data (e.g. a line break in a header): sending can never succeed; nothing went out.
                    outcomes.add(
                        Outcome(d.id, DeliveryStatus.FAILED, error=str(built), release=True, from_states=PENDING)
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
                upcoming = batch[i + 1] if i + 1 < len(batch) else None
                last = reserve_next and upcoming is None
                step = _Step(queue, outcomes, builder, d.id, t, upcoming, after if last else None)
                if overlapping is None:
                    overlapping = isinstance(opened, OverlappingTransport)
                send = (
                    functools.partial(opened.send_claimed, built, step.claimed, step.meanwhile)  # type: ignore[attr-defined]
                    if overlapping
                    else functools.partial(_plain_send, opened, built, step)
                )
                outcome, halt = _send(send, d, cfg, clock, summary)
                # The claim runs even when sending failed before it: the outcome is recorded from `sending`.
                claimed, bounced = step.claim_once()
                summary.bounced += bounced + step.bounced
                if claimed:
                    if outcome is not None:
                        outcomes.add(outcome)
                elif queue.skip_if_left(d.id, t):
                    # The subscriber left since the batch was loaded (or the row is no longer ours).
                    summary.skipped += 1
                step.reraise()  # only now: this message's outcome is noted first
                if halt:
                    summary.note, summary.stopped = halt, True
                    return summary
                if last:
                    ahead = step.reserved if step.reserved is not None else queue.reserve(clock(), after, BATCH)
            else:
                continue
            break
    finally:
        try:
            summary.bounced += outcomes.flush(clock())
        finally:
            progress.done()
            if own_transport and opened is not None:
                opened.close()
            queue.unregister()
            summary.editions_finished = finish_editions(store, touched)
    return summary


Built = OutgoingMessage | DeliveryError  # a message, or why this row's message can never be built


class _Builder:
    """Builds messages; the one for the next row while the current one is on the wire."""

    def __init__(self, cfg: Config, renderer: Renderer, links: LinkProvider, clock: Callable[[], dt.datetime]) -> None:
        self.cfg, self.renderer, self.links, self.clock = cfg, renderer, links, clock
        self.ready: tuple[int, Built] | None = None

    def build(self, d: DueDelivery) -> Built:
        try:
            return message_for(
                self.cfg,
                self.renderer.get(d),
                delivery_id=d.id,
                message_id=d.message_id,
                subscriber=d.subscriber,
                links=self.links(self.cfg, d.subscriber),
                date=self.clock(),
            )
        except DeliveryError as exc:
            return exc

    def prepare(self, d: DueDelivery) -> None:
        if d.subscriber.status is SubscriberStatus.ACTIVE:
            self.ready = (d.id, self.build(d))

    def take(self, d: DueDelivery) -> Built:
        ready, self.ready = self.ready, None
        return ready[1] if ready is not None and ready[0] == d.id else self.build(d)


class _Step:
    """What one message's conversation with the server interleaves: the row's claim (once, before the data) and,
    once the data is out, the work for what comes next. An error in that work waits until this message's
    reply has been read and its outcome noted (`reraise`), so a handed-over message is never left unrecorded."""

    def __init__(
        self,
        queue: DeliveryQueue,
        outcomes: PendingOutcomes,
        builder: _Builder,
        delivery_id: int,
        t: dt.datetime,
        upcoming: DueDelivery | None,
        reserve_after: tuple[int, str, int] | None,
    ) -> None:
        self.queue, self.outcomes, self.builder = queue, outcomes, builder
        self.delivery_id, self.t, self.upcoming, self.reserve_after = delivery_id, t, upcoming, reserve_after
        self.claim: tuple[bool, int] | None = None
        self.bounced = 0
        self.reserved: list[DueDelivery] | None = None
        self.error: BaseException | None = None

    def claim_once(self) -> tuple[bool, int]:
        # Outcomes that free releases or count bounces are recorded before this claim, in the same call.
        if self.claim is None:
            self.claim = self.queue.claim(self.delivery_id, self.t, self.outcomes.urgent())
        return self.claim

    def claimed(self) -> bool:
        return self.claim_once()[0]

    def meanwhile(self) -> None:
        try:
            self.bounced += self.outcomes.record_if_due(self.t)
            if self.upcoming is not None:
                self.builder.prepare(self.upcoming)
            if self.reserve_after is not None:
                self.reserved = self.queue.reserve(self.t, self.reserve_after, BATCH)
        except BaseException as exc:  # raised by `reraise`, after this message's outcome is noted
            self.error = exc

    def reraise(self) -> None:
        if self.error is not None:
            raise self.error


def _plain_send(transport: Transport, msg: OutgoingMessage, step: _Step) -> bool:
    if not step.claimed():
        return False
    transport.send(msg)
    step.meanwhile()
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
