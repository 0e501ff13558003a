"""Ingest entry points: one source in one transaction, and retag, each recorded in the ingest_runs history."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import NotModified
from publisher.ingest.common import IngestResult
from publisher.ingest.projects import ingest_projects, relink_all
from publisher.ingest.releases import ingest_releases
from publisher.ingest.taxonomy import sync_taxonomy
from publisher.models import (
    IngestRun,
    RunStatus,
    utcnow,
)
from publisher.progress import NULL_PROGRESS, Progress
from publisher.sources.base import RecordKind, Source
from publisher.sources.fetch import Validators, conditional_get
from publisher.store import Store

log = logging.getLogger(__name__)

RETAG_RUN = "retag"  # IngestRun.source of a `publisher retag`


def retag(store: Store, cfg: Config, progress: Progress = NULL_PROGRESS) -> tuple[set[int], set[str]]:
    """relink_all in one transaction, recorded as an ingest run like any other store change, so a touched-only
    feeds build (which trusts its manifest unless an unnamed run changed the store) knows these releases moved.
    Returns the changed release ids and the touched keys (with run:<id> when anything changed)."""
    touched: set[str] = set()
    with store.session() as session:
        run = IngestRun(source=RETAG_RUN, started_at=utcnow(), status=RunStatus.RUNNING, error="", details={})
        session.add(run)
        session.commit()
        run_id = run.id
    result = IngestResult(source=RETAG_RUN, kind=RecordKind.RELEASE)
    try:
        with store.session() as session:
            changed = relink_all(session, cfg, touched, progress)
            result.relinked = len(changed)
            finish_run(session.get_one(IngestRun, run_id), result, RunStatus.OK, "")
    except BaseException as exc:
        with store.session() as session:
            finish_run(
                session.get_one(IngestRun, run_id),
                IngestResult(source=RETAG_RUN, kind=RecordKind.RELEASE),
                RunStatus.FAILED,
                str(exc) or type(exc).__name__,
            )
        raise
    finally:
        progress.done()
    if changed:
        touched.add(f"run:{run_id}")
    return changed, touched


def ingest_source(
    store: Store,
    cfg: Config,
    source: Source,
    *,
    skip_invalid: bool = False,
    now: dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
) -> IngestResult:
    """Read one source and store it in a single transaction; on error nothing of it is kept."""
    now = now or utcnow()
    name = source.config.name
    result = IngestResult(source=name, kind=source.kind)
    remote = (source.config.url or "").startswith(("http://", "https://"))
    with store.session() as session:
        previous = _previous_validators(session, name) if remote else Validators()
        run = IngestRun(source=name, started_at=utcnow(), status=RunStatus.RUNNING, error="", details={})
        session.add(run)
        session.commit()
        run_id = run.id
    try:
        # The taxonomy sync commits on its own: holding its write lock while a slow source is fetched would block
        # every other writer (SQLite has one), starving the other scheduled jobs.
        with store.session() as session:
            sync_taxonomy(session, cfg.taxonomy)
        with store.session() as session, conditional_get(previous) as fetched:
            on_invalid = result.skipped.append if skip_invalid else None
            records: Iterator[object] = source.read(on_invalid)
            progress.start(f"ingest {name}")
            try:
                if source.kind is RecordKind.RELEASE:
                    ingest_releases(session, cfg, source, records, result, now, progress)  # type: ignore[arg-type]
                else:
                    ingest_projects(session, cfg, source, records, result, now, progress)  # type: ignore[arg-type]
            except NotModified:
                # The fetch comes before the first record, so nothing of this source was touched.
                result.not_modified = True
            if remote:
                kept = previous if result.not_modified else fetched.received
                result.http = {"etag": kept.etag, "last_modified": kept.last_modified}
            run = session.get_one(IngestRun, run_id)
            finish_run(run, result, RunStatus.OK, "")
        if result.changed:
            result.touched_feeds.add(f"run:{run_id}")
    except BaseException as exc:
        with store.session() as session:
            run = session.get_one(IngestRun, run_id)
            finish_run(
                run, IngestResult(source=name, kind=source.kind), RunStatus.FAILED, str(exc) or type(exc).__name__
            )
        raise
    finally:
        progress.done()
    log.info(
        "ingested %s: %d added, %d updated, %d unchanged, %d skipped",
        name,
        result.added,
        result.updated,
        result.unchanged,
        len(result.skipped),
    )
    return result


def _previous_validators(session: Session, source: str) -> Validators:
    """ETag and Last-Modified of this source's last successful run (kept in its details)."""
    details = session.scalars(
        select(IngestRun.details)
        .where(IngestRun.source == source, IngestRun.status == RunStatus.OK)
        .order_by(IngestRun.id.desc())
        .limit(1)
    ).first()
    http = (details or {}).get("http") or {}
    return Validators(str(http.get("etag", "")), str(http.get("last_modified", "")))


def finish_run(run: IngestRun, result: IngestResult, status: RunStatus, error: str) -> None:
    run.status = status
    run.finished_at = utcnow()
    run.added, run.updated, run.unchanged = result.added, result.updated, result.unchanged
    run.skipped = len(result.skipped)
    run.error = error
    run.details = {
        "duplicates": result.duplicates,
        "removed": result.removed,
        "relinked": result.relinked,
        "skipped": [f"{s.where}: {s.reason}" for s in result.skipped[:100]],
        "not_modified": result.not_modified,
    }
    if result.http:
        run.details["http"] = result.http
