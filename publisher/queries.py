"""Read-only queries over the store: release and project listings with their tags and links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from publisher.models import Project, Release, ReleaseCountry, ReleaseProject, ReleaseRegion, ReleaseTopic


@dataclass(frozen=True)
class ReleaseFilter:
    topic: str | None = None
    region: str | None = None
    country: str | None = None
    project: str | None = None  # project slug
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int | None = None


def release_query(f: ReleaseFilter = ReleaseFilter()) -> Select[Release]:
    """Releases matching `f`, newest first, with tags and links loaded in bulk."""
    q = select(Release).options(
        selectinload(Release.topics),
        selectinload(Release.regions),
        selectinload(Release.countries),
        selectinload(Release.project_links).selectinload(ReleaseProject.project),
    )
    if f.topic:
        q = q.where(Release.id.in_(select(ReleaseTopic.release_id).where(ReleaseTopic.topic == f.topic)))
    if f.region:
        q = q.where(Release.id.in_(select(ReleaseRegion.release_id).where(ReleaseRegion.region == f.region)))
    if f.country:
        q = q.where(
            Release.id.in_(select(ReleaseCountry.release_id).where(ReleaseCountry.country == f.country.upper()))
        )
    if f.project:
        q = q.where(
            Release.id.in_(
                select(ReleaseProject.release_id)
                .join(Project, Project.id == ReleaseProject.project_id)
                .where(Project.slug == f.project)
            )
        )
    if f.since:
        q = q.where(Release.published >= f.since)
    if f.until:
        q = q.where(Release.published <= f.until)
    q = q.order_by(Release.published.desc(), Release.id.desc())
    if f.limit:
        q = q.limit(f.limit)
    return q


def iter_releases(session: Session, f: ReleaseFilter = ReleaseFilter(), chunk: int = 500) -> Iterator[Release]:
    """Stream matching releases in chunks so exports of large stores stay flat in memory."""
    yield from session.scalars(release_query(f).execution_options(yield_per=chunk))


def release_dict(r: Release) -> dict[str, object]:
    """The export shape of one release (also used by `releases --json`)."""
    return {
        "guid": r.guid,
        "source": r.source,
        "source_id": r.external_id,
        "date": r.published.isoformat(),
        "date_precision": str(r.published_precision),
        "title": r.title,
        "url": r.url,
        "summary": r.summary,
        "body": r.body,
        "topics": [t.topic for t in r.topics],
        "countries": [c.country for c in r.countries],
        "regions": [x.region for x in r.regions],
        "projects": [
            {
                "name": link.project.name,
                "slug": link.project.slug,
                "score": link.score,
                "reasons": list(link.reasons),
                "evidence": list(link.evidence),
            }
            for link in sorted(r.project_links, key=lambda x: (-x.score, x.project.slug))
        ],
        "updated": r.updated_at.isoformat(),
    }


def list_projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.name)))
