"""Scheduled jobs cannot starve each other: an ingest stuck on a trickling remote source ends at its fetch
deadline, so the jobs queued behind it on the one worker still run (issue 11, item 5)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest
from conftest import wait_for
from sqlalchemy import select

from publisher.config import Config
from publisher.models.jobs import JobRun, JobRunStatus
from publisher.scheduler import Service
from publisher.store import Store


@pytest.fixture
def trickling_url() -> Iterator[str]:
    """A feed server that sends one byte every 0.2 s for ever (until the test ends)."""
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            while not stop.wait(0.2):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/feed.atom"
    stop.set()
    httpd.shutdown()
    httpd.server_close()
    t.join()


def _runs(store: Store) -> list[JobRun]:
    with store.session() as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.id)))


def test_a_stuck_ingest_ends_at_its_deadline_and_the_other_jobs_run(
    make_config: Callable[..., Config], store: Store, trickling_url: str
) -> None:
    cfg = make_config(
        sources=[{"name": "slow", "kind": "feed", "url": trickling_url, "timeout": 3, "retries": 0}],
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "feeds": {"job": "feeds", "interval_seconds": 1},
        },
    )
    service = Service(cfg, store, web=False, heartbeat_seconds=0.2)
    try:
        service.start()
        # Before the total deadline a trickling server (one byte every 0.2 s) held the worker for ever.
        wait_for(
            lambda: sum(r.job == "ingest" and r.status == JobRunStatus.FAILED for r in _runs(store)) >= 2,
            what="two ingests ended at their fetch deadline",
        )
        wait_for(
            lambda: any(r.job == "feeds" and r.status == JobRunStatus.OK for r in _runs(store)),
            what="a feeds run between the stuck ingests",
        )
        failed = [r for r in _runs(store) if r.job == "ingest" and r.status == JobRunStatus.FAILED]
        assert all("took longer than 3 s in total" in r.error for r in failed)
    finally:
        service.shutdown()
