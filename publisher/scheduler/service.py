"""The long-running service: one APScheduler instance firing the configured jobs, plus the web app, under a lock."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from types import FrameType
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import IntegrityError

from publisher import pipeline
from publisher.config import Config, load_config
from publisher.errors import PublisherError, SchedulerError
from publisher.models import jobs as jobs_model
from publisher.models import pid_alive, utcnow
from publisher.models.jobs import JobTrigger
from publisher.scheduler.executor import ScheduledTimeExecutor
from publisher.scheduler.lanes import WAITS_FOR_INGEST, Lanes, wait_for_ingest
from publisher.scheduler.sync import ServiceInfo, apply_paused, sync_jobs
from publisher.store import Store, make_engine, open_store

log = logging.getLogger("publisher.scheduler")

HEARTBEAT_SECONDS = 20.0
STALE_AFTER = dt.timedelta(minutes=2)  # a lock not refreshed for this long belongs to a dead scheduler
# How long a digest build waits for an ingest that is running or due at the same time (see lanes.py). Past it,
# the edition is built anyway; the ingest's releases then reach the next edition as late arrivals, not lost.
INGEST_WAIT_SECONDS = 600.0

# The service whose jobs fire in this process; APScheduler calls `fire` by reference, so it looks the service up.
_active: Service | None = None


def fire(name: str, *, scheduled_for: dt.datetime | None = None) -> str:
    """APScheduler's entry point for every configured job: run it through the pipeline, recorded.

    ScheduledTimeExecutor always passes `scheduled_for`; the default only satisfies APScheduler's signature check.
    """
    service = _active
    if service is None:  # a job left in the store fired in a process that is not the service
        log.error("job=%s fired with no running service; ignored", name)
        return "no service"
    return service.run_scheduled(name, scheduled_for or utcnow())


# ---------------------------------------------------------------- the service


class Service:
    """Lock, scheduler, heartbeat and web server of one `publisher run` process."""

    def __init__(
        self,
        cfg: Config,
        store: Store | None = None,
        *,
        web: bool = True,
        host: str | None = None,
        port: int | None = None,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_after: dt.timedelta = STALE_AFTER,
        ingest_wait_seconds: float = INGEST_WAIT_SECONDS,
    ) -> None:
        self.cfg = cfg
        self.store = store or open_store(cfg)
        self.web, self.host, self.port = web, host, port
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_after = stale_after
        self.ingest_wait_seconds = ingest_wait_seconds
        self.lanes = Lanes()
        self._executors: dict[str, ScheduledTimeExecutor] = {}
        self.owner = f"scheduler:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop = threading.Event()  # set on SIGTERM/SIGINT: running steps finish the item in hand and return
        self.failure: BaseException | None = None
        self.reload_requested = threading.Event()  # set on SIGHUP; the main thread reloads (never the handler)
        self.scheduler: BackgroundScheduler | None = None
        self.server: Any = None
        self._threads: list[threading.Thread] = []
        self._locked = False
        self._jobstore_engine: Any = None

    # -- lock

    def _holder_is_dead(self) -> bool:
        """A lock held by a process on this host that no longer exists is free at once (no stale wait)."""
        with self.store.session() as session:
            row = jobs_model.peek_lock(session)
            if row is None or row.hostname != socket.gethostname() or row.pid == os.getpid():
                return False
            pid = row.pid
        return not pid_alive(pid)

    def acquire_lock(self) -> None:
        dead = self._holder_is_dead()
        try:
            with self.store.session() as session:
                previous = jobs_model.acquire_lock(
                    session,
                    owner=self.owner,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    now=utcnow(),
                    stale_after=self.stale_after,
                    is_dead=dead,
                )
        except IntegrityError:
            # Another process inserted the lock row between our read and our commit.
            with self.store.session() as session:
                row = jobs_model.peek_lock(session)
                holder = f"pid {row.pid} on host {row.hostname}" if row else "unknown"
            raise SchedulerError(f"another scheduler is running ({holder})") from None
        self._locked = True
        if previous:
            log.warning("took over the scheduler lock from %s (%s)", previous, "dead" if dead else "stale")

    def release_lock(self) -> None:
        if not self._locked:
            return
        with self.store.session() as session:
            jobs_model.release_lock(session, owner=self.owner)
        self._locked = False

    # -- jobs

    def run_scheduled(self, name: str, scheduled_for: dt.datetime) -> str:
        """One scheduled run on the job's own worker, after what it must not overlap with (lanes.py)."""
        if self.stop.is_set():
            return "stopping"
        cfg = self.cfg  # one config for the whole run, even if a reload swaps it meanwhile
        sched = cfg.schedules.get(name)
        kind = sched.job if sched is not None else ""
        if kind in WAITS_FOR_INGEST:
            next_runs = functools.partial(pipeline.stored_next_runs, self.store)
            wait_for_ingest(next_runs, self._executors, cfg, name, scheduled_for, self.stop, self.ingest_wait_seconds)
        with self.lanes.hold(kind, self.stop) as holding:
            if not holding:
                return "stopping"
            result = pipeline.run_job(
                cfg,
                self.store,
                name,
                scheduled_for=scheduled_for,
                trigger=JobTrigger.SCHEDULE,
                owner=self.owner,
                stop=self.stop,
            )
        return result.describe()

    def start(self) -> ServiceInfo:
        """Take the lock, finish interrupted runs, start the scheduler, heartbeat and web server."""
        global _active
        self.acquire_lock()
        try:
            _active = self
            self._jobstore_engine = make_engine(self.store.url)
            self._start_heartbeat()  # before recovery, which may take a while: the lock must stay fresh
            resumed = pipeline.recover_interrupted_runs(self.cfg, self.store, owner=self.owner, stop=self.stop)
            scheduler = BackgroundScheduler(
                # Its own engine: APScheduler disposes the job store's engine on shutdown, ours must live on.
                jobstores={
                    "default": SQLAlchemyJobStore(engine=self._jobstore_engine, tablename=jobs_model.APSCHEDULER_TABLE)
                },
                # Each configured job gets its own worker in sync_jobs; this one only runs a job stored by a
                # version that had no per-job workers until the sync moves it.
                executors={"default": ScheduledTimeExecutor(max_workers=1)},
                timezone=self.cfg.site.tz,
            )
            # Start paused so job sync happens against the real job store before anything fires.
            scheduler.start(paused=True)
            self.scheduler = scheduler
            info = sync_jobs(scheduler, self.cfg, self.store, self._executors, self.owner)
            info.resumed = [r.describe() for r in resumed]
            scheduler.resume()
            if self.web:
                info.web_url = self._start_web()
            return info
        except BaseException:
            self.shutdown()
            raise

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self.stop.wait(self.heartbeat_seconds):
                try:
                    with self.store.session() as session:
                        ours = jobs_model.heartbeat_lock(session, owner=self.owner, now=utcnow())
                        paused = jobs_model.paused_jobs(session)
                    if not ours:
                        self.failure = SchedulerError("lost the scheduler lock (another scheduler took it over)")
                        log.error("%s; stopping", self.failure)
                        self._locked = False
                        self.stop.set()
                        return
                    if self.scheduler is not None:
                        apply_paused(self.scheduler, paused)
                except Exception:  # a database hiccup must not kill the heartbeat; the next beat retries
                    log.exception("heartbeat failed")

        t = threading.Thread(target=beat, name="publisher-heartbeat", daemon=True)
        t.start()
        self._threads.append(t)

    def _start_web(self) -> str:
        try:
            from publisher.web import make_server  # type: ignore[import-not-found,unused-ignore]
        except ModuleNotFoundError as exc:
            if exc.name != "publisher.web":
                raise
            log.warning("web app not available (publisher.web missing); running jobs only")
            return ""
        self.server = make_server(self.cfg, self.store, self.host, self.port)
        t = threading.Thread(target=self.server.serve_forever, name="publisher-web", daemon=True)
        t.start()
        self._threads.append(t)
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def wait(self) -> None:
        """Block until stop is set (signal, lost lock), reloading the config whenever SIGHUP asked for it."""
        while not self.stop.wait(0.2):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()

    def reload(self) -> bool:
        """Re-read and validate the config file and apply its schedules; on any error keep the ones in use.

        Jobs already running finish with the config they started with. Settings read only at start (the
        database, the web server's address) are not changed by a reload: a different database URL is refused.
        """
        path, scheduler = self.cfg.path, self.scheduler
        if path is None or scheduler is None:
            log.error("reload: no config file to re-read; keeping the schedule in use")
            return False
        try:
            new = load_config(path)
        except (PublisherError, OSError) as exc:
            log.error("reload of %s failed, keeping the schedule in use: %s: %s", path, type(exc).__name__, exc)
            return False
        if new.database_url != self.cfg.database_url:
            log.error("reload of %s: the database changed; restart to use it (keeping the schedule in use)", path)
            return False
        if (new.web.host, new.web.port) != (self.cfg.web.host, self.cfg.web.port):
            log.warning("reload of %s: the web server keeps its address until a restart", path)
        old, self.cfg = self.cfg, new
        try:
            info = sync_jobs(scheduler, self.cfg, self.store, self._executors, self.owner)
        except Exception:
            self.cfg = old
            log.exception("reload of %s failed while applying it; keeping the schedule in use", path)
            sync_jobs(scheduler, self.cfg, self.store, self._executors, self.owner)
            return False
        log.info(
            "reloaded %s: jobs %s%s",
            path,
            "; ".join(info.jobs) or "none",
            f"; removed {', '.join(info.removed_jobs)}" if info.removed_jobs else "",
        )
        return True

    def shutdown(self) -> None:
        """Finish the job in hand, stop serving, release the lock. Safe to call more than once."""
        global _active
        self.stop.set()
        if self.scheduler is not None:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self._jobstore_engine is not None:
            # Again, after the scheduler thread has ended: it may have opened a connection after APScheduler's dispose.
            self._jobstore_engine.dispose()
            self._jobstore_engine = None
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()
        try:
            self.release_lock()
        finally:
            if _active is self:
                _active = None


def serve_forever(
    cfg: Config,
    *,
    web: bool = True,
    host: str | None = None,
    port: int | None = None,
    on_start: Callable[[ServiceInfo], None] | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    """`publisher run`: start the service, run until SIGTERM/SIGINT, shut down gracefully; SIGHUP reloads config.

    Raises SchedulerError when another scheduler holds the lock, or when this one lost it while running.
    """
    service = Service(cfg, web=web, host=host, port=port, heartbeat_seconds=heartbeat_seconds)
    previous: dict[int, Any] = {}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the job in hand, then stopping", signal.Signals(signum).name)
        service.stop.set()

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        service.reload_requested.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, on_signal)
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_hangup)
    try:
        info = service.start()
        if on_start is not None:
            on_start(info)
        service.wait()
    finally:
        service.shutdown()
        service.store.dispose()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if service.failure is not None:
        raise service.failure
    log.info("stopped cleanly; lock released")
