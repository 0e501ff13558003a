"""Stored editions read back: a variant's items and rendering, previews, the edition list, what a subscriber follows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.digest.editions import (
    ReleaseTags,
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
from publisher.models import Release, ReleaseRegion, ReleaseTopic
from publisher.models.mail import Delivery, Edition, Subscriber

FOLLOWED_PAGE = 500  # releases looked at per query while collecting what a subscriber follows


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


def followed_release_ids(session: Session, topics: Sequence[str], regions: Sequence[str], limit: int) -> list[int]:
    """The newest `limit` releases a subscriber's topics and regions select, newest first (a private feed).

    `choose_items`, the digests' own rule, decides; nothing is left out for having been mailed already (a feed
    shows, it does not deliver). The query only narrows, to releases with any followed topic or region, read a
    page at a time in (published, id) order until `limit` are chosen."""
    r = Release.__table__.c
    rt, rr = ReleaseTopic.__table__.c, ReleaseRegion.__table__.c
    want_t, want_r = sorted(set(topics)), sorted(set(regions))
    narrow = []
    if want_t:
        narrow.append(exists().where(rt.release_id == r.id, rt.topic.in_(want_t)))
    if want_r:
        narrow.append(exists().where(rr.release_id == r.id, rr.region.in_(want_r)))
    query = select(r.id, r.published).order_by(r.published.desc(), r.id.desc()).limit(FOLLOWED_PAGE)
    if narrow:
        query = query.where(or_(*narrow))
    chosen: list[int] = []
    after: tuple[dt.date, int] | None = None
    while len(chosen) < limit:
        paged = (
            query
            if after is None
            else query.where(or_(r.published < after[0], and_(r.published == after[0], r.id < after[1])))
        )
        page = session.execute(paged).all()
        if not page:
            break
        ids = [rid for rid, _published in page]
        found: dict[int, tuple[set[str], set[str]]] = {rid: (set(), set()) for rid in ids}
        for rid, topic in session.execute(select(rt.release_id, rt.topic).where(rt.release_id.in_(ids))):
            found[rid][0].add(topic)
        for rid, region in session.execute(select(rr.release_id, rr.region).where(rr.release_id.in_(ids))):
            found[rid][1].add(region)
        tags = {
            rid: ReleaseTags(frozenset(found[rid][0]), frozenset(found[rid][1]), published, False)
            for rid, published in page
        }
        chosen += choose_items(tags, ids, want_t, want_r, set(), limit - len(chosen))
        after = (page[-1][1], page[-1][0])
    return chosen
