"""Several senders in one process (`publisher deliver --workers N`), each with its own connection, one summary."""

from __future__ import annotations

import datetime as dt
import threading

from publisher.config import Config
from publisher.delivery.messages import LinkProvider, default_links
from publisher.delivery.run import DeliverySummary, run_deliveries
from publisher.store import Store


def merge_summaries(parts: list[DeliverySummary]) -> DeliverySummary:
    total = DeliverySummary()
    for p in parts:
        for name in ("sent", "deferred", "failed", "unknown", "skipped", "bounced", "recovered"):
            setattr(total, name, getattr(total, name) + getattr(p, name))
        total.stopped = total.stopped or p.stopped
        if p.note and p.note not in total.note:
            total.note = f"{total.note}; {p.note}" if total.note else p.note
        total.editions_finished = sorted(set(total.editions_finished) | set(p.editions_finished))
    return total


def run_workers(
    store: Store,
    cfg: Config,
    workers: int,
    *,
    links: LinkProvider = default_links,
    limit: int | None = None,
    now: dt.datetime | None = None,
    stop: threading.Event | None = None,
) -> DeliverySummary:
    """`workers` senders in threads sharing the queue (each reserves its own batches and opens its own
    transport) and the rate limit. `limit` applies to each. One failing sender stops the others."""
    stop = stop or threading.Event()
    results: list[DeliverySummary | None] = [None] * workers
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = run_deliveries(store, cfg, links=links, limit=limit, now=now, stop=stop)
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, args=(i,), name=f"deliver-{i + 1}") for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return merge_summaries([r for r in results if r is not None])
