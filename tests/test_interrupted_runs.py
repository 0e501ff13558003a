"""A run left `running` by a killed process is marked interrupted by the next command that records runs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, wait_for
from sqlalchemy import select

from publisher.config import Config
from publisher.models import IngestRun, RunStatus
from publisher.models.jobs import JobRun, JobRunStatus, JobTrigger
from publisher.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """An HTTP server that accepts a request and never answers it (until the test ends)."""
    release = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(120)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/feed.xml"
    release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def hanging_conf(config_file: Callable[..., Path], sample_dir: Path, hanging_server: str) -> str:
    return str(
        config_file(
            sources=[
                {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
                {"name": "releases", "kind": "release-text", "path": str(sample_dir / "releases.txt")},
                {"name": "remote", "kind": "feed", "url": hanging_server, "timeout": 300, "retries": 0},
            ]
        )
    )


def _ingest_runs(store: Store) -> list[IngestRun]:
    with store.session() as session:
        return list(session.scalars(select(IngestRun).order_by(IngestRun.id)))


def _job_runs(store: Store) -> list[JobRun]:
    with store.session() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def _start_and_kill(argv: list[str], running: Callable[[], object]) -> int:
    """Run `publisher ARGV` in a real process, SIGKILL it once `running()` holds, reap it; returns its pid."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", *argv],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(running, what="the run to be recorded as running")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    return proc.pid


def test_a_killed_ingest_is_marked_interrupted_by_the_next_ingest(
    hanging_conf: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    def remote_running() -> bool:
        return any(r.source == "remote" and r.status is RunStatus.RUNNING for r in _ingest_runs(store))

    pid = _start_and_kill(["--config", hanging_conf, "ingest", "--source", "remote"], remote_running)
    (killed,) = [r for r in _ingest_runs(store) if r.source == "remote"]
    assert killed.status is RunStatus.RUNNING and killed.finished_at is None  # what a killed process leaves

    code, out, err = run_cli(["--config", hanging_conf, "ingest", "--source", "releases"], capsys)
    assert code == 0, err
    assert "releases: 25 added" in out
    (after,) = [r for r in _ingest_runs(store) if r.source == "remote"]
    assert after.status is RunStatus.INTERRUPTED and after.finished_at is not None
    assert f":{pid}" in after.error and "gone" in after.error
    assert f"marked 1 interrupted run (remote, started {killed.started_at:%Y-%m-%d %H:%M:%S}" in err

    code, out, _ = run_cli(["--config", hanging_conf, "ingest-history"], capsys)
    assert code == 0
    line = next(x for x in out.splitlines() if " remote " in x)
    assert "interrupted" in line


def test_a_killed_run_once_is_marked_interrupted_and_history_shows_it(
    hanging_conf: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    def once_running() -> bool:
        ingest_open = any(r.source == "remote" and r.status is RunStatus.RUNNING for r in _ingest_runs(store))
        return ingest_open and any(j.status is JobRunStatus.RUNNING for j in _job_runs(store))

    _start_and_kill(["--config", hanging_conf, "run", "--once"], once_running)
    (once,) = _job_runs(store)
    assert once.trigger is JobTrigger.ONCE and once.status is JobRunStatus.RUNNING

    code, _, err = run_cli(["--config", hanging_conf, "ingest", "--source", "releases"], capsys)
    assert code == 0, err
    (once,) = _job_runs(store)
    assert once.status is JobRunStatus.INTERRUPTED and once.finished_at is not None
    assert all(r.status is not RunStatus.RUNNING for r in _ingest_runs(store))

    code, out, _ = run_cli(["--config", hanging_conf, "jobs", "history"], capsys)
    assert code == 0 and "run-once  interrupted" in out and "gone" in out


def _insert_runs(store: Store, owners: dict[str, str], started: dt.datetime) -> None:
    with store.session() as session:
        for source, owner in owners.items():
            session.add(
                IngestRun(
                    source=source, started_at=started, status=RunStatus.RUNNING, error="", details={}, owner=owner
                )
            )


def _statuses(store: Store) -> dict[str, str]:
    return {r.source: r.status.value for r in _ingest_runs(store)}


def test_only_runs_whose_owner_is_surely_gone_are_marked(cfg: Config, store: Store) -> None:
    from publisher import pipeline

    me = f"cli:{socket.gethostname()}:{os.getpid()}"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(60)
    recently = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _insert_runs(
        store,
        {
            "alive": me,  # this very process: still running
            "elsewhere": "cli:another-host.example.org:1",  # cannot be checked from here: left alone
            "unknown": "",  # recorded before owners were: left alone
            "dead": f"cli:{socket.gethostname()}:{dead.pid}",
        },
        recently,
    )
    marked = pipeline.mark_interrupted_runs(cfg, store)
    assert [m.name for m in marked] == ["dead"]
    assert _statuses(store) == {"alive": "running", "elsewhere": "running", "unknown": "running", "dead": "interrupted"}
    assert pipeline.mark_interrupted_runs(cfg, store) == []  # idempotent


def test_a_reused_pid_does_not_keep_a_run_alive(cfg: Config, store: Store) -> None:
    from publisher import pipeline

    # Our own pid, but the run started long before this process did: its owner was an earlier process.
    _insert_runs(store, {"old": f"cli:{socket.gethostname()}:{os.getpid()}"}, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    marked = pipeline.mark_interrupted_runs(cfg, store)
    assert [m.name for m in marked] == ["old"] and _statuses(store) == {"old": "interrupted"}


def test_scheduled_job_runs_are_left_for_the_scheduler_to_resume(cfg: Config, store: Store) -> None:
    from publisher import pipeline

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(60)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    host = socket.gethostname()
    with store.session() as session:
        for job, trigger in (("nightly", JobTrigger.SCHEDULE), ("by-hand", JobTrigger.MANUAL)):
            session.add(
                JobRun(
                    job=job,
                    kind="ingest",
                    trigger=trigger,
                    scheduled_for=now,
                    started_at=now,
                    status=JobRunStatus.RUNNING,
                    owner=f"scheduler:{host}:{dead.pid}:abcd"
                    if trigger is JobTrigger.SCHEDULE
                    else f"cli:{host}:{dead.pid}",
                    attempt=1,
                    counts={},
                    summary="",
                    error="",
                )
            )
    marked = pipeline.mark_interrupted_runs(cfg, store)
    assert [m.name for m in marked] == ["by-hand"]
    assert {j.job: j.status for j in _job_runs(store)} == {
        "nightly": JobRunStatus.RUNNING,  # recover_interrupted_runs resumes it when the scheduler starts
        "by-hand": JobRunStatus.INTERRUPTED,
    }
