"""One full cycle, the jobs the scheduler fires, and the operator's job commands, each run recorded."""

from __future__ import annotations

import dataclasses as _dc
import datetime as _dt
import hashlib as _hashlib
import json
import logging as _logging
import os as _os
import socket as _socket
import threading as _threading
from dataclasses import dataclass, field
from typing import Any as _Any

from sqlalchemy import column as _column
from sqlalchemy import func as _func
from sqlalchemy import inspect as _inspect
from sqlalchemy import select as _select
from sqlalchemy import table as _table
from sqlalchemy.exc import IntegrityError as _IntegrityError

from publisher.config import Config, ScheduleConfig
from publisher.errors import ConfigError, NotFoundError, PublisherError
from publisher.models import jobs as _jobs
from publisher.models import utcnow
from publisher.models.jobs import JobRun, JobRunStatus, JobState, JobTrigger
from publisher.models.mail import Subscriber, SubscriberStatus
from publisher.pipeline._scope import store_scope
from publisher.pipeline.content import IngestSummary, run_ingest
from publisher.pipeline.digests import build_editions, deliver
from publisher.pipeline.feeds import build_feeds
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

# ---- run & jobs
# One full cycle (`publisher run --once`), the job functions the scheduler fires, and the operator's job
# commands (list, run, pause, resume, history). Every run is recorded in job_runs; inserting that row first, under
# the unique (job, scheduled_for) constraint, is what makes a scheduled run happen at most once.


_jobs_log = _logging.getLogger("publisher.jobs")
ONCE_JOB = "run-once"  # job name under which `publisher run --once` is recorded


def process_owner(role: str = "cli") -> str:
    """Who is running something, as recorded in job_runs.owner and the scheduler lock."""
    return f"{role}:{_socket.gethostname()}:{_os.getpid()}"


def schedule_trigger(sched: ScheduleConfig, timezone: str) -> _Any:
    """The APScheduler trigger for a schedule (cron in the site's timezone, or a fixed interval)."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if sched.cron:
        return CronTrigger.from_crontab(sched.cron, timezone=timezone)
    seconds = sched.interval_seconds or sched.interval_minutes * 60
    return IntervalTrigger(seconds=seconds, timezone=timezone)


def describe_trigger(sched: ScheduleConfig, timezone: str) -> str:
    if sched.cron:
        return f"cron '{sched.cron}' ({timezone})"
    if sched.interval_seconds:
        return f"every {sched.interval_seconds:g} s"
    return f"every {sched.interval_minutes:g} min"


def schedule_fingerprint(sched: ScheduleConfig, timezone: str) -> str:
    """Changes exactly when the stored APScheduler job must be replaced (trigger, tz, kind, grace)."""
    raw = json.dumps({**_dc.asdict(sched), "timezone": timezone}, sort_keys=True, default=str)
    return _hashlib.sha256(raw.encode()).hexdigest()


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


@dataclass(frozen=True)
class JobInfo:
    name: str
    kind: str
    trigger: str
    enabled: bool
    paused: bool
    next_run: _dt.datetime | None
    last_status: str
    last_run: _dt.datetime | None
    last_error: str


def _stored_next_runs(store: Store) -> dict[str, _dt.datetime | None]:
    """Next run times as the (possibly stopped) scheduler stored them; empty before its first start."""
    if not _inspect(store.engine).has_table(_jobs.APSCHEDULER_TABLE):
        return {}
    t = _table(_jobs.APSCHEDULER_TABLE, _column("id"), _column("next_run_time"))
    with store.engine.connect() as conn:
        return {
            row.id: (_dt.datetime.fromtimestamp(row.next_run_time, _dt.UTC) if row.next_run_time is not None else None)
            for row in conn.execute(_select(t.c.id, t.c.next_run_time))
        }


def list_jobs(cfg: Config, store: Store | None = None, *, now: _dt.datetime | None = None) -> list[JobInfo]:
    """Every configured job with its trigger, paused state, next run time and last run."""
    with store_scope(cfg, store) as store:
        now = now or utcnow()
        stored = _stored_next_runs(store)
        out = []
        with store.session() as session:
            paused = _jobs.paused_jobs(session)
            for name in sorted(cfg.schedules):
                sched = cfg.schedules[name]
                last = session.scalars(
                    _select(JobRun)
                    .where(JobRun.job == name)
                    .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                    .limit(1)
                ).first()
                if not sched.enabled or name in paused:
                    next_run = None
                elif name in stored:
                    next_run = stored[name]
                else:
                    next_run = schedule_trigger(sched, cfg.site.timezone).get_next_fire_time(None, now)
                out.append(
                    JobInfo(
                        name=name,
                        kind=sched.job,
                        trigger=describe_trigger(sched, cfg.site.timezone),
                        enabled=sched.enabled,
                        paused=name in paused,
                        next_run=next_run.astimezone(_dt.UTC) if next_run else None,
                        last_status=last.status.value if last else "",
                        last_run=last.started_at if last else None,
                        last_error=last.error if last else "",
                    )
                )
        return out


def set_job_paused(cfg: Config, name: str, paused: bool, store: Store | None = None) -> bool:
    """Pause or resume a job in the store (a running scheduler applies it within a heartbeat); True if changed."""
    _schedule(cfg, name)
    with store_scope(cfg, store) as store:
        with store.session() as session:
            state = _jobs.job_state(session, name, utcnow())
            changed = state.paused != paused
            state.paused = paused
            state.updated_at = utcnow()
        return changed


def job_history(cfg: Config, store: Store | None = None, *, job: str | None = None, limit: int = 20) -> list[JobRun]:
    """Recorded runs, newest first (also of jobs no longer configured)."""
    with store_scope(cfg, store) as store:
        with store.session() as session:
            q = _select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
            if job is not None:
                q = q.where(JobRun.job == job)
            rows = list(session.scalars(q))
        if job is not None and not rows and job not in cfg.schedules and job != ONCE_JOB:
            raise NotFoundError(f"no job named {job!r} and no recorded runs of it")
        return rows
