"""Which scheduled jobs may run at the same time: one worker per job, and the locks of what two kinds share."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Mapping

from publisher.config import Config
from publisher.scheduler.executor import ScheduledTimeExecutor

log = logging.getLogger("publisher.scheduler")

# Every job has its own one-thread executor, so a hung job holds only its own thread (issue 11, item 5). What
# must still not overlap is named here, by the resource both kinds would write:
#   ingest   two ingests of the same sources would insert the same releases twice over (unique-key clashes);
#   editions two builders of the same period would both try to insert its edition;
#   deliver  two senders would pace against the same rate limit from two places.
# Feeds builds need no lock here: the feeds folder has its own build lock (feeds/write.py), and a build reads one
# snapshot of the store. The web app and `publisher` commands in other processes take none of these locks.
RESOURCES: dict[str, tuple[str, ...]] = {
    "ingest": ("ingest",),
    "feeds": (),
    "digest": ("editions",),
    "deliver": ("deliver",),
    "mail": ("mail",),
    "cycle": ("deliver", "editions", "ingest"),
}
# An edition built while an ingest runs (or is due at the same time) would miss that ingest's releases until the
# next edition; digest builds therefore wait for such an ingest, up to a bound (see Service.ingest_wait_seconds).
INGESTING_KINDS = frozenset({"ingest", "cycle"})
WAITS_FOR_INGEST = frozenset({"digest"})


def executor_alias(job_name: str) -> str:
    """The APScheduler executor of one job (stored with the job, so it is stable across restarts)."""
    return f"job:{job_name}"


class Lanes:
    """The in-process locks of RESOURCES; taken in sorted order so two kinds never wait for each other in a ring."""

    def __init__(self) -> None:
        self._locks = {r: threading.Lock() for kinds in RESOURCES.values() for r in kinds}

    @contextlib.contextmanager
    def hold(self, kind: str, stop: threading.Event) -> Iterator[bool]:
        """Hold every lock `kind` needs; yields False (holding none) if `stop` was set while waiting."""
        held: list[threading.Lock] = []
        try:
            for resource in sorted(RESOURCES.get(kind, ())):
                lock = self._locks[resource]
                # Wait in slices so a stop request (SIGTERM) is noticed while another job holds the lock.
                while not lock.acquire(timeout=0.2):
                    if stop.is_set():
                        yield False
                        return
                held.append(lock)
            yield True
        finally:
            for lock in reversed(held):
                lock.release()


def ingest_pending(
    next_runs: Callable[[], Mapping[str, dt.datetime | None]],
    executors: Mapping[str, ScheduledTimeExecutor],
    cfg: Config,
    name: str,
    when: dt.datetime,
) -> list[str]:
    """Ingesting jobs other than `name` that are running, or due at or before `when` but not yet handed over.

    `next_runs` reads the job store's table itself, never through the scheduler: APScheduler's shutdown holds the
    job store lock while it waits for the workers, so a worker asking the scheduler then would never return.
    """
    names = [
        other
        for other, sched in sorted(cfg.schedules.items())
        if other != name and sched.job in INGESTING_KINDS and sched.enabled
    ]
    if not names:
        return []
    # The job store first, then the workers: APScheduler hands a due job to its worker before it stores the next
    # run time, so a run is always visible in one of the two.
    stored = next_runs()
    pending = []
    for other in names:
        due_at = stored.get(other)
        executor = executors.get(other)
        if (due_at is not None and due_at <= when) or (executor is not None and executor.busy(other)):
            pending.append(other)
    return pending


def wait_for_ingest(
    next_runs: Callable[[], Mapping[str, dt.datetime | None]],
    executors: Mapping[str, ScheduledTimeExecutor],
    cfg: Config,
    name: str,
    when: dt.datetime,
    stop: threading.Event,
    seconds: float,
) -> None:
    """Block digest job `name` (scheduled for `when`) until no ingest is pending, `seconds` pass, or stop is set."""
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    pending = ingest_pending(next_runs, executors, cfg, name, when)
    if pending:
        log.info("job=%s waits for %s to finish ingesting", name, ", ".join(pending))
    while pending and not stop.is_set():
        if dt.datetime.now(dt.UTC) >= deadline:
            log.warning(
                "job=%s: %s still ingesting after %g s; building without it (its releases reach the next edition)",
                name,
                ", ".join(pending),
                seconds,
            )
            return
        stop.wait(0.1)
        pending = ingest_pending(next_runs, executors, cfg, name, when)
