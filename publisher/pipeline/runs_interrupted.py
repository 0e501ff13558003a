"""Mark runs a killed process left `running` as interrupted, but only when their process is surely gone.

The rule (safe with several processes, on several hosts, sharing one PostgreSQL store): a run is marked only
when its owner ran on this host (same hostname) and that pid now is no process, a zombie, or a process that
started after the run did (the pid was reused). A run owned by another host, or with no recorded owner (from
before owners were recorded), is never touched from here: its own host's next command marks it. Scheduled job
runs are left to the scheduler, which resumes them when it takes its lock (recover_interrupted_runs).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.models import IngestRun, RunStatus, pid_alive, this_process, utcnow
from publisher.models.jobs import JobRun, JobRunStatus, JobTrigger
from publisher.pipeline._scope import store_scope
from publisher.store import Store

log = logging.getLogger("publisher.runs")
# /proc start times are derived from the boot time in whole seconds; runs' started_at is cut to seconds.
START_SLACK = dt.timedelta(seconds=2)


@dataclass(frozen=True)
class Interrupted:
    """One run marked interrupted: an ingest run (name = source) or a job run (name = job)."""

    table: str
    name: str
    started_at: dt.datetime
    owner: str

    def describe(self) -> str:
        return f"{self.name}, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC by {self.owner}"


def _local_pid(owner: str) -> int | None:
    """The pid in an owner "<role>:<host>:<pid>[:<id>]" when <host> is this host, else None."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return None
    return int(parts[2])


def _proc_stat(pid: int) -> tuple[str, dt.datetime] | None:
    """(state, start time) of a live pid from /proc (Linux); None where /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": comm may hold spaces and parentheses
    ticks = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return fields[0], dt.datetime.fromtimestamp(boot + ticks, dt.UTC)


def owner_gone(owner: str, started_at: dt.datetime) -> bool:
    """True only when the process that started a run at `started_at` surely no longer exists."""
    pid = _local_pid(owner)
    if pid is None:
        return False
    if not pid_alive(pid):
        return True
    # Alive (or another user's): a zombie or a newer process under the same pid still means the owner is gone.
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, process_started = stat
    if state in ("Z", "X"):  # dead, waiting to be reaped
        return True
    return process_started > started_at + START_SLACK  # a newer process has the pid: the owner is gone


def _mark(session: Session, model: type[IngestRun] | type[JobRun], rid: int, values: dict[str, Any]) -> bool:
    """Set `values` on run `rid` if it is still running (a Core UPDATE: its rowcount says whether it was)."""
    running = RunStatus.RUNNING if model is IngestRun else JobRunStatus.RUNNING
    done = session.connection().execute(update(model).where(model.id == rid, model.status == running).values(**values))
    return bool(done.rowcount)


def mark_interrupted_runs(cfg: Config, store: Store | None = None) -> list[Interrupted]:
    """Mark every ingest run and manual or --once job run whose process is surely gone as interrupted.

    Called at the start of every command that records runs. Each row is updated only while it is still
    `running`, so two processes doing this at once mark it once and never overwrite a finished run.
    """
    now = utcnow()
    me = this_process()
    marked: list[Interrupted] = []
    with store_scope(cfg, store) as st, st.session() as session:
        ingest = session.execute(
            select(IngestRun.id, IngestRun.source, IngestRun.started_at, IngestRun.owner).where(
                IngestRun.status == RunStatus.RUNNING, IngestRun.owner != ""
            )
        ).all()
        jobs = session.execute(
            select(JobRun.id, JobRun.job, JobRun.started_at, JobRun.owner).where(
                JobRun.status == JobRunStatus.RUNNING, JobRun.trigger != JobTrigger.SCHEDULE
            )
        ).all()
        for table, model, rows, status in (
            ("ingest", IngestRun, ingest, RunStatus.INTERRUPTED),
            ("job", JobRun, jobs, JobRunStatus.INTERRUPTED),
        ):
            for rid, name, started, owner in rows:
                if not owner_gone(owner, started):
                    continue
                error = f"interrupted: its process {owner} is gone (killed or crashed); marked by {me}"
                if _mark(session, model, rid, {"status": status, "finished_at": now, "error": error}):
                    marked.append(Interrupted(table, name, started, owner))
    for m in marked:
        log.warning("marked an interrupted %s run: %s", m.table, m.describe())
    return marked
