"""Stored editions read back: a variant's items and rendering, previews, the edition list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.digest.editions import (
    candidate_release_ids,
    carried_over,
    choose_items,
    previous_edition,
    release_tags,
    sent_for,
)
from publisher.digest.items import items_for_ids
from publisher.digest.model import DigestItem, Follows, RenderedDigest
from publisher.digest.periods import Period, parse_period
from publisher.digest.render import render_digest
from publisher.errors import NotFoundError
from publisher.models.mail import Delivery, Edition, Subscriber


def archive_url(cfg: Config, edition_id: int, variant: str) -> str:
    return cfg.site.url(f"digests/{edition_id}/{variant}")


def find_edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFoundError(f"no digest edition {edition_id}")
    return edition


def edition_period(edition: Edition) -> Period:
    return parse_period(edition.period, edition.frequency)


def variant_release_ids(session: Session, edition_id: int, variant: str) -> list[int]:
    """The release ids of a variant (any delivery of it will do: same variant, same items)."""
    ids = session.scalars(
        select(Delivery.release_ids).where(Delivery.edition_id == edition_id, Delivery.variant == variant).limit(1)
    ).first()
    if ids is None:
        raise NotFoundError(f"digest edition {edition_id} has no variant {variant!r}")
    return list(ids)


def render_edition_variant(
    session: Session, cfg: Config, edition: Edition, variant: str, release_ids: Sequence[int], *, archive: bool = False
) -> RenderedDigest:
    period = edition_period(edition)
    items = items_for_ids(session, cfg, period, release_ids)
    view = archive_url(cfg, edition.id, variant)
    follows = variant_follows(edition, variant)
    return render_digest(
        cfg, period, items, variant=variant, view_url="" if archive else view, archive=archive, follows=follows
    )


def variant_follows(edition: Edition, variant: str) -> Follows:
    """What the subscribers of a variant followed when the edition was built (none: no preferences)."""
    return Follows.from_json((edition.stats or {}).get("follows", {}).get(variant))


def preview_items(session: Session, cfg: Config, period: Period, subscriber: Subscriber | None) -> list[DigestItem]:
    """What an edition for `period` would carry (for one subscriber, or everything), without recording anything."""
    existing = session.scalars(
        select(Edition).where(Edition.frequency == period.frequency, Edition.period == period.label)
    ).first()
    if existing is not None and subscriber is not None:
        row = session.scalars(
            select(Delivery).where(Delivery.edition_id == existing.id, Delivery.subscriber_id == subscriber.id)
        ).first()
        return items_for_ids(session, cfg, period, row.release_ids) if row else []
    prev = previous_edition(session, period)
    pool = candidate_release_ids(session, period, prev, cfg.digest.first_edition_lookback_days)
    if subscriber is None:
        ids = sorted(pool)
    else:
        carry = carried_over(session, prev).get(subscriber.id, set())
        tags = release_tags(session, pool | carry, period)
        sent = sent_for(session, [subscriber.id], pool | carry).get(subscriber.id, set())
        ids = choose_items(
            tags, sorted(pool | carry), subscriber.topics or [], subscriber.regions or [], sent, cfg.digest.max_items
        )
    items = items_for_ids(session, cfg, period, ids)
    return items[: cfg.digest.max_items]


@dataclass(frozen=True)
class EditionInfo:
    id: int
    frequency: str
    period: str
    status: str
    built_at: dt.datetime
    counts: dict[str, int]

    def describe(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items())) or "no deliveries"
        return f"{self.id:>5}  {self.frequency:<8} {self.period:<9} {self.status:<6} {counts}"


def list_editions(session: Session) -> list[EditionInfo]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for eid, status, n in session.execute(
        select(Delivery.edition_id, Delivery.status, func.count()).group_by(Delivery.edition_id, Delivery.status)
    ):
        counts[eid][str(status)] = n
    return [
        EditionInfo(e.id, str(e.frequency), e.period, str(e.status), e.built_at, counts.get(e.id, {}))
        for e in session.scalars(select(Edition).order_by(Edition.period_start.desc(), Edition.frequency))
    ]
