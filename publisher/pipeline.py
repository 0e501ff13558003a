"""Orchestrate the steps (sources → ingest → tags/links → feeds → digests → delivery) for CLI, web and scheduler."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

import publisher.sources  # noqa: F401  (registers the built-in source kinds)
from publisher import ingest as ingest_step
from publisher import queries
from publisher.config import Config
from publisher.errors import ConfigError
from publisher.ingest import IngestResult
from publisher.models import Project, Release
from publisher.progress import NULL_PROGRESS, Progress
from publisher.sources.base import RecordKind, Source, make_source
from publisher.store import Store, open_store


@contextlib.contextmanager
def store_scope(cfg: Config, store: Store | None) -> Iterator[Store]:
    """The caller's store, or the configured one opened for this call and disposed after it (no leaked pools)."""
    if store is not None:
        yield store
        return
    own = open_store(cfg)
    try:
        yield own
    finally:
        own.dispose()


def configured_sources(cfg: Config, names: Sequence[str] | None = None) -> list[Source]:
    """Enabled sources (or the named ones), project sources first so releases can link to them."""
    known = {s.name for s in cfg.sources}
    for n in names or ():
        if n not in known:
            raise ConfigError(f"no source named {n!r} (configured: {', '.join(sorted(known)) or 'none'})", key="sources")
    chosen = [
        make_source(s, cfg, i)
        for i, s in enumerate(cfg.sources)
        if (s.name in names if names else s.enabled)
    ]
    return sorted(chosen, key=lambda s: 0 if s.kind is RecordKind.PROJECT else 1)


def check_config(cfg: Config) -> list[str]:
    """Validate what loading cannot: source kinds exist and files are readable. Returns notes for the operator."""
    notes = []
    for i, s in enumerate(cfg.sources):
        make_source(s, cfg, i)
        if s.path is not None and not s.path.is_file():
            raise ConfigError(f"file not found: {s.path}", key=f"sources[{i}].path")
        notes.append(f"source {s.name}: {s.kind} from {s.path or s.url}{'' if s.enabled else ' (disabled)'}")
    notes.append(f"store: {Store(cfg.database_url).display_url()}")
    notes.append(f"{len(cfg.taxonomy.topics)} topics, {len(cfg.taxonomy.regions)} regions")
    notes.append(f"{len(cfg.schedules)} schedules: {', '.join(sorted(cfg.schedules)) or 'none'}")
    return notes


@dataclass
class IngestSummary:
    results: list[IngestResult] = field(default_factory=list)

    @property
    def touched_feeds(self) -> set[str]:
        out: set[str] = set()
        for r in self.results:
            out |= r.touched_feeds
        return out

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.results)


def run_ingest(
    cfg: Config,
    store: Store | None = None,
    *,
    sources: Sequence[str] | None = None,
    skip_invalid: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> IngestSummary:
    """Ingest every configured source, each in its own transaction."""
    summary = IngestSummary()
    with store_scope(cfg, store) as st:
        for source in configured_sources(cfg, sources):
            summary.results.append(
                ingest_step.ingest_source(st, cfg, source, skip_invalid=skip_invalid, progress=progress)
            )
    return summary


def retag(cfg: Config, store: Store | None = None, *, progress: Progress = NULL_PROGRESS) -> tuple[int, set[str]]:
    """Recompute every release's tags and links (after a taxonomy or linking change)."""
    touched: set[str] = set()
    with store_scope(cfg, store) as st, st.session() as session:
        changed = ingest_step.relink_all(session, cfg, touched, progress)
    return len(changed), touched


def list_releases(cfg: Config, f: queries.ReleaseFilter, store: Store | None = None) -> list[Release]:
    with store_scope(cfg, store) as st, st.session() as session:
        return list(session.scalars(queries.release_query(f)))


def list_projects(cfg: Config, store: Store | None = None) -> list[Project]:
    with store_scope(cfg, store) as st, st.session() as session:
        return queries.list_projects(session)


def export_jsonl(cfg: Config, out: IO[str], f: queries.ReleaseFilter = queries.ReleaseFilter(),
                 store: Store | None = None) -> int:
    """Write one JSON object per release; returns how many."""
    n = 0
    with store_scope(cfg, store) as st, st.session() as session:
        for r in queries.iter_releases(session, f):
            out.write(json.dumps(queries.release_dict(r), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


# ---- run & jobs
# One full cycle (`publisher run --once`), the job functions the scheduler fires, and the operator's job
# commands (list, run, pause, resume, history). Every run is recorded in job_runs; inserting that row first, under
# the unique (job, scheduled_for) constraint, is what makes a scheduled run happen at most once.

import dataclasses as _dc  # noqa: E402
import datetime as _dt  # noqa: E402
import hashlib as _hashlib  # noqa: E402
import logging as _logging  # noqa: E402
import os as _os  # noqa: E402
import socket as _socket  # noqa: E402
import threading as _threading  # noqa: E402
from typing import Any as _Any  # noqa: E402

from sqlalchemy import column as _column, func as _func, inspect as _inspect, select as _select  # noqa: E402
from sqlalchemy import table as _table  # noqa: E402
from sqlalchemy.exc import IntegrityError as _IntegrityError  # noqa: E402

from publisher.config import ScheduleConfig  # noqa: E402
from publisher.errors import NotFoundError, PublisherError  # noqa: E402
from publisher.models import jobs as _jobs  # noqa: E402
from publisher.models import utcnow  # noqa: E402
from publisher.models.jobs import JobRun, JobRunStatus, JobState, JobTrigger  # noqa: E402
from publisher.models.mail import Subscriber, SubscriberStatus  # noqa: E402

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
        return int(session.scalar(
            _select(_func.count()).select_from(Subscriber).where(Subscriber.status == SubscriberStatus.ACTIVE)
        ) or 0)


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
        summary.feeds = build_feeds(  # type: ignore[name-defined]  # noqa: F821  (the feeds section defines it)
            cfg, store, touched=summary.ingest.touched_feeds or None, progress=progress
        )
        summary.active_subscribers = count_active_subscribers(store)
        # With nobody to send to, building an edition would only use up its period; build it once someone subscribed.
        if summary.active_subscribers and (stop is None or not stop.is_set()):
            summary.editions = build_editions(cfg, store, now=now)  # type: ignore[name-defined]  # noqa: F821
        if stop is None or not stop.is_set():
            summary.delivery = deliver(cfg, store, now=now, progress=progress, stop=stop)  # type: ignore[name-defined]  # noqa: F821
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
    cfg: Config, store: Store, kind: str, sched: ScheduleConfig | None, scheduled_for: _dt.datetime,
    progress: Progress, stop: _threading.Event | None,
) -> tuple[str, dict[str, int], _Any]:
    """Run one job's steps; returns (one-line summary, counts, step summary)."""
    if kind == "ingest":
        ing = run_ingest(cfg, store, progress=progress)
        text, counts = describe_ingest(ing), _ingest_counts(ing)
        if ing.changed:  # rebuild only the feeds the changed releases belong to
            feeds = build_feeds(cfg, store, touched=ing.touched_feeds, progress=progress)  # type: ignore[name-defined]  # noqa: F821
            text += f"; feeds: {_describe(feeds)}"
            counts.update(_counts(feeds, "feeds."))
        return text, counts, ing
    if kind == "feeds":
        feeds = build_feeds(cfg, store, progress=progress)  # type: ignore[name-defined]  # noqa: F821
        return _describe(feeds), _counts(feeds), feeds
    if kind == "digest":
        # The scheduled time, not the wall clock, picks the period: a late or repeated run builds the same edition.
        frequency = sched.frequency if sched is not None and sched.frequency else None
        if not count_active_subscribers(store):
            return "no active subscribers; no edition built", {}, None
        editions = build_editions(cfg, store, frequency=frequency, now=scheduled_for)  # type: ignore[name-defined]  # noqa: F821
        return _describe(editions), _counts(editions), editions
    if kind == "deliver":
        sent = deliver(cfg, store, progress=progress, stop=stop)  # type: ignore[name-defined]  # noqa: F821
        return _describe(sent), _counts(sent), sent
    if kind == "cycle":
        cycle = run_cycle(cfg, store, now=scheduled_for, progress=progress, stop=stop)
        return cycle.describe().replace("\n", "; "), cycle.counts(), cycle
    raise ConfigError(f"unknown job kind {kind!r}", key="schedules")


def _finish(store: Store, run_id: int, status: JobRunStatus, *, summary: str = "", error: str = "",
            counts: dict[str, int] | None = None) -> None:
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
    cfg: Config, store: Store, run_id: int, job: str, kind: str, sched: ScheduleConfig | None,
    scheduled_for: _dt.datetime, progress: Progress, stop: _threading.Event | None,
) -> JobRunResult:
    result = JobRunResult(job=job, kind=kind, scheduled_for=scheduled_for, status=JobRunStatus.RUNNING, run_id=run_id)
    _jobs_log.info("job=%s kind=%s scheduled_for=%s status=running", job, kind, scheduled_for.isoformat())
    try:
        result.summary, result.counts, result.detail = _job_work(cfg, store, kind, sched, scheduled_for, progress,
                                                                 stop)
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


def _claim(store: Store, *, job: str, kind: str, scheduled_for: _dt.datetime, trigger: JobTrigger, owner: str,
           skip_if_paused: bool) -> tuple[int | None, JobRunStatus | None]:
    """Insert the run record first; a unique-constraint clash means this (job, time) already ran or is running."""
    try:
        with store.session() as session:
            paused = skip_if_paused and bool(session.scalar(_select(JobState.paused).where(JobState.name == job)))
            status = JobRunStatus.SKIPPED if paused else JobRunStatus.RUNNING
            now = utcnow()
            run = JobRun(job=job, kind=kind, trigger=trigger, scheduled_for=scheduled_for, started_at=now,
                         finished_at=now if paused else None, status=status, owner=owner, attempt=1, counts={},
                         summary="", error="paused" if paused else "")
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
        run_id, status = _claim(store, job=name, kind=sched.job, scheduled_for=when, trigger=trigger,
                                owner=owner or process_owner(), skip_if_paused=trigger is JobTrigger.SCHEDULE)
        if run_id is None or status is None:
            _jobs_log.info("job=%s scheduled_for=%s already ran; nothing to do", name, when.isoformat())
            return JobRunResult(job=name, kind=sched.job, scheduled_for=when, status=None)
        if status is JobRunStatus.SKIPPED:
            _jobs_log.info("job=%s scheduled_for=%s status=skipped (paused)", name, when.isoformat())
            return JobRunResult(job=name, kind=sched.job, scheduled_for=when, status=status, error="paused",
                                run_id=run_id)
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
        run_id, _status = _claim(store, job=ONCE_JOB, kind="cycle", scheduled_for=when, trigger=JobTrigger.ONCE,
                                 owner=process_owner(), skip_if_paused=False)
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
        rows = list(session.scalars(
            _select(JobRun).where(JobRun.status == JobRunStatus.RUNNING, JobRun.trigger == JobTrigger.SCHEDULE,
                                  JobRun.owner != owner).order_by(JobRun.scheduled_for)
        ))
        todo: list[tuple[int, str, str, _dt.datetime]] = []
        for run in rows:
            sched = cfg.schedules.get(run.job)
            late = sched is None or now - run.scheduled_for > _dt.timedelta(seconds=sched.misfire_grace_seconds)
            if late or not sched.enabled:
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
            row.id: (_dt.datetime.fromtimestamp(row.next_run_time, _dt.UTC) if row.next_run_time is not None
                     else None)
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
                    _select(JobRun).where(JobRun.job == name).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)
                ).first()
                if not sched.enabled or name in paused:
                    next_run = None
                elif name in stored:
                    next_run = stored[name]
                else:
                    next_run = schedule_trigger(sched, cfg.site.timezone).get_next_fire_time(None, now)
                out.append(JobInfo(
                    name=name, kind=sched.job, trigger=describe_trigger(sched, cfg.site.timezone), enabled=sched.enabled,
                    paused=name in paused, next_run=next_run.astimezone(_dt.UTC) if next_run else None,
                    last_status=last.status.value if last else "", last_run=last.started_at if last else None,
                    last_error=last.error if last else "",
                ))
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


# ---- feeds (owner: feeds) ------------------------------------------------------------------------

from publisher import feeds as feeds_step  # noqa: E402
from publisher.feeds import FeedInfo, FeedsSummary  # noqa: E402


def build_feeds(
    cfg: Config,
    store: Store | None = None,
    *,
    touched: set[str] | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> FeedsSummary:
    """Bring cfg.feeds.dir up to date: only stale feeds and pages unless `full`; `touched` forces those feeds."""
    with store_scope(cfg, store) as st:
        return feeds_step.build(cfg, st, touched=touched, full=full, dry_run=dry_run, progress=progress)


def list_feeds(cfg: Config, store: Store | None = None) -> list[FeedInfo]:
    """Every feed the store calls for: key, files, URLs, entry count, newest update, whether it is built."""
    with store_scope(cfg, store) as st:
        return feeds_step.list_feeds(cfg, st)


# ---- subscribers & web
# Subscriber management for the CLI and the web pages; every function is one transaction, and mail is
# handed to the transport only after the change it announces is committed.

from email.message import EmailMessage as _EmailMessage  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

from publisher import subscribers as _subs  # noqa: E402
from publisher.errors import SubscriberError as _SubscriberError  # noqa: E402
from publisher.models.mail import Subscriber, SubscriberStatus  # noqa: E402




@dataclass
class SubscriberChange:
    """What `add_subscriber` did: the row, added/updated/unchanged, and whether a confirmation went out."""

    subscriber: Subscriber
    outcome: _subs.Outcome
    confirmation_sent: bool = False


def send_subscription_mail(cfg: Config, message: _EmailMessage, subscriber_id: int) -> None:
    """Hand a confirmation (or already-subscribed) mail to the configured transport; DeliveryError if refused."""
    import email.policy as _policy
    from email.utils import getaddresses as _getaddresses

    from publisher import delivery as _delivery
    from publisher.mailmsg import OutgoingMessage as _Outgoing

    recipient = _getaddresses([str(message["To"])])[0][1]
    out = _Outgoing(
        # Not a digest delivery: a negative id (minus the subscriber id) keeps outbox file names apart
        # from digest deliveries, and a newer confirmation for the same person replaces the older file.
        delivery_id=-subscriber_id,
        message_id=str(message["Message-ID"]),
        sender=cfg.digest.from_address,
        recipient=recipient,
        data=message.as_bytes(policy=_policy.SMTP),
    )
    transport = _delivery.make_transport(cfg)
    try:
        transport.send(out)
    finally:
        transport.close()


def add_subscriber(
    cfg: Config,
    email: str,
    *,
    name: str = "",
    topics: Sequence[str] = (),
    regions: Sequence[str] = (),
    frequency: str | None = None,
    active: bool = True,
    resubscribe: bool = False,
    store: Store | None = None,
) -> SubscriberChange:
    """Add or update one subscriber (operator action). A new pending subscriber gets a confirmation mail.

    Updating an existing address changes only what is given (a name, topics, regions, a frequency).
    """
    data = _subs.validate_subscriber(cfg, email, name=name, topics=topics, regions=regions, frequency=frequency)
    given = [f for f, v in (("name", name), ("topics", topics), ("regions", regions), ("frequency", frequency)) if v]
    status = SubscriberStatus.ACTIVE if active else SubscriberStatus.PENDING
    with store_scope(cfg, store) as own, own.session() as session:
        sub, outcome = _subs.upsert_subscriber(session, data, status=status, resubscribe=resubscribe, fields=given)
        message = None
        if sub.status is SubscriberStatus.PENDING and outcome is not _subs.Outcome.UNCHANGED:
            message = _subs.build_subscription_mail(cfg, sub, _subs.RequestAction.CONFIRM)
    if message is not None:
        send_subscription_mail(cfg, message, sub.id)
    return SubscriberChange(sub, outcome, message is not None)


def import_subscribers(
    cfg: Config,
    path: _Path,
    *,
    skip_invalid: bool = False,
    active: bool = True,
    dry_run: bool = False,
    store: Store | None = None,
) -> _subs.ImportResult:
    """Import a CSV (email,name,topics,regions,frequency) all-or-nothing in one transaction.

    Every row is validated first; any error aborts with `file:LINE: reason` lines unless skip_invalid.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _SubscriberError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise _SubscriberError(f"{path}: not UTF-8 (byte {exc.start})") from None
    rows, errors = _subs.parse_csv(cfg, text, str(path))
    if errors and not skip_invalid:
        shown = errors[:20]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise _SubscriberError(
            f"{len(errors)} invalid row(s), nothing imported (use --skip-invalid to import the rest):\n"
            + "\n".join(shown) + more
        )
    status = SubscriberStatus.ACTIVE if active else SubscriberStatus.PENDING
    with store_scope(cfg, store) as own, own.session() as session:
        result = _subs.import_rows(session, rows, status=status)
        result.skipped = errors
        if dry_run:
            session.rollback()
    return result


def list_subscribers(cfg: Config, status: str | None = None, store: Store | None = None) -> list[Subscriber]:
    with store_scope(cfg, store) as own, own.session() as session:
        return _subs.list_subscribers(session, SubscriberStatus(status) if status else None)


def remove_subscriber(cfg: Config, email: str, *, purge: bool = False, store: Store | None = None) -> str:
    """Unsubscribe an address (kept for the record) or, with purge, erase it and its delivery history."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.get_subscriber(session, email)
        if purge:
            _subs.purge(session, sub)
            return "purged"
        return "unsubscribed" if _subs.unsubscribe(sub) else "already unsubscribed"


def check_subscriber_form(cfg: Config, email: str, *, name: str | None = "", topics: Sequence[str] = (),
                          regions: Sequence[str] = (), frequency: str | None = None) -> _subs.SubscriberData:
    """Validate a subscribe form; InvalidSubscriberError.errors maps each bad field to its reason."""
    return _subs.validate_subscriber(cfg, email, name=name, topics=topics, regions=regions, frequency=frequency)


def request_subscription(
    cfg: Config,
    data: _subs.SubscriberData,
    *,
    limiter: _subs.SendLimiter | None = None,
    store: Store | None = None,
) -> bool:
    """Public subscribe form: store a pending request and mail the owner; True if a mail went out.

    The caller shows the same page whatever happened, so the form does not reveal who is subscribed.
    """
    from sqlalchemy.exc import IntegrityError

    for attempt in (1, 2):
        try:
            with store_scope(cfg, store) as own, own.session() as session:
                sub, action = _subs.request_subscription(session, data)
                message = _subs.build_subscription_mail(cfg, sub, action)
            break
        except IntegrityError:
            # Two submissions of the same new address at once: the other one inserted it; read it back.
            if attempt == 2:
                raise
    if limiter is not None and not limiter.allow(sub.email):
        return False
    send_subscription_mail(cfg, message, sub.id)
    return True


def subscriber_for_token(cfg: Config, token: str, purpose: _subs.TokenPurpose,
                         store: Store | None = None) -> Subscriber | None:
    """The subscriber a signed link names (TokenError if bad); None for an unsubscribe link of a purged row."""
    with store_scope(cfg, store) as own, own.session() as session:
        return _subs.resolve_token(session, cfg, token, purpose)


def confirm_subscription(cfg: Config, token: str, store: Store | None = None) -> tuple[Subscriber, bool]:
    """Double opt-in: activate the subscriber a confirm link names; (subscriber, changed)."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.CONFIRM)
        assert sub is not None  # confirm tokens never resolve to None
        return sub, _subs.confirm(sub)


def resend_confirmation(cfg: Config, token: str, *, limiter: _subs.SendLimiter | None = None,
                        store: Store | None = None) -> bool:
    """Send a fresh confirm link for a genuine but expired one; True if a mail went out."""
    try:
        _subs.read_token(cfg, token, _subs.TokenPurpose.CONFIRM)
        sid = None  # still valid: nothing to re-send, the link works
    except _subs.TokenError as exc:
        if not exc.expired or exc.subscriber_id is None:
            raise
        sid = exc.subscriber_id
    if sid is None:
        return False
    with store_scope(cfg, store) as own, own.session() as session:
        sub = session.get(Subscriber, sid)
        if sub is None or sub.status is SubscriberStatus.ACTIVE:
            return False
        message = _subs.build_subscription_mail(cfg, sub, _subs.RequestAction.CONFIRM)
    if limiter is not None and not limiter.allow(sub.email):
        return False
    send_subscription_mail(cfg, message, sub.id)
    return True


def save_preferences(cfg: Config, token: str, *, name: str, topics: Sequence[str], regions: Sequence[str],
                     frequency: str | None, store: Store | None = None) -> tuple[Subscriber, bool]:
    """Save the preferences form of a manage link; InvalidSubscriberError names bad fields."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.MANAGE)
        assert sub is not None  # manage tokens never resolve to None
        data = _subs.validate_subscriber(cfg, sub.email, name=name, topics=topics, regions=regions,
                                         frequency=frequency)
        return sub, _subs.update_preferences(sub, data)


def unsubscribe_by_token(cfg: Config, token: str, store: Store | None = None) -> bool:
    """Unsubscribe through a signed link (page or RFC 8058 one-click); idempotent, True if it changed anything."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.UNSUBSCRIBE)
        return sub is not None and _subs.unsubscribe(sub)


def subscriber_links_for(cfg: Config, subscriber: Subscriber) -> dict[str, str]:
    """The subscriber's manage / unsubscribe / one-click URLs (see subscribers.subscriber_links)."""
    return _subs.subscriber_links(cfg, subscriber)


# ---- digests (owner: digests) ------------------------------------------------------------------
# Editions, rendering and delivery; the logic lives in publisher.digest and publisher.delivery.

import datetime as _dt  # noqa: E402
import signal as _signal  # noqa: E402
import threading as _threading  # noqa: E402

from publisher import delivery as delivery_step  # noqa: E402
from publisher import digest as digest_step  # noqa: E402
from publisher.delivery import DeliverySummary, LinkProvider, Transport  # noqa: E402
from publisher.digest import EditionInfo, EditionsSummary, RenderedDigest  # noqa: E402
from publisher.errors import NotFoundError  # noqa: E402
from publisher.models import utcnow as _utcnow  # noqa: E402
from publisher.models.mail import Frequency as _Frequency  # noqa: E402
from publisher.models.mail import Subscriber as _Subscriber  # noqa: E402




def build_editions(
    cfg: Config,
    store: Store | None = None,
    *,
    frequency: str | None = None,
    period: str | None = None,
    now: _dt.datetime | None = None,
) -> EditionsSummary:
    """Build the edition of the most recently completed period of each frequency (or the given one) unless it
    exists; queue one delivery per subscriber with something new. Idempotent; one transaction per edition."""
    now = now or _utcnow()
    if period is not None:
        periods = [digest_step.parse_period(period, frequency)]
    else:
        freqs = [_Frequency(frequency)] if frequency else list(_Frequency)
        periods = [digest_step.last_completed_period(cfg, f, now) for f in freqs]
    summary = EditionsSummary()
    with store_scope(cfg, store) as st:
        for p in periods:
            with st.session() as session:
                summary.results.append(digest_step.build_edition(session, cfg, p, now=now))
    return summary


def deliver(
    cfg: Config,
    store: Store | None = None,
    *,
    limit: int | None = None,
    now: _dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
    transport: Transport | None = None,
    links: LinkProvider | None = None,
) -> DeliverySummary:
    """Send due deliveries (queued, and deferred whose retry time has come) through the configured transport.
    SIGTERM (or setting `stop`) finishes the message in hand, records it, and returns."""
    own_stop = stop is None and _threading.current_thread() is _threading.main_thread()
    stop = stop or _threading.Event()
    previous = None
    if own_stop:
        previous = _signal.signal(_signal.SIGTERM, lambda _sig, _frame: stop.set())
    try:
        with store_scope(cfg, store) as st:
            return delivery_step.run_deliveries(
                st, cfg, transport=transport, links=links or delivery_step.default_links, limit=limit, now=now,
                progress=progress, stop=stop,
            )
    finally:
        if own_stop:
            _signal.signal(_signal.SIGTERM, previous)


def digest_archive_page(cfg: Config, edition_id: int, variant: str, store: Store | None = None) -> str:
    """The web ("view in browser") copy of one variant: full HTML, no personal links. NotFoundError if unknown."""
    with store_scope(cfg, store) as st, st.session() as session:
        edition = digest_step.find_edition(session, edition_id)
        ids = digest_step.variant_release_ids(session, edition_id, variant)
        rendered = digest_step.render_edition_variant(session, cfg, edition, variant, ids, archive=True)
    generic = cfg.site.url("subscribe")
    html, _text = digest_step.personalise(rendered, "", {"manage": generic, "unsubscribe": generic})
    return html


def preview_digest(
    cfg: Config,
    period: str,
    *,
    frequency: str | None = None,
    subscriber: str | None = None,
    store: Store | None = None,
) -> RenderedDigest:
    """Render what an edition would carry (for one subscriber by e-mail, or everything), recording nothing.
    Links point at the generic subscribe page: previews are not for sending."""
    from sqlalchemy import select as _select

    p = digest_step.parse_period(period, frequency)
    with store_scope(cfg, store) as st, st.session() as session:
        sub = None
        if subscriber is not None:
            sub = session.scalars(_select(_Subscriber).where(_Subscriber.email == subscriber.strip().lower())).first()
            if sub is None:
                raise NotFoundError(f"no subscriber {subscriber!r}")
        items = digest_step.preview_items(session, cfg, p, sub)
    rendered = digest_step.render_digest(cfg, p, items)
    generic = cfg.site.url("subscribe")
    html, text = digest_step.personalise(rendered, sub.name if sub else "", {"manage": generic, "unsubscribe": generic})
    return RenderedDigest(rendered.subject, html, text, rendered.variant, rendered.count, rendered.preheader)


def list_editions(cfg: Config, store: Store | None = None) -> list[EditionInfo]:
    """Every edition, newest first, with delivery counts by status."""
    with store_scope(cfg, store) as st, st.session() as session:
        return digest_step.list_editions(session)
