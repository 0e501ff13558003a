"""Tables for scheduler run history, paused jobs and the single-scheduler lock, with their transactional guards."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from publisher.errors import SchedulerError
from publisher.models.base import Base
from publisher.models.content import _enum

__all__ = [
    "APSCHEDULER_TABLE",
    "LOCK_ID",
    "JobRun",
    "JobRunStatus",
    "JobState",
    "JobTrigger",
    "SchedulerLock",
]

# APScheduler creates and owns this table itself; migrations must neither create nor drop it.
APSCHEDULER_TABLE = "apscheduler_jobs"
LOCK_ID = 1  # the lock is a single row: whoever owns row 1 runs the scheduler


class JobRunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # the job was paused when its time came
    INTERRUPTED = "interrupted"  # its process was killed mid-run (a manual or --once run; never resumed)


class JobTrigger(StrEnum):
    SCHEDULE = "schedule"  # fired by `publisher run`
    MANUAL = "manual"  # `publisher jobs run NAME`
    ONCE = "once"  # `publisher run --once`


class JobRun(Base):
    """One run of one job; the unique (job, scheduled_for) pair makes a scheduled run happen at most once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scheduled_for", name="uq_job_runs_job_scheduled_for"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # ingest, feeds, digest, deliver, cycle
    trigger: Mapped[JobTrigger] = mapped_column(_enum(JobTrigger, "job_trigger"))
    scheduled_for: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[JobRunStatus] = mapped_column(_enum(JobRunStatus, "job_run_status"))
    owner: Mapped[str] = mapped_column(String(200), default="")  # which process ran it (host:pid:id)
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # >1: resumed after the owner died mid-run
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


class JobState(Base):
    """Operator state of a configured job that must survive restarts: paused or not, and its config fingerprint."""

    __tablename__ = "job_states"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    config_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime]


class SchedulerLock(Base):
    """At most one row (id 1): the scheduler process that may run jobs, kept alive by its heartbeat."""

    __tablename__ = "scheduler_lock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]


Index("ix_job_runs_status", JobRun.status)


def _lock_holder(row: SchedulerLock) -> str:
    return f"pid {row.pid} on host {row.hostname} since {row.started_at:%Y-%m-%d %H:%M:%S}Z"


def acquire_lock(
    session: Session,
    *,
    owner: str,
    hostname: str,
    pid: int,
    now: dt.datetime,
    stale_after: dt.timedelta,
    is_dead: bool | None = None,
) -> str | None:
    """Take the scheduler lock in this transaction, or raise SchedulerError naming the holder.

    A lock whose heartbeat is older than `stale_after` (or whose holder is known dead: `is_dead`) is taken over;
    the takeover is a conditional UPDATE, so of two processes racing for a stale lock only one wins.
    Returns the previous owner when a lock was taken over.
    """
    row = session.get(SchedulerLock, LOCK_ID)
    if row is None:
        # A concurrent insert makes the commit fail on the primary key; the caller reports that as held.
        session.add(
            SchedulerLock(id=LOCK_ID, owner=owner, hostname=hostname, pid=pid, started_at=now, heartbeat_at=now)
        )
        session.flush()
        return None
    if row.owner == owner:
        row.heartbeat_at = now
        return None
    stale = now - row.heartbeat_at > stale_after
    if not stale and not is_dead:
        raise SchedulerError(
            f"another scheduler is running ({_lock_holder(row)}; last heartbeat {row.heartbeat_at:%H:%M:%S}Z)"
        )
    previous = row.owner
    result = session.execute(
        update(SchedulerLock)
        .where(SchedulerLock.id == LOCK_ID, SchedulerLock.owner == previous)
        .values(owner=owner, hostname=hostname, pid=pid, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise SchedulerError("another scheduler took over the stale lock first")
    session.expire(row)
    return previous


def peek_lock(session: Session) -> SchedulerLock | None:
    return session.get(SchedulerLock, LOCK_ID)


def heartbeat_lock(session: Session, *, owner: str, now: dt.datetime) -> bool:
    """Refresh our heartbeat; False means the lock is no longer ours (taken over while we stalled)."""
    result = session.execute(
        update(SchedulerLock)
        .where(SchedulerLock.id == LOCK_ID, SchedulerLock.owner == owner)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def release_lock(session: Session, *, owner: str) -> bool:
    """Give the lock up if it is still ours."""
    result = session.execute(
        delete(SchedulerLock)
        .where(SchedulerLock.id == LOCK_ID, SchedulerLock.owner == owner)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def job_state(session: Session, name: str, now: dt.datetime) -> JobState:
    """The state row of a job, created (not paused) on first use."""
    state = session.get(JobState, name)
    if state is None:
        state = JobState(name=name, paused=False, config_hash="", updated_at=now)
        session.add(state)
        session.flush()
    return state


def paused_jobs(session: Session) -> set[str]:
    return set(session.scalars(select(JobState.name).where(JobState.paused.is_(True))))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: leave APScheduler's own table (and its index) out of autogenerate comparisons."""
    if type_ == "table" and name == APSCHEDULER_TABLE:
        return False
    table = getattr(obj, "table", None)
    return not (type_ in ("index", "column", "unique_constraint") and getattr(table, "name", None) == APSCHEDULER_TABLE)
