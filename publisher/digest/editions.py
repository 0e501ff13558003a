"""Building editions: candidate releases, the items each subscriber gets, queued deliveries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.digest.items import load_releases
from publisher.digest.model import Follows, variant_key
from publisher.digest.periods import Period
from publisher.errors import DigestError
from publisher.models import IngestRun, Release
from publisher.models.mail import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Frequency,
    SentRelease,
    Subscriber,
    SubscriberStatus,
)

BATCH = 1000


@dataclass
class EditionResult:
    """What building one edition did."""

    frequency: str
    period: str
    edition_id: int | None = None
    created: bool = False
    deliveries: int = 0
    variants: int = 0
    empty: int = 0  # subscribers with nothing new (no message unless digest.send_empty)
    candidates: int = 0

    def describe(self) -> str:
        if not self.created:
            return f"{self.frequency} {self.period}: already built (edition {self.edition_id})"
        return (
            f"{self.frequency} {self.period}: edition {self.edition_id}, {self.deliveries} deliveries queued "
            f"in {self.variants} variants, {self.empty} subscribers with nothing new, {self.candidates} candidate releases"
        )


@dataclass
class EditionsSummary:
    """What one build_editions call did, per edition."""

    results: list[EditionResult] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for r in self.results if r.created)

    @property
    def deliveries(self) -> int:
        return sum(r.deliveries for r in self.results)

    def describe(self) -> str:
        if not self.results:
            return "no editions to build"
        return "; ".join(r.describe() for r in self.results)


def previous_edition(session: Session, period: Period) -> Edition | None:
    return session.scalars(
        select(Edition)
        .where(Edition.frequency == period.frequency, Edition.period_start < period.start)
        .order_by(Edition.period_start.desc())
        .limit(1)
    ).first()


def late_since(session: Session, prev: Edition) -> dt.datetime:
    """Releases stamped after this moment may have missed `prev`. Normally its build time; but an ingest that was
    still open when `prev` was built stamped its releases earlier and committed them later, so reach back to the
    start of every ingest run that had not finished by then (SentRelease still prevents any repeat)."""
    open_then = session.scalar(
        select(func.min(IngestRun.started_at)).where(
            IngestRun.started_at <= prev.built_at,
            (IngestRun.finished_at.is_(None)) | (IngestRun.finished_at >= prev.built_at),
        )
    )
    since = prev.built_at if open_then is None else min(prev.built_at, open_then)
    return since - dt.timedelta(seconds=1)  # created_at and started_at are both cut to whole seconds


def candidate_release_ids(session: Session, period: Period, prev: Edition | None, lookback_days: int = 0) -> set[int]:
    """Releases published in the period, plus late arrivals: published earlier but ingested after the
    previous edition of this frequency was built (so no earlier edition could have carried them).
    The very first edition of a frequency also reaches `lookback_days` back, to seed a new list."""
    ids = set(session.scalars(select(Release.id).where(Release.published.between(period.start, period.end))))
    if prev is not None:
        # Periods between the previous edition and this one (a missed run) belong to this edition.
        ids |= set(
            session.scalars(
                select(Release.id).where(Release.published > prev.period_end, Release.published < period.start)
            )
        )
        ids |= set(
            session.scalars(
                select(Release.id).where(
                    Release.published < period.start, Release.created_at > late_since(session, prev)
                )
            )
        )
    elif lookback_days > 0:
        since = period.start - dt.timedelta(days=lookback_days)
        ids |= set(session.scalars(select(Release.id).where(Release.published.between(since, period.start))))
    return ids


def carried_over(session: Session, prev: Edition | None) -> dict[int, set[int]]:
    """Per subscriber, releases of the previous edition's failed or skipped message: they go out next time."""
    if prev is None:
        return {}
    out: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(Delivery.subscriber_id, Delivery.release_ids).where(
            Delivery.edition_id == prev.id, Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED])
        )
    )
    for sid, ids in rows:
        out[sid].update(ids)
    return out


def matches(
    topics: Iterable[str], regions: Iterable[str], want_topics: Iterable[str], want_regions: Iterable[str]
) -> bool:
    """The preference rule: (no topic filter OR any shared topic) AND (no region filter OR any shared region).
    Pass frozensets to call it in a loop: frozenset() of a frozenset is the same object, no copy."""
    want_t, want_r = frozenset(want_topics), frozenset(want_regions)
    if want_t and want_t.isdisjoint(topics):
        return False
    return not want_r or not want_r.isdisjoint(regions)


@dataclass(frozen=True)
class ReleaseTags:
    topics: frozenset[str]
    regions: frozenset[str]
    published: dt.date
    in_period: bool


def release_tags(session: Session, ids: set[int], period: Period) -> dict[int, ReleaseTags]:
    out: dict[int, ReleaseTags] = {}
    for r in load_releases(session, ids):
        out[r.id] = ReleaseTags(
            frozenset(t.topic for t in r.topics),
            frozenset(x.region for x in r.regions),
            r.published,
            period.start <= r.published <= period.end,
        )
    return out


def choose_items(
    tags: Mapping[int, ReleaseTags],
    pool: Iterable[int],
    want_topics: Sequence[str],
    want_regions: Sequence[str],
    already_sent: set[int],
    max_items: int,
) -> list[int]:
    """Release ids for one subscriber: matching, never sent before, newest first, at most max_items."""
    want_t, want_r = frozenset(want_topics), frozenset(want_regions)
    # `matches`, inlined: this runs for every subscriber and candidate release.
    chosen = [
        rid
        for rid in pool
        if (t := tags.get(rid)) is not None
        and rid not in already_sent
        and (not want_t or not want_t.isdisjoint(t.topics))
        and (not want_r or not want_r.isdisjoint(t.regions))
    ]
    chosen.sort(key=lambda rid: (tags[rid].published, rid), reverse=True)
    return chosen[:max_items]


def _subscriber_batches(session: Session, frequency: Frequency) -> Iterator[list[tuple[int, list[str], list[str]]]]:
    last = 0
    while True:
        rows = session.execute(
            select(Subscriber.id, Subscriber.topics, Subscriber.regions)
            .where(
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscriber.frequency == frequency,
                Subscriber.id > last,
            )
            .order_by(Subscriber.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield [(r[0], list(r[1] or []), list(r[2] or [])) for r in rows]
        last = rows[-1][0]


def sent_for(session: Session, subscriber_ids: list[int], release_ids: set[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    if not release_ids:
        return out
    rows = session.execute(
        select(SentRelease.subscriber_id, SentRelease.release_id).where(
            SentRelease.subscriber_id.in_(subscriber_ids), SentRelease.release_id.in_(sorted(release_ids))
        )
    )
    for sid, rid in rows:
        out[sid].add(rid)
    return out


SWITCH_LOOKBACK_DAYS = 31  # a frequency switch leaves at most about one month uncovered


def switch_gaps(session: Session, subscriber_ids: list[int], period: Period) -> dict[int, dt.date]:
    """Per subscriber who switched frequency: the first day no edition of theirs covered yet (at most
    SWITCH_LOOKBACK_DAYS back). A monthly reader who turns weekly on the 18th was in no weekly edition
    of the 1st–17th, and will not be in that month's monthly edition: those days are a gap to fill."""
    ends: dict[int, dict[Frequency, dt.date]] = defaultdict(dict)
    rows = session.execute(
        select(Delivery.subscriber_id, Edition.frequency, func.max(Edition.period_end))
        .join(Edition, Edition.id == Delivery.edition_id)
        .where(Delivery.subscriber_id.in_(subscriber_ids), Edition.period_start < period.start)
        .group_by(Delivery.subscriber_id, Edition.frequency)
    )
    for sid, freq, end in rows:
        ends[sid][Frequency(freq)] = end
    floor = period.start - dt.timedelta(days=SWITCH_LOOKBACK_DAYS)
    gaps = {}
    for sid, by_freq in ends.items():
        other = max((end for f, end in by_freq.items() if f is not period.frequency), default=None)
        same = by_freq.get(period.frequency)
        if other is not None and (same is None or other > same):
            start = max(other + dt.timedelta(days=1), floor)
            if start < period.start:
                gaps[sid] = start
    return gaps


def new_message_id(cfg: Config, edition_id: int) -> str:
    return f"<digest.{edition_id}.{uuid.uuid4().hex}@{cfg.site.authority}>"


def build_edition(session: Session, cfg: Config, period: Period, *, now: dt.datetime) -> EditionResult:
    """Create the edition and one queued delivery per active subscriber with something to send, recording
    SentRelease rows at once so the next edition does not repeat them. Idempotent: an edition that
    exists is left alone. Runs inside the caller's transaction: all or nothing."""
    result = EditionResult(str(period.frequency), period.label)
    existing = session.scalars(
        select(Edition).where(Edition.frequency == period.frequency, Edition.period == period.label)
    ).first()
    if existing is not None:
        result.edition_id = existing.id
        return result
    prev = previous_edition(session, period)
    pool = candidate_release_ids(session, period, prev, cfg.digest.first_edition_lookback_days)
    carry = carried_over(session, prev)
    extra = set().union(*carry.values()) if carry else set()
    tags = release_tags(session, pool | extra, period)
    result.candidates = len(pool)

    edition = Edition(
        frequency=period.frequency,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        status=EditionStatus.BUILT,
        built_at=now,
        subject="",
        stats={},
    )
    session.add(edition)
    try:
        session.flush()
    except IntegrityError:
        # Another builder won the race on the unique (frequency, period): that edition stands.
        raise DigestError(f"edition {period.frequency} {period.label} is being built by another process") from None
    result.edition_id = edition.id
    variants: set[str] = set()
    # Variants of subscribers with preferences are grouped by those: kept with the edition, so the message
    # and the archive copy render as built even if the subscriber changes preferences before it is sent.
    variant_follows: dict[str, dict[str, list[str]]] = {}
    pool_sorted = sorted(pool)
    gap_ids: list[int] = []  # releases published in the lookback before the period (loaded on first need)
    for batch in _subscriber_batches(session, period.frequency):
        gaps = switch_gaps(session, [b[0] for b in batch], period)
        if gaps and not gap_ids:
            since = period.start - dt.timedelta(days=SWITCH_LOOKBACK_DAYS)
            gap_ids = sorted(
                session.scalars(select(Release.id).where(Release.published >= since, Release.published < period.start))
            )
            tags.update(release_tags(session, set(gap_ids) - tags.keys(), period))
        sent = sent_for(session, [b[0] for b in batch], pool | extra | (set(gap_ids) if gaps else set()))
        rows: list[dict[str, Any]] = []
        chosen_by_sub: dict[int, list[int]] = {}
        for sid, want_topics, want_regions in batch:
            gap = [rid for rid in gap_ids if tags[rid].published >= gaps[sid]] if sid in gaps else []
            ids = choose_items(
                tags,
                [*pool_sorted, *sorted(carry.get(sid, ())), *gap],
                want_topics,
                want_regions,
                sent.get(sid, set()),
                cfg.digest.max_items,
            )
            ids = list(dict.fromkeys(ids))
            if not ids:
                result.empty += 1
                if not cfg.digest.send_empty:
                    continue
            follows = Follows.of(want_topics, want_regions)
            key = variant_key(ids, follows)
            variants.add(key)
            if follows:
                variant_follows[key] = follows.to_json()
            chosen_by_sub[sid] = ids
            rows.append(
                {
                    "edition_id": edition.id,
                    "subscriber_id": sid,
                    "status": DeliveryStatus.QUEUED,
                    "message_id": new_message_id(cfg, edition.id),
                    "variant": key,
                    "release_ids": ids,
                    "attempts": 0,
                    "last_error": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if not rows:
            continue
        created = session.execute(
            insert(Delivery).returning(Delivery.id, Delivery.subscriber_id, sort_by_parameter_order=True), rows
        ).all()
        sent_rows = [
            {"subscriber_id": sid, "release_id": rid, "delivery_id": did}
            for did, sid in created
            for rid in chosen_by_sub[sid]
        ]
        if sent_rows:
            session.execute(insert(SentRelease), sent_rows)
        result.deliveries += len(created)
    result.variants = len(variants)
    edition.subject = f"{cfg.site.title}: {period.human}"  # per-variant subjects carry their own counts
    edition.stats = {
        "deliveries": result.deliveries,
        "variants": result.variants,
        "empty": result.empty,
        "candidates": result.candidates,
    }
    if variant_follows:
        edition.stats["follows"] = variant_follows
    if result.deliveries == 0:
        edition.status = EditionStatus.SENT  # nothing to hand over
    result.created = True
    return result
