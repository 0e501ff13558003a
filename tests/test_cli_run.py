"""`publisher run` and `publisher jobs` as an operator runs them: real subprocesses, signals, a real store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import add_recent_release, wait_for
from sqlalchemy import func, select

from publisher.cli import cli
from publisher.models import Delivery, Edition, Release
from publisher.models.jobs import JobRun, JobRunStatus, SchedulerLock
from publisher.store import Store

FAST = {
    "ingest": {"job": "ingest", "interval_seconds": 1},
    "weekly": {"job": "digest", "frequency": "weekly", "interval_seconds": 1},
    "deliver": {"job": "deliver", "interval_seconds": 1},
}


def publisher(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
    )


class Proc:
    """A `publisher run` child whose output lines are collected as they arrive."""

    def __init__(self, config: Path, *args: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", "publisher", "--config", str(config), "run", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=config.parent,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.p.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.p.stderr, self.err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    def finish(self, timeout: float = 15) -> int:
        rc = self.p.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout=5)
        self.p.stdout.close()  # type: ignore[union-attr]
        self.p.stderr.close()  # type: ignore[union-attr]
        return rc

    def text(self) -> str:
        return "".join(self.out) + "".join(self.err)


@pytest.fixture
def procs() -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []

    def start(config: Path, *args: str) -> Proc:
        proc = Proc(config, *args)
        started.append(proc)
        return proc

    yield start
    for proc in started:  # never leave a service behind, whatever the test did
        if proc.p.poll() is None:
            proc.p.kill()
        proc.finish()


def lock_row(store: Store) -> tuple[str, int] | None:
    with store.session() as s:
        row = s.get(SchedulerLock, 1)
        return (row.owner, row.pid) if row else None


def count(store: Store, model: type, *where: object) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_run_once_says_what_it_did_and_how_to_add_a_subscriber(config_file: Callable[..., Path], store: Store) -> None:
    config = config_file()
    first = publisher(config, "run", "--once")
    assert first.returncode == 0, first.stderr
    n = count(store, Release)
    assert n > 0
    out = first.stdout
    assert f"releases: {n} added, 0 updated, 0 unchanged" in out
    assert f"feeds are in {config.parent / 'feeds'}" in out and (config.parent / "feeds" / "all.atom").is_file()
    assert f"mail goes to the outbox {config.parent / 'outbox'}" in out
    assert "editions:   none built (no active subscribers)" in out
    assert "publisher subscribers add you@example.org" in out
    assert count(store, Edition) == 0  # nothing created implicitly
    again = publisher(config, "run", "--once")
    assert f"releases: 0 added, 0 updated, {n} unchanged" in again.stdout
    assert count(store, JobRun, JobRun.job == "run-once", JobRun.status == JobRunStatus.OK) == 2


def test_run_once_delivers_to_the_outbox(
    config_file: Callable[..., Path], store: Store, sample_dir: Path, add_subscribers: Callable[..., list[int]]
) -> None:
    add_recent_release(sample_dir)
    add_subscribers([("reader@example.org", "weekly", [], [])])
    config = config_file()
    result = publisher(config, "run", "--once")
    assert result.returncode == 0, result.stderr
    assert "1 sent" in result.stdout and "no active subscribers" not in result.stdout
    assert len(list((config.parent / "outbox").glob("*.eml"))) == 1


def test_run_once_failure_exits_non_zero_with_the_error(config_file: Callable[..., Path], sample_dir: Path) -> None:
    (sample_dir / "releases.txt").write_text("Released 99 Nonsember 2025\nbroken\n", encoding="utf-8")
    result = publisher(config_file(), "run", "--once")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("SchedulerError: run --once failed: SourceError: ")


def test_second_scheduler_is_refused_and_sigterm_stops_gracefully(
    config_file: Callable[..., Path], store: Store, procs: Callable[..., Proc]
) -> None:
    config = config_file(schedules={"feeds": {"job": "feeds", "interval_seconds": 1}})
    first = procs(config)
    wait_for(lambda: any("stop with Ctrl-C" in line for line in first.out), what="the service to start")
    assert lock_row(store)[1] == first.p.pid  # type: ignore[index]
    wait_for(lambda: count(store, JobRun, JobRun.status == JobRunStatus.OK) > 0, what="a feeds run")
    url = next(line.split(" at ")[-1].strip() for line in first.out if "serving the web app" in line)
    with urllib.request.urlopen(url + "all.atom", timeout=5) as resp:  # the same process serves the feeds
        assert resp.status == 200 and b"<feed" in resp.read()

    second = publisher(config, "run", "--no-web", timeout=30)
    assert second.returncode == 1
    assert f"SchedulerError: another scheduler is running (pid {first.p.pid} on host" in second.stderr

    first.p.send_signal(signal.SIGTERM)
    assert first.finish() == 0, first.text()
    assert lock_row(store) is None
    assert "stopped cleanly; lock released" in first.text()
    assert count(store, JobRun, JobRun.status == JobRunStatus.RUNNING) == 0


def test_killed_service_restarted_neither_repeats_nor_loses_the_edition(
    config_file: Callable[..., Path],
    store: Store,
    sample_dir: Path,
    add_subscribers: Callable[..., list[int]],
    procs: Callable[..., Proc],
) -> None:
    add_recent_release(sample_dir)
    add_subscribers([("a@example.org", "weekly", [], []), ("b@example.org", "weekly", [], [])])
    config = config_file(schedules=FAST)
    outbox = config.parent / "outbox"
    first = procs(config, "--no-web")
    wait_for(lambda: count(store, Edition) == 1, what="the weekly edition")
    first.p.send_signal(signal.SIGKILL)  # no cleanup at all: lock and maybe a run left behind
    first.finish()
    assert lock_row(store) is not None

    second = procs(config, "--no-web")  # the dead holder's lock is taken over at once (same host, pid gone)
    wait_for(lambda: count(store, Delivery, Delivery.status.in_(["sent", "unknown"])) == 2, what="both mails")
    seen = count(store, JobRun)
    wait_for(lambda: count(store, JobRun) >= seen + 3, what="more scheduled runs after the restart")
    second.p.send_signal(signal.SIGTERM)
    assert second.finish() == 0, second.text()

    assert count(store, Edition) == 1
    # Each subscriber got the edition once. A kill between claiming a message and writing it leaves that one
    # `unknown` (never resent, the delivery state machine's at-most-once rule), so at most one is missing.
    sent = count(store, Delivery, Delivery.status == "sent")
    assert count(store, Delivery) == 2 and sent >= 1
    assert count(store, Delivery, Delivery.status == "unknown") == 2 - sent
    assert len(list(outbox.glob("*.eml"))) == sent
    assert count(store, JobRun, JobRun.status == JobRunStatus.RUNNING) == 0  # interrupted runs were finished
    assert count(store, JobRun, JobRun.status == JobRunStatus.FAILED) == 0


def test_jobs_commands_against_a_real_store(config_file: Callable[..., Path], store: Store) -> None:
    config = config_file(
        schedules={
            "ingest": {"job": "ingest", "interval_minutes": 30},
            "weekly": {"job": "digest", "frequency": "weekly", "cron": "0 7 * * mon"},
        }
    )
    runner = CliRunner()

    def jobs(*args: str) -> str:
        result = runner.invoke(cli, ["--config", str(config), "jobs", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    lines = jobs("list").splitlines()
    assert lines[0].split() == ["NAME", "KIND", "TRIGGER", "STATE", "NEXT", "RUN", "LAST", "RUN", "LAST", "STATUS"]
    assert lines[2].startswith("weekly") and "cron '0 7 * * mon' (Europe/Vienna)" in lines[2]
    assert ": ok: " in jobs("run", "ingest")
    assert jobs("pause", "weekly").strip() == "weekly: paused"
    lines = jobs("list").splitlines()
    assert "paused" in lines[2].split() and lines[1].rstrip().endswith("ok")
    assert jobs("resume", "weekly").strip() == "weekly: resumed"
    assert " ingest  ok  (manual, " in jobs("history", "--job", "ingest", "--limit", "5")

    unknown = publisher(config, "jobs", "pause", "nope")  # a real process: exit status and error line
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "NotFoundError: no job named 'nope' in [schedules] (configured: ingest, weekly)"


def test_run_refuses_a_broken_schedule_with_the_key(config_file: Callable[..., Path]) -> None:
    config = config_file(schedules={"feeds": {"job": "feeds", "cron": "61 * * * *"}})
    result = publisher(config, "run", "--no-web")
    assert result.returncode == 1
    assert "ConfigError: " in result.stderr and "schedules.feeds.cron: invalid crontab expression '61 * * * *'" in (
        result.stderr
    )
    assert os.path.exists(config)
