"""Schedule edits (issue 11, item 8): `jobs list` says when the file differs from what the running scheduler uses,
and SIGHUP makes a running `publisher run` re-read its config (an invalid file leaves the schedule in use)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import wait_for

from publisher import pipeline
from publisher.cli import cli
from publisher.store import Store


class Service:
    """A `publisher run --no-web` child whose output lines are collected as they arrive."""

    def __init__(self, config: Path) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-m", "publisher", "--config", str(config), "run", "--no-web"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=config.parent,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.p.stdout:  # type: ignore[union-attr]
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def finish(self, timeout: float = 30) -> int:
        rc = self.p.wait(timeout=timeout)
        self._reader.join(timeout=5)
        self.p.stdout.close()  # type: ignore[union-attr]
        return rc


@pytest.fixture
def service(config_file: Callable[..., Path]) -> Iterator[Callable[[Path], Service]]:
    started: list[Service] = []

    def start(config: Path) -> Service:
        started.append(Service(config))
        return started[-1]

    yield start
    for s in started:  # never leave a service behind, whatever the test did
        if s.p.poll() is None:
            s.p.kill()
        s.finish()


def jobs_list(config: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "jobs", "list"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_sighup_applies_schedule_edits_and_jobs_list_says_until_then(
    config_file: Callable[..., Path], store: Store, service: Callable[[Path], Service]
) -> None:
    config = config_file(schedules={"feeds": {"job": "feeds", "cron": "0 3 * * *"}})
    running = service(config)
    wait_for(lambda: running.said("stop with Ctrl-C"), what="the service to start")
    assert not any("differs" in line for line in jobs_list(config))

    config_file(
        schedules={
            "feeds": {"job": "feeds", "cron": "30 5 * * *"},
            "deliver": {"job": "deliver", "interval_minutes": 10},
        }
    )
    pid = running.p.pid
    assert jobs_list(config)[-1].startswith(
        f"config.toml differs from the running scheduler (pid {pid} on host "
    ) and jobs_list(config)[-1].endswith(
        f"deliver (added), feeds (changed); restart it or send SIGHUP (kill -HUP {pid}) to apply"
    )
    before = pipeline.stored_next_runs(store)
    assert set(before) == {"feeds"}

    running.p.send_signal(signal.SIGHUP)
    wait_for(lambda: running.said("reloaded "), what="the reload")
    assert not any("differs" in line for line in jobs_list(config))
    after = pipeline.stored_next_runs(store)
    assert set(after) == {"feeds", "deliver"}
    assert (after["feeds"].minute, after["feeds"].second) == (30, 0)  # type: ignore[union-attr]

    # An invalid file: logged with its key, the schedule in use stays, the service keeps running.
    config_file(schedules={"feeds": {"job": "feeds", "cron": "61 * * * *"}})
    running.p.send_signal(signal.SIGHUP)
    wait_for(lambda: running.said("failed, keeping the schedule in use: ConfigError: "), what="the refused reload")
    assert running.said("schedules.feeds.cron: invalid crontab expression '61 * * * *'")
    assert running.p.poll() is None
    assert pipeline.stored_next_runs(store) == after

    # Removing a job is a change too, applied by the next good reload.
    config_file(schedules={"deliver": {"job": "deliver", "interval_minutes": 10}})
    assert jobs_list(config)[-1].split(": ")[-1].startswith("feeds (removed); restart it or send SIGHUP")
    running.p.send_signal(signal.SIGHUP)
    wait_for(lambda: set(pipeline.stored_next_runs(store)) == {"deliver"}, what="the removal to apply")
    assert not any("differs" in line for line in jobs_list(config))

    running.p.send_signal(signal.SIGTERM)
    assert running.finish() == 0, "".join(running.lines)


def test_jobs_list_says_nothing_of_the_file_without_a_running_scheduler(
    config_file: Callable[..., Path], store: Store
) -> None:
    config = config_file(schedules={"feeds": {"job": "feeds", "cron": "0 3 * * *"}})
    assert not any("differs" in line for line in jobs_list(config))  # the next start reads the file anyway
