"""Upsert project records, drop projects a source no longer lists, relink every release when they change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.classify import Classifier
from publisher.config import Config
from publisher.ingest.common import BATCH, IngestResult, batched, clean_record
from publisher.ingest.tagging import TAG_LOADS, Tagger, TagSet, feeds_of, page_key, write_tags
from publisher.ingest.taxonomy import sync_taxonomy
from publisher.link import (
    build_project_profile,
)
from publisher.models import (
    DatePrecision,
    Project,
    Release,
    ReleaseProject,
)
from publisher.progress import NULL_PROGRESS, Progress
from publisher.sources.base import ProjectRecord, Source
from publisher.text import (
    sha256,
    slugify,
)


def _project_hash(rec: ProjectRecord) -> str:
    return sha256(
        rec.name,
        rec.acronym,
        *rec.acronyms,
        *(f"alias:{a}" for a in rec.aliases),
        rec.objective,
        *rec.specific_objectives,
        rec.description,
        *rec.agencies,
        *rec.donors,
        rec.duration_text,
        str(rec.start_date),
        str(rec.end_date),
        *(p.value for p in (rec.start_precision, rec.end_precision) if p is not DatePrecision.DAY),
        *rec.countries,
        rec.url,
    )


def ingest_projects(
    session: Session,
    cfg: Config,
    source: Source,
    records: Iterable[ProjectRecord],
    result: IngestResult,
    now: dt.datetime,
    progress: Progress,
) -> None:
    classifier = Classifier(cfg.taxonomy)
    name = source.config.name
    existing = {p.slug: p for p in session.scalars(select(Project))}
    seen: set[str] = set()
    for rec in map(clean_record, records):
        slug = slugify(rec.name)
        if slug in seen:
            result.duplicates += 1
            continue
        seen.add(slug)
        digest = _project_hash(rec)
        row = existing.get(slug)
        if row is not None and row.content_hash == digest:
            result.unchanged += 1
            continue
        profile = build_project_profile(slug, rec, classifier)
        values = dict(
            source=name,
            name=rec.name,
            acronym=rec.acronym,
            acronyms=list(rec.acronyms),
            aliases=list(rec.aliases),
            objective=rec.objective,
            specific_objectives=list(rec.specific_objectives),
            description=rec.description,
            agencies=list(rec.agencies),
            donors=list(rec.donors),
            duration_text=rec.duration_text,
            start_date=rec.start_date,
            end_date=rec.end_date,
            start_precision=rec.start_precision,
            end_precision=rec.end_precision,
            url=rec.url,
            countries=sorted(profile.countries),
            topics=sorted(profile.topics),
            regions=sorted(profile.regions),
            content_hash=digest,
            updated_at=now,
        )
        if row is None:
            session.add(Project(slug=slug, created_at=now, **values))
            result.added += 1
        else:
            for k, v in values.items():
                setattr(row, k, v)
            result.updated += 1
        result.touched_feeds.add(f"project:{slug}")
        progress.advance(1)
    # A project source lists every current project: what it no longer lists has ended (unless we skipped some).
    orphaned: set[int] = set()
    if not result.skipped:
        gone = [row for slug, row in existing.items() if row.source == name and slug not in seen]
        if gone:
            # Their releases lose a link: note those releases' feeds before the rows (and links) are deleted.
            orphaned = set(
                session.scalars(
                    select(ReleaseProject.release_id).where(ReleaseProject.project_id.in_([p.id for p in gone]))
                )
            )
            result.touched_feeds |= feeds_of(session, Tagger(cfg, session), orphaned)
        for row in gone:
            session.delete(row)
            result.removed += 1
            result.touched_feeds.add(f"project:{row.slug}")
    session.flush()
    if result.added or result.updated or result.removed:
        changed = relink_all(session, cfg, result.touched_feeds, progress)
        result.relinked = len(changed | orphaned)


def relink_all(session: Session, cfg: Config, touched: set[str], progress: Progress = NULL_PROGRESS) -> set[int]:
    """Recompute tags and links of every release (projects or taxonomy changed); returns the ids that changed."""
    sync_taxonomy(session, cfg.taxonomy)
    tagger = Tagger(cfg, session)
    changed: set[int] = set()
    ids = list(session.scalars(select(Release.id).order_by(Release.id)))
    progress.start("relink", len(ids))
    for chunk in batched(ids, BATCH):
        updates: dict[int, TagSet] = {}
        for row in session.scalars(select(Release).where(Release.id.in_(chunk)).options(*TAG_LOADS)):
            before = TagSet.of(row)
            after = tagger.compute(row.title, row.body, row.published)
            if after != before:
                updates[row.id] = after
                touched |= tagger.feed_keys(before) | tagger.feed_keys(after)
                touched.add(page_key(row.slug))  # the page shows tags and related projects
        session.expunge_all()
        write_tags(session, updates, replace=True)
        changed |= set(updates)
        progress.advance(len(chunk))
    return changed
