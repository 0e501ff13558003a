"""Store reads of the feeds step: the catalog (every release's tags, no text), feed members and full entries."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.orm import Session

from publisher.errors import FeedError
from publisher.feeds.model import (
    SAFE_SLUG,
    FeedEntry,
    FeedKind,
    FeedSpec,
    RelatedProject,
    Term,
    project_label,
    safe_href,
    stable_hash,
)
from publisher.models import (
    BodyFormat,
    Country,
    Project,
    Region,
    Release,
    ReleaseCountry,
    ReleaseProject,
    ReleaseRegion,
    ReleaseTopic,
    Topic,
)

CHUNK = 500
T = TypeVar("T")


@dataclass(slots=True)
class ReleaseSig:
    """The cheap part of a release: enough to order it, file it into feeds and fingerprint it (no text)."""

    id: int
    guid: str
    slug: str
    published: dt.date
    updated: dt.datetime
    content_hash: str
    created: dt.datetime
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    links: list[tuple[int, float, Any]] = field(default_factory=list)  # (project id, score, raw reasons)

    def fingerprint(self, project_slugs: dict[int, str]) -> str:
        links = sorted(
            (project_slugs.get(pid, ""), round(score, 6), repr(reasons)) for pid, score, reasons in self.links
        )
        return stable_hash(
            (
                self.guid,
                self.slug,
                self.content_hash,
                self.updated.isoformat(),
                sorted(self.topics),
                sorted(self.regions),
                sorted(self.countries),
                links,
            )
        )


@dataclass(frozen=True)
class ProjectRow:
    id: int
    slug: str
    name: str
    acronym: str
    url: str
    years: str
    updated: dt.datetime


@dataclass
class Catalog:
    """The store at a glance: taxonomy names, projects, and every release's tags in feed order (no bodies)."""

    topics: dict[str, str]
    regions: dict[str, str]
    countries: dict[str, str]
    projects: dict[int, ProjectRow]
    releases: list[ReleaseSig]  # newest first: published desc, id desc

    @property
    def project_slugs(self) -> dict[int, str]:
        return {p.id: p.slug for p in self.projects.values()}

    def specs(self) -> list[FeedSpec]:
        """Every feed the store calls for, in a stable order."""
        out = [FeedSpec(FeedKind.ALL)]
        out += [FeedSpec(FeedKind.TOPIC, slug, name) for slug, name in sorted(self.topics.items())]
        out += [FeedSpec(FeedKind.REGION, slug, name) for slug, name in sorted(self.regions.items())]
        for p in sorted(self.projects.values(), key=lambda p: p.slug):
            desc = f"News related to the project {project_label(_related(p, 0.0, ()))}"
            desc += f" ({p.years})." if p.years else "."
            out.append(
                FeedSpec(
                    FeedKind.PROJECT,
                    p.slug,
                    project_label(_related(p, 0.0, ())),
                    desc,
                    link=safe_href(p.url),
                    empty_updated=p.updated,
                )
            )
        for s in out:
            if s.slug and not SAFE_SLUG.match(s.slug):
                raise FeedError(f"{s.key}: slug {s.slug!r} cannot be a file name (letters, digits, '-', '_' only)")
        return out

    def memberships(self, limit: int) -> tuple[dict[str, list[ReleaseSig]], dict[str, int]]:
        """The newest `limit` releases of each feed, and each feed's total, in one pass over the releases."""
        topic_keys = {t: f"topic:{t}" for t in self.topics}
        region_keys = {x: f"region:{x}" for x in self.regions}
        project_keys = {p.id: f"project:{p.slug}" for p in self.projects.values()}
        members: dict[str, list[ReleaseSig]] = {}
        totals: dict[str, int] = {}
        for r in self.releases:
            keys = ["all"]
            keys += [topic_keys.get(t) or f"topic:{t}" for t in r.topics]
            keys += [region_keys.get(x) or f"region:{x}" for x in r.regions]
            keys += [project_keys[pid] for pid, _, _ in r.links if pid in project_keys]
            for k in keys:
                totals[k] = totals.get(k, 0) + 1
                lst = members.setdefault(k, [])
                if len(lst) < limit:
                    lst.append(r)
        return members, totals


def _related(p: ProjectRow, score: float, reasons: tuple[str, ...]) -> RelatedProject:
    return RelatedProject(slug=p.slug, name=p.name, acronym=p.acronym, url=p.url, score=score, reasons=reasons)


def load_catalog(session: Session) -> Catalog:
    """Bulk-read what every build needs: a handful of queries, independent of the number of feeds."""
    catalog = load_small_catalog(session)
    # Core statements on the session's connection: no ORM row bookkeeping for 100k-row reads.
    conn = session.connection()
    r, rt, rr, rc, rp = (m.__table__.c for m in (Release, ReleaseTopic, ReleaseRegion, ReleaseCountry, ReleaseProject))
    by_id: dict[int, ReleaseSig] = {}
    releases: list[ReleaseSig] = []
    q = select(r.id, r.guid, r.slug, r.published, r.updated_at, r.content_hash, r.created_at).order_by(
        r.published.desc(), r.id.desc()
    )
    for rid, guid, slug, published, updated, content_hash, created in conn.execute(q).all():
        sig = ReleaseSig(rid, guid, slug, published, updated, content_hash, created, [], [], [], [])
        by_id[rid] = sig
        releases.append(sig)
    for rid, topic in conn.execute(select(rt.release_id, rt.topic)).all():
        by_id[rid].topics.append(topic)
    for rid, region in conn.execute(select(rr.release_id, rr.region)).all():
        by_id[rid].regions.append(region)
    for rid, country in conn.execute(select(rc.release_id, rc.country)).all():
        by_id[rid].countries.append(country)
    # Reasons stay as stored (JSON text on SQLite) until an entry is rendered: decoding 100k of them per build
    # would cost more than the rest of the read.
    reasons_raw = type_coerce(rp.reasons, Text)
    for rid, pid, score, reasons in conn.execute(select(rp.release_id, rp.project_id, rp.score, reasons_raw)).all():
        by_id[rid].links.append((pid, score, reasons))
    catalog.releases.extend(releases)
    return catalog


def load_small_catalog(session: Session) -> Catalog:
    """The catalog without releases: taxonomy names and projects (a few hundred rows at most)."""
    topics = dict(session.execute(select(Topic.slug, Topic.name)).all())
    regions = dict(session.execute(select(Region.slug, Region.name)).all())
    countries = dict(session.execute(select(Country.code, Country.name)).all())
    projects = {
        p.id: ProjectRow(p.id, p.slug, p.name, p.acronym or "", p.url or "", p.years, p.updated_at)
        for p in session.scalars(select(Project))
    }
    return Catalog(topics, regions, countries, projects, [])


def load_sigs(session: Session, ids: Iterable[int]) -> dict[int, ReleaseSig]:
    """The compact rows (as load_catalog reads them) of the releases with these ids, by id; chunked lookups."""
    conn = session.connection()
    r, rt, rr, rc, rp = (m.__table__.c for m in (Release, ReleaseTopic, ReleaseRegion, ReleaseCountry, ReleaseProject))
    reasons_raw = type_coerce(rp.reasons, Text)
    by_id: dict[int, ReleaseSig] = {}
    for chunk in chunks(sorted(set(ids))):
        for rid, guid, slug, published, updated, content_hash, created in conn.execute(
            select(r.id, r.guid, r.slug, r.published, r.updated_at, r.content_hash, r.created_at).where(r.id.in_(chunk))
        ):
            by_id[rid] = ReleaseSig(rid, guid, slug, published, updated, content_hash, created, [], [], [], [])
        for rid, topic in conn.execute(select(rt.release_id, rt.topic).where(rt.release_id.in_(chunk))):
            by_id[rid].topics.append(topic)
        for rid, region in conn.execute(select(rr.release_id, rr.region).where(rr.release_id.in_(chunk))):
            by_id[rid].regions.append(region)
        for rid, country in conn.execute(select(rc.release_id, rc.country).where(rc.release_id.in_(chunk))):
            by_id[rid].countries.append(country)
        for rid, pid, score, reasons in conn.execute(
            select(rp.release_id, rp.project_id, rp.score, reasons_raw).where(rp.release_id.in_(chunk))
        ):
            by_id[rid].links.append((pid, score, reasons))
    return by_id


def chunks(items: Iterable[T]) -> Iterator[list[T]]:
    """Lists of at most CHUNK items: IN (...) lists stay well below every driver's parameter limit."""
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def feed_members(session: Session, spec: FeedSpec, limit: int, everything: int) -> tuple[list[int], int]:
    """Ids of the newest `limit` releases of one feed (published desc, id desc) and the feed's total.

    `everything` is the number of releases. Indexed queries only: the releases (published, id) index, probing
    the tag table's primary key, for "all" and large feeds; the tag table's index joined to releases for small
    ones; whichever touches fewer rows, so the cost follows the feed's size or share, not the store's.
    """
    r = Release.__table__.c
    order = (r.published.desc(), r.id.desc())
    if spec.kind is FeedKind.ALL:
        return list(session.scalars(select(r.id).order_by(*order).limit(limit))), everything
    if spec.kind is FeedKind.PROJECT:
        pid = session.scalar(select(Project.id).where(Project.slug == spec.slug))
        table, match = ReleaseProject.__table__, ReleaseProject.__table__.c.project_id == pid
    elif spec.kind is FeedKind.TOPIC:
        table, match = ReleaseTopic.__table__, ReleaseTopic.__table__.c.topic == spec.slug
    else:
        table, match = ReleaseRegion.__table__, ReleaseRegion.__table__.c.region == spec.slug
    total = session.scalar(select(func.count()).select_from(table).where(match)) or 0
    if total * total > limit * everything:
        # A large feed: walk releases newest first and keep members, about limit * everything / total probes.
        member = select(table.c.release_id).where(table.c.release_id == r.id, match).exists()
        query = select(r.id).where(member)
    else:
        # A small feed: all its members (one index range), sorted.
        query = select(r.id).select_from(Release.__table__.join(table, r.id == table.c.release_id)).where(match)
    ids = list(session.scalars(query.order_by(*order).limit(limit)))
    return ids, total


def load_entries(session: Session, catalog: Catalog, sigs: Iterable[ReleaseSig]) -> Iterator[FeedEntry]:
    """Full entries for `sigs` (text fetched in chunks of 500 by primary key), in the order given."""
    for chunk in chunks(sigs):
        rows = {
            r.id: r
            for r in session.execute(
                select(
                    Release.id,
                    Release.title,
                    Release.summary,
                    Release.body,
                    Release.url,
                    Release.published_precision,
                    Release.body_format,
                    Release.body_html,
                ).where(Release.id.in_([s.id for s in chunk]))
            )
        }
        for s in chunk:
            row = rows.get(s.id)
            if row is None:
                continue
            entry = _entry(s, row.title, row.summary, row.body, row.url, str(row.published_precision), catalog)
            # Only a body the source gave as HTML shows as HTML; text stays text whatever it looks like.
            yield replace(entry, body_html=row.body_html) if row.body_format == BodyFormat.HTML else entry


def _reasons(raw: Any) -> tuple[str, ...]:
    """Link reasons as loaded by load_catalog: JSON text (SQLite) or already a list (psycopg decodes json)."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(str(x) for x in value or ())


def _entry(s: ReleaseSig, title: str, summary: str, body: str, url: str, precision: str, catalog: Catalog) -> FeedEntry:
    links = sorted(
        (
            _related(catalog.projects[pid], score, _reasons(reasons))
            for pid, score, reasons in s.links
            if pid in catalog.projects
        ),
        key=lambda p: (-p.score, p.slug),
    )
    return FeedEntry(
        id=s.id,
        guid=s.guid,
        slug=s.slug,
        title=title,
        url=url,
        published=s.published,
        updated=s.updated,
        summary=summary,
        body=body,
        topics=tuple(Term(t, catalog.topics.get(t, t)) for t in sorted(s.topics)),
        regions=tuple(Term(t, catalog.regions.get(t, t)) for t in sorted(s.regions)),
        countries=tuple(Term(c, catalog.countries.get(c, c)) for c in sorted(s.countries)),
        projects=tuple(links),
        created=s.created,
        precision=precision,
    )
