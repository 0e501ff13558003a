"""Recorded job runs: claim (job, scheduled time) once, run the job's steps, record the outcome, resume the interrupted.

Every run is recorded in job_runs; inserting that row first, under the unique (job, scheduled_for) constraint, is
what makes a scheduled run happen at most once.
"""

from __future__ import annotations

import datetime as _dt
import logging as _logging
import threading as _threading
from dataclasses import dataclass, field
from typing import Any as _Any

from sqlalchemy import select as _select
from sqlalchemy.exc import IntegrityError as _IntegrityError

from publisher.config import Config, ScheduleConfig
from publisher.errors import ConfigError, NotFoundError, PublisherError
from publisher.models import utcnow
from publisher.models.jobs import JobRun, JobRunStatus, JobState, JobTrigger
from publisher.pipeline._scope import store_scope
from publisher.pipeline.content import run_ingest
from publisher.pipeline.cycle import (
    _counts,
    _describe,
    _ingest_counts,
    count_active_subscribers,
    describe_ingest,
    run_cycle,
)
from publisher.pipeline.digests import build_editions, deliver
from publisher.pipeline.feeds import build_feeds
from publisher.pipeline.runs_interrupted import mark_interrupted_runs
from publisher.pipeline.triggers import process_owner
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

_jobs_log = _logging.getLogger("publisher.jobs")
ONCE_JOB = "run-once"  # job name under which `publisher run --once` is recorded


@dataclass
class JobRunResult:
    """The outcome of one attempt to run a job; status None means the run was already claimed (nothing done)."""

    job: str
    kind: str
    scheduled_for: _dt.datetime
    status: JobRunStatus | None
    summary: str = ""
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None
    detail: _Any = None  # the step's own summary object (CycleSummary for cycles)

    def describe(self) -> str:
        when = f"{self.scheduled_for:%Y-%m-%d %H:%M:%S}Z"
        if self.status is None:
            return f"{self.job} ({when}): already ran, nothing done"
        text = f"{self.job} ({when}): {self.status.value}"
        if self.summary:
            text += f": {self.summary}"
        if self.error:
            text += f": {self.error}"
        return text


def _job_work(
    cfg: Config,
    store: Store,
    kind: str,
    sched: ScheduleConfig | None,
    scheduled_for: _dt.datetime,
    progress: Progress,
    stop: _threading.Event | None,
) -> tuple[str, dict[str, int], _Any]:
    """Run one job's steps; returns (one-line summary, counts, step summary)."""
    if kind == "ingest":
        ing = run_ingest(cfg, store, progress=progress)
        text, counts = describe_ingest(ing), _ingest_counts(ing)
        if ing.changed:  # rebuild only the feeds the changed releases belong to
            feeds = build_feeds(cfg, store, touched=ing.touched_feeds, progress=progress)
            text += f"; feeds: {_describe(feeds)}"
            counts.update(_counts(feeds, "feeds."))
        return text, counts, ing
    if kind == "feeds":
        feeds = build_feeds(cfg, store, progress=progress)
        return _describe(feeds), _counts(feeds), feeds
    if kind == "digest":
        # The scheduled time, not the wall clock, picks the period: a late or repeated run builds the same edition.
        frequency = sched.frequency if sched is not None and sched.frequency else None
        if not count_active_subscribers(store):
            return "no active subscribers; no edition built", {}, None
        editions = build_editions(cfg, store, frequency=frequency, now=scheduled_for)
        return _describe(editions), _counts(editions), editions
    if kind == "deliver":
        sent = deliver(cfg, store, progress=progress, stop=stop)
        return _describe(sent), _counts(sent), sent
    if kind == "mail":
        from publisher.pipeline.mail import process_mail  # deferred: only mail jobs open a mailbox

        mail = process_mail(cfg, store, stop=stop)
        return mail.describe(), _counts(mail, "mail."), mail
    if kind == "cycle":
        cycle = run_cycle(cfg, store, now=scheduled_for, progress=progress, stop=stop)
        return cycle.describe().replace("\n", "; "), cycle.counts(), cycle
    raise ConfigError(f"unknown job kind {kind!r}", key="schedules")


def _finish(
    store: Store,
    run_id: int,
    status: JobRunStatus,
    *,
    summary: str = "",
    error: str = "",
    counts: dict[str, int] | None = None,
) -> None:
    with store.session() as session:
        run = session.get(JobRun, run_id)
        if run is None:  # deleted by an operator meanwhile; nothing left to record
            return
        # A resumed run keeps its "resumed after ..." note unless it failed with a real error.
        run.status, run.summary = status, summary[:10_000]
        run.error = error[:10_000] or (run.error if run.attempt > 1 else "")
        run.counts = counts or {}
        run.finished_at = utcnow()


def _execute(
    cfg: Config,
    store: Store,
    run_id: int,
    job: str,
    kind: str,
    sched: ScheduleConfig | None,
    scheduled_for: _dt.datetime,
    progress: Progress,
    stop: _threading.Event | None,
) -> JobRunResult:
    result = JobRunResult(job=job, kind=kind, scheduled_for=scheduled_for, status=JobRunStatus.RUNNING, run_id=run_id)
    _jobs_log.info("job=%s kind=%s scheduled_for=%s status=running", job, kind, scheduled_for.isoformat())
    try:
        result.summary, result.counts, result.detail = _job_work(cfg, store, kind, sched, scheduled_for, progress, stop)
    except PublisherError as exc:
        result.status, result.error = JobRunStatus.FAILED, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug in a step must not kill the scheduler; it is recorded with its type
        _jobs_log.exception("job=%s crashed", job)
        result.status, result.error = JobRunStatus.FAILED, f"{type(exc).__name__}: {exc}"
    except BaseException:
        _finish(store, run_id, JobRunStatus.FAILED, error="interrupted")
        raise
    else:
        result.status = JobRunStatus.OK
    _finish(store, run_id, result.status, summary=result.summary, error=result.error, counts=result.counts)
    level = _logging.INFO if result.status is JobRunStatus.OK else _logging.ERROR
    _jobs_log.log(level, "job=%s kind=%s status=%s %s", job, kind, result.status.value, result.error or result.summary)
    return result


def _claim(
    store: Store,
    *,
    job: str,
    kind: str,
    scheduled_for: _dt.datetime,
    trigger: JobTrigger,
    owner: str,
    skip_if_paused: bool,
) -> tuple[int | None, JobRunStatus | None]:
    """Insert the run record first; a unique-constraint clash means this (job, time) already ran or is running."""
    try:
        with store.session() as session:
            paused = skip_if_paused and bool(session.scalar(_select(JobState.paused).where(JobState.name == job)))
            status = JobRunStatus.SKIPPED if paused else JobRunStatus.RUNNING
            now = utcnow()
            run = JobRun(
                job=job,
                kind=kind,
                trigger=trigger,
                scheduled_for=scheduled_for,
                started_at=now,
                finished_at=now if paused else None,
                status=status,
                owner=owner,
                attempt=1,
                counts={},
                summary="",
                error="paused" if paused else "",
            )
            session.add(run)
            session.flush()
            return run.id, status
    except _IntegrityError:
        return None, None


def _schedule(cfg: Config, name: str) -> ScheduleConfig:
    sched = cfg.schedules.get(name)
    if sched is None:
        configured = ", ".join(sorted(cfg.schedules)) or "none"
        raise NotFoundError(f"no job named {name!r} in [schedules] (configured: {configured})")
    return sched


def run_job(
    cfg: Config,
    store: Store | None,
    name: str,
    *,
    scheduled_for: _dt.datetime | None = None,
    trigger: JobTrigger = JobTrigger.MANUAL,
    owner: str | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
) -> JobRunResult:
    """Run the configured job `name` once for `scheduled_for` (default: now), recorded in job_runs.

    Idempotent per scheduled time: a second call for the same (job, scheduled_for) does nothing and returns a
    result with status None. Scheduled runs of a paused job are recorded as skipped; manual runs ignore pausing.
    Failures are recorded and returned, not raised.
    """
    with store_scope(cfg, store) as store:
        sched = _schedule(cfg, name)
        mark_interrupted_runs(cfg, store)
        when = (scheduled_for or utcnow()).astimezone(_dt.UTC).replace(microsecond=0)
        run_id, status = _claim(
            store,
            job=name,
            kind=sched.job,
            scheduled_for=when,
            trigger=trigger,
            owner=owner or process_owner(),
            skip_if_paused=trigger is JobTrigger.SCHEDULE,
        )
        if run_id is None or status is None:
            _jobs_log.info("job=%s scheduled_for=%s already ran; nothing to do", name, when.isoformat())
            return JobRunResult(job=name, kind=sched.job, scheduled_for=when, status=None)
        if status is JobRunStatus.SKIPPED:
            _jobs_log.info("job=%s scheduled_for=%s status=skipped (paused)", name, when.isoformat())
            return JobRunResult(
                job=name, kind=sched.job, scheduled_for=when, status=status, error="paused", run_id=run_id
            )
        return _execute(cfg, store, run_id, name, sched.job, sched, when, progress, stop)


def run_once(
    cfg: Config,
    store: Store | None = None,
    *,
    now: _dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
) -> JobRunResult:
    """`publisher run --once`: one recorded full cycle; `.detail` is the CycleSummary when it succeeded."""
    with store_scope(cfg, store) as store:
        mark_interrupted_runs(cfg, store)
        when = (now or utcnow()).astimezone(_dt.UTC).replace(microsecond=0)
        run_id, _status = _claim(
            store,
            job=ONCE_JOB,
            kind="cycle",
            scheduled_for=when,
            trigger=JobTrigger.ONCE,
            owner=process_owner(),
            skip_if_paused=False,
        )
        if run_id is None:
            return JobRunResult(job=ONCE_JOB, kind="cycle", scheduled_for=when, status=None)
        # `now` only pins the edition period when given; delivery then uses the same clock.
        result = _execute(cfg, store, run_id, ONCE_JOB, "cycle", None, when, progress, stop)
        return result


def recover_interrupted_runs(
    cfg: Config,
    store: Store,
    *,
    owner: str,
    now: _dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
) -> list[JobRunResult]:
    """Finish scheduled runs a dead scheduler left in `running`: rerun them for the same scheduled time.

    Called by the scheduler right after it took the lock, so no live process owns these rows. The steps are
    idempotent (unique editions and deliveries), so rerunning finishes the work without repeating it. Runs missed
    by more than their misfire grace, or whose schedule is gone, are marked failed instead.
    """
    now = now or utcnow()
    mark_interrupted_runs(cfg, store)  # the manual and --once runs; the scheduled ones are resumed below
    with store.session() as session:
        rows = list(
            session.scalars(
                _select(JobRun)
                .where(
                    JobRun.status == JobRunStatus.RUNNING, JobRun.trigger == JobTrigger.SCHEDULE, JobRun.owner != owner
                )
                .order_by(JobRun.scheduled_for)
            )
        )
        todo: list[tuple[int, str, str, _dt.datetime]] = []
        for run in rows:
            sched = cfg.schedules.get(run.job)
            late = sched is None or now - run.scheduled_for > _dt.timedelta(seconds=sched.misfire_grace_seconds)
            if late or sched is None or not sched.enabled:
                run.status, run.finished_at = JobRunStatus.FAILED, now
                run.error = f"interrupted: {run.owner} stopped mid-run; not resumed (schedule gone or too late)"
                continue
            previous = run.owner
            run.owner, run.attempt, run.started_at = owner, run.attempt + 1, now
            run.error = f"resumed after {previous} stopped mid-run"
            todo.append((run.id, run.job, run.kind, run.scheduled_for))
    results = []
    for run_id, job, kind, when in todo:
        if stop is not None and stop.is_set():
            break
        _jobs_log.warning("job=%s scheduled_for=%s resuming an interrupted run", job, when.isoformat())
        results.append(_execute(cfg, store, run_id, job, kind, cfg.schedules[job], when, progress, stop))
    return results
