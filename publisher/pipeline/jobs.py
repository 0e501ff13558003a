"""The operator's job commands: list configured jobs with their next and last runs, pause, resume, history; and
whether the running scheduler uses the schedules the config file now says."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlalchemy import column as _column
from sqlalchemy import inspect as _inspect
from sqlalchemy import select as _select
from sqlalchemy import table as _table

from publisher.config import Config
from publisher.errors import NotFoundError
from publisher.models import jobs as _jobs
from publisher.models import utcnow
from publisher.models.jobs import JobRun
from publisher.pipeline._scope import store_scope
from publisher.pipeline.runs import ONCE_JOB, _schedule
from publisher.pipeline.triggers import describe_trigger, schedule_fingerprint, schedule_trigger
from publisher.store import Store


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
    pending: str = ""  # how the file differs from what the running scheduler uses: "", added, changed, disabled


@dataclass(frozen=True)
class ScheduleDrift:
    """Schedules in the config file that the running scheduler does not use yet (it reads them on start or SIGHUP)."""

    pid: int
    hostname: str
    changes: dict[str, str]  # job name -> added | changed | disabled | removed

    def describe(self, config: str) -> str:
        listed = ", ".join(f"{name} ({change})" for name, change in sorted(self.changes.items()))
        return (
            f"{config} differs from the running scheduler (pid {self.pid} on host {self.hostname}): {listed}; "
            f"restart it or send SIGHUP (kill -HUP {self.pid}) to apply"
        )


def _drift(cfg: Config, store: Store, stored: dict[str, _dt.datetime | None]) -> ScheduleDrift | None:
    """Compare the file with the running scheduler: its job table, and the fingerprint it recorded per job."""
    with store.session() as session:
        lock = _jobs.peek_lock(session)
        if lock is None:  # no scheduler running: the file is what the next start uses
            return None
        hashes = {
            row.name: row.config_hash
            for row in session.execute(_select(_jobs.JobState.name, _jobs.JobState.config_hash))
        }
        pid, hostname = lock.pid, lock.hostname
    changes: dict[str, str] = {}
    for name, sched in cfg.schedules.items():
        if not sched.enabled:
            if name in stored:
                changes[name] = "disabled"
        elif name not in stored:
            changes[name] = "added"
        elif hashes.get(name) != schedule_fingerprint(sched, cfg.site.timezone):
            changes[name] = "changed"
    for name in stored:
        if name not in cfg.schedules:
            changes[name] = "removed"
    return ScheduleDrift(pid=pid, hostname=hostname, changes=changes) if changes else None


def schedule_drift(cfg: Config, store: Store | None = None) -> ScheduleDrift | None:
    """What the running scheduler would change on SIGHUP or restart; None when it runs what the file says."""
    with store_scope(cfg, store) as store:
        return _drift(cfg, store, stored_next_runs(store))


def stored_next_runs(store: Store) -> dict[str, _dt.datetime | None]:
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
    with store_scope(cfg, store, create=False) as store:
        now = now or utcnow()
        stored = stored_next_runs(store)
        drift = _drift(cfg, store, stored)
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
                        pending=drift.changes.get(name, "") if drift else "",
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
    with store_scope(cfg, store, create=False) as store:
        with store.session() as session:
            q = _select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
            if job is not None:
                q = q.where(JobRun.job == job)
            rows = list(session.scalars(q))
        if job is not None and not rows and job not in cfg.schedules and job != ONCE_JOB:
            raise NotFoundError(f"no job named {job!r} and no recorded runs of it")
        return rows
