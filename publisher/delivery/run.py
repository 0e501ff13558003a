"""One delivery run: recover interrupted rows, then claim → send → record each due message through a transport."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from publisher.config import Config
from publisher.delivery.messages import LinkProvider, Renderer, default_links, message_for
from publisher.delivery.queue import (
    BATCH,
    backoff,
    bounce,
    claim,
    due_batch,
    finish,
    finish_editions,
    recover_interrupted,
    skip_if_left,
)
from publisher.delivery.transports import Transport, TransportUnavailable, make_transport
from publisher.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from publisher.models import utcnow
from publisher.models.mail import DeliveryStatus, SubscriberStatus
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

log = logging.getLogger(__name__)


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
) -> DeliverySummary:
    """Send every due delivery once: recover interrupted rows, then claim → send → record, one row at a time."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    summary = DeliverySummary()
    summary.recovered = recover_interrupted(store, clock())
    if summary.recovered:
        log.warning("%d deliveries were interrupted by a previous run; marked unknown, not resent", summary.recovered)
    renderer = Renderer(store, cfg)
    own_transport = transport is None
    opened: Transport | None = transport
    touched: set[int] = set()
    after: tuple[int, str, int] = (0, "", 0)
    done = 0
    progress.start("delivering", limit)
    try:
        while limit is None or done < limit:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            with store.session() as session:
                batch = due_batch(session, clock(), after, BATCH if limit is None else min(BATCH, limit - done))
            if not batch:
                break
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
                    if finish(
                        store,
                        d.id,
                        t,
                        DeliveryStatus.SKIPPED,
                        error=f"subscriber {d.subscriber.status}",
                        release=True,
                        from_states=(DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED),
                    ):
                        summary.skipped += 1
                    continue
                rendered = renderer.get(d)
                try:
                    msg = message_for(
                        cfg,
                        rendered,
                        delivery_id=d.id,
                        message_id=d.message_id,
                        subscriber=d.subscriber,
                        links=links(cfg, d.subscriber),
                        date=t,
                    )
                except DeliveryError as exc:
                    # Bad data (e.g. a line break in a header): sending can never succeed; nothing went out.
                    if finish(
                        store,
                        d.id,
                        t,
                        DeliveryStatus.FAILED,
                        error=str(exc),
                        release=True,
                        from_states=(DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED),
                    ):
                        summary.failed += 1
                    continue
                if not claim(store, d.id, t):
                    # Someone else has it, or the subscriber left since the batch was loaded: then skip it.
                    if skip_if_left(store, d.id, t):
                        summary.skipped += 1
                    continue
                if opened is None:
                    opened = make_transport(cfg)
                try:
                    opened.send(msg)
                except TransportUnavailable as exc:
                    finish(
                        store,
                        d.id,
                        clock(),
                        DeliveryStatus.DEFERRED,
                        code=exc.code,
                        error=str(exc),
                        next_attempt=clock() + backoff(cfg, d.attempts + 1),
                    )
                    summary.deferred += 1
                    summary.note = f"transport unavailable, run stopped: {exc}"
                    summary.stopped = True
                    return summary
                except TransientDeliveryError as exc:
                    t = clock()
                    if d.attempts + 1 >= cfg.delivery.max_attempts:
                        finish(
                            store,
                            d.id,
                            t,
                            DeliveryStatus.FAILED,
                            code=exc.code,
                            release=True,
                            error=f"gave up after {d.attempts + 1} attempts: {exc}",
                        )
                        summary.failed += 1
                    else:
                        finish(
                            store,
                            d.id,
                            t,
                            DeliveryStatus.DEFERRED,
                            code=exc.code,
                            error=str(exc),
                            next_attempt=t + backoff(cfg, d.attempts + 1),
                        )
                        summary.deferred += 1
                except PermanentDeliveryError as exc:
                    t = clock()
                    finish(store, d.id, t, DeliveryStatus.FAILED, code=exc.code, error=str(exc), release=True)
                    summary.failed += 1
                    if bounce(store, cfg, d.subscriber.id, t):
                        summary.bounced += 1
                except UnknownDeliveryError as exc:
                    finish(store, d.id, clock(), DeliveryStatus.UNKNOWN, error=str(exc))
                    summary.unknown += 1
                else:
                    finish(store, d.id, clock(), DeliveryStatus.SENT, code=250)
                    summary.sent += 1
            else:
                continue
            break
    finally:
        progress.done()
        if own_transport and opened is not None:
            opened.close()
        summary.editions_finished = finish_editions(store, touched)
    return summary
