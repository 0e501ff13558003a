"""One full cycle (ingest → feeds → due editions → delivery) and the one-line summaries of each step."""

from __future__ import annotations

import dataclasses as _dc
import datetime as _dt
import threading as _threading
from dataclasses import dataclass, field
from typing import Any as _Any

from sqlalchemy import func as _func
from sqlalchemy import select as _select

from publisher.config import Config
from publisher.models.mail import Subscriber, SubscriberStatus
from publisher.pipeline._scope import store_scope
from publisher.pipeline.content import IngestSummary, run_ingest
from publisher.pipeline.digests import build_editions, deliver
from publisher.pipeline.feeds import build_feeds
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store


def _describe(summary: object) -> str:
    describe = getattr(summary, "describe", None)
    return str(describe() if callable(describe) else summary)


def _counts(summary: object, prefix: str = "") -> dict[str, int]:
    """Numbers worth keeping from a step summary: int fields as they are, collections by size."""
    out: dict[str, int] = {}
    if not _dc.is_dataclass(summary):
        return out
    for f in _dc.fields(summary):
        value = getattr(summary, f.name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out[prefix + f.name] = value
        elif isinstance(value, (list, set, tuple, dict)):
            out[prefix + f.name] = len(value)
    return out


def _ingest_counts(summary: IngestSummary) -> dict[str, int]:
    totals = {"added": 0, "updated": 0, "unchanged": 0, "skipped": 0, "removed": 0}
    for r in summary.results:
        totals["added"] += r.added
        totals["updated"] += r.updated
        totals["unchanged"] += r.unchanged
        totals["skipped"] += len(r.skipped)
        totals["removed"] += r.removed
    return totals


def describe_ingest(summary: IngestSummary) -> str:
    if not summary.results:
        return "no sources configured"
    return "; ".join(
        f"{r.source}: {r.added} added, {r.updated} updated, {r.unchanged} unchanged"
        + (f", {len(r.skipped)} skipped" if r.skipped else "")
        + (f", {r.removed} removed" if r.removed else "")
        for r in summary.results
    )


def output_locations(cfg: Config) -> dict[str, str]:
    """Where a cycle's results end up, for the operator."""
    if cfg.delivery.transport == "outbox":
        mail = f"outbox {cfg.delivery.outbox_dir}"
    else:
        mail = f"SMTP {cfg.smtp.host}:{cfg.smtp.port}"
    return {"feeds": str(cfg.feeds.dir), "mail": mail}


@dataclass
class CycleSummary:
    """What one full cycle did: ingest → feeds → due editions → delivery."""

    ingest: IngestSummary
    feeds: _Any = None
    editions: _Any = None
    delivery: _Any = None
    active_subscribers: int = 0
    locations: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            **{f"ingest.{k}": v for k, v in _ingest_counts(self.ingest).items()},
            **_counts(self.feeds, "feeds."),
            **_counts(self.editions, "editions."),
            **_counts(self.delivery, "delivery."),
            "active_subscribers": self.active_subscribers,
        }

    def describe(self) -> str:
        lines = [f"ingest:     {describe_ingest(self.ingest)}"]
        if self.feeds is not None:
            lines.append(f"feeds:      {_describe(self.feeds)} (in {self.locations.get('feeds', '?')})")
        if self.editions is not None:
            lines.append(f"editions:   {_describe(self.editions)}")
        elif not self.active_subscribers:
            lines.append("editions:   none built (no active subscribers)")
        if self.delivery is not None:
            lines.append(f"delivery:   {_describe(self.delivery)} (via {self.locations.get('mail', '?')})")
        lines.append(f"subscribers: {self.active_subscribers} active")
        return "\n".join(lines)


def count_active_subscribers(store: Store) -> int:
    with store.session() as session:
        return int(
            session.scalar(
                _select(_func.count()).select_from(Subscriber).where(Subscriber.status == SubscriberStatus.ACTIVE)
            )
            or 0
        )


def run_cycle(
    cfg: Config,
    store: Store | None = None,
    *,
    now: _dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
) -> CycleSummary:
    """One full cycle: ingest every source, rebuild touched feeds, build due editions, deliver what is due.

    Each step commits on its own, so a failure later in the cycle keeps what earlier steps did.
    """
    with store_scope(cfg, store) as store:
        summary = CycleSummary(ingest=run_ingest(cfg, store, progress=progress), locations=output_locations(cfg))
        # Feeds are rebuilt even when ingest changed nothing: a non-full build finds stale feeds by itself (e.g. after
        # a separate `publisher ingest`), and writes nothing when all are current.
        summary.feeds = build_feeds(cfg, store, touched=summary.ingest.touched_feeds or None, progress=progress)
        summary.active_subscribers = count_active_subscribers(store)
        # With nobody to send to, building an edition would only use up its period; build it once someone subscribed.
        if summary.active_subscribers and (stop is None or not stop.is_set()):
            summary.editions = build_editions(cfg, store, now=now)
        if stop is None or not stop.is_set():
            summary.delivery = deliver(cfg, store, now=now, progress=progress, stop=stop)
        return summary
