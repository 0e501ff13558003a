"""Make APScheduler's stored jobs match the config (on start and on SIGHUP), and apply operators' pauses."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler

from publisher import pipeline
from publisher.config import Config
from publisher.models import jobs as jobs_model
from publisher.models import utcnow
from publisher.scheduler.executor import ScheduledTimeExecutor
from publisher.scheduler.lanes import executor_alias
from publisher.store import Store

log = logging.getLogger("publisher.scheduler")
JOB_FUNC = "publisher.scheduler:fire"  # textual reference: the job store pickles this, never a closure


@dataclass
class ServiceInfo:
    """What the running service does, for its start-up message."""

    owner: str
    jobs: list[str] = field(default_factory=list)
    removed_jobs: list[str] = field(default_factory=list)
    web_url: str = ""
    resumed: list[str] = field(default_factory=list)


def sync_jobs(
    scheduler: BackgroundScheduler,
    cfg: Config,
    store: Store,
    executors: dict[str, ScheduledTimeExecutor],
    owner: str,
) -> ServiceInfo:
    """Make the stored APScheduler jobs match config: add new, replace changed, remove stale, keep unchanged.

    Unchanged jobs keep their stored next run time, so a run missed while the service was down still happens
    (once, coalesced) on start; replacing them would silently skip it.
    """
    info = ServiceInfo(owner=owner)
    tz = cfg.site.timezone
    wanted = {n: s for n, s in cfg.schedules.items() if s.enabled}
    now = utcnow()
    # No transaction stays open while APScheduler writes its table: on SQLite that would lock ourselves out.
    with store.session() as session:
        paused = jobs_model.paused_jobs(session)
        stored_hash = {n: jobs_model.job_state(session, n, now).config_hash for n in wanted}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            info.removed_jobs.append(job.id)
    new_hash: dict[str, str] = {}
    for name, sched in sorted(wanted.items()):
        alias = executor_alias(name)
        if name not in executors:
            executors[name] = ScheduledTimeExecutor(max_workers=1)
            scheduler.add_executor(executors[name], alias)
        fingerprint = pipeline.schedule_fingerprint(sched, tz)
        stored = scheduler.get_job(name)
        if stored is not None and stored.executor != alias and stored_hash[name] == fingerprint:
            # Stored by a version that ran every job on one worker; moving it keeps its next run time.
            scheduler.modify_job(name, executor=alias)
        if stored is None or stored_hash[name] != fingerprint:
            scheduler.add_job(
                JOB_FUNC,
                trigger=pipeline.schedule_trigger(sched, tz),
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=sched.misfire_grace_seconds,
                executor=alias,
            )
            new_hash[name] = fingerprint
        info.jobs.append(f"{name} ({sched.job}, {pipeline.describe_trigger(sched, tz)})")
    if new_hash:
        with store.session() as session:
            for name, fingerprint in new_hash.items():
                state = jobs_model.job_state(session, name, now)
                state.config_hash, state.updated_at = fingerprint, now
    apply_paused(scheduler, paused)
    return info


def apply_paused(scheduler: BackgroundScheduler, paused: set[str]) -> None:
    for job in scheduler.get_jobs():
        is_paused = job.next_run_time is None
        if job.id in paused and not is_paused:
            scheduler.pause_job(job.id)
            log.info("job=%s paused", job.id)
        elif job.id not in paused and is_paused:
            scheduler.resume_job(job.id)
            log.info("job=%s resumed", job.id)


# -- lifecycle
