"""Scheduled jobs cannot starve each other (issue 11, item 5): every job has its own worker, so an ingest stuck on a
trickling remote source holds only its own; a digest build waits for an ingest due with it, but only so long."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import wait_for
from sqlalchemy import func, select

from publisher.config import Config
from publisher.models import Delivery, Edition
from publisher.models.jobs import JobRun, JobRunStatus
from publisher.scheduler import Service
from publisher.store import Store


@dataclass
class SlowFeed:
    """A feed server on 127.0.0.1 that trickles one byte every 0.2 s until `gate` is set, then sends `body`."""

    url: str
    gate: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    body: bytes = b""


def _feed_with_a_release_of_last_week() -> bytes:
    day = dt.date.today() - dt.timedelta(days=7)  # always inside the last completed week
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Slow</title>'
        "<id>urn:slow</id><updated>2025-01-01T00:00:00Z</updated><entry><id>urn:slow:1</id>"
        "<title>Border guards of Tunisia trained in Tunis</title><link href='https://other.example/1'/>"
        f"<published>{day:%Y-%m-%d}T10:00:00Z</published><updated>{day:%Y-%m-%d}T10:00:00Z</updated>"
        "<content>ICMPD trained border guards of Tunisia in Tunis.</content></entry></feed>"
    ).encode()


@pytest.fixture
def slow_feed() -> Iterator[SlowFeed]:
    feed = SlowFeed(url="", body=_feed_with_a_release_of_last_week())
    closing = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.requests += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            try:
                while not feed.gate.is_set():
                    if closing.wait(0.2):
                        return
                    self.wfile.write(b" ")  # leading whitespace: still a well-formed feed once the body comes
                    self.wfile.flush()
                self.wfile.write(feed.body)
            except OSError:
                return

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    feed.url = f"http://127.0.0.1:{httpd.server_address[1]}/feed.atom"
    yield feed
    closing.set()
    httpd.shutdown()
    httpd.server_close()
    t.join()


def _runs(store: Store) -> list[JobRun]:
    with store.session() as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.id)))


def _run(store: Store, run_id: int) -> JobRun:
    with store.session() as s:
        return s.get_one(JobRun, run_id)


def _running_ingest(store: Store) -> JobRun | None:
    return next((r for r in _runs(store) if r.job == "ingest" and r.status == JobRunStatus.RUNNING), None)


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def service_of(store: Store, slow_feed: SlowFeed) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def make(cfg: Config, **kwargs: object) -> Service:
        service = Service(cfg, store, web=False, heartbeat_seconds=0.2, **kwargs)  # type: ignore[arg-type]
        started.append(service)
        service.start()
        return service

    yield make
    slow_feed.gate.set()  # shutdown finishes the job in hand: let a hung ingest end, whatever the test did
    for s in started:
        s.shutdown()


def test_a_stuck_ingest_ends_at_its_deadline_and_the_other_jobs_run(
    make_config: Callable[..., Config], store: Store, slow_feed: SlowFeed, service_of: Callable[..., Service]
) -> None:
    cfg = make_config(
        sources=[{"name": "slow", "kind": "feed", "url": slow_feed.url, "timeout": 3, "retries": 0}],
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "feeds": {"job": "feeds", "interval_seconds": 1},
        },
    )
    service_of(cfg)
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


def test_other_jobs_keep_their_schedule_while_an_ingest_hangs(
    tmp_path: Path,
    make_config: Callable[..., Config],
    store: Store,
    slow_feed: SlowFeed,
    add_subscribers: Callable[..., list[int]],
    service_of: Callable[..., Service],
) -> None:
    add_subscribers([("reader@example.org", "weekly", [], [])])
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "returned" / sub).mkdir(parents=True)
    cfg = make_config(
        # A deadline far beyond the test: only the gate ends this ingest.
        sources=[{"name": "slow", "kind": "feed", "url": slow_feed.url, "timeout": 600, "retries": 0}],
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "feeds": {"job": "feeds", "interval_seconds": 1},
            "deliver": {"job": "deliver", "interval_seconds": 1},
            "mail": {"job": "mail", "interval_seconds": 1},
        },
        mailbox={"reader": "maildir", "maildir": str(tmp_path / "returned")},
    )
    service_of(cfg)
    wait_for(lambda: _running_ingest(store) is not None, what="the ingest to hang on the trickling feed")
    hung = _running_ingest(store)
    assert hung is not None

    def ran_after_the_hang(job: str) -> int:
        return sum(
            r.job == job and r.status == JobRunStatus.OK and r.scheduled_for > hung.scheduled_for for r in _runs(store)
        )

    # Each of them runs on its own worker, again and again, while the ingest still holds its own.
    wait_for(lambda: min(ran_after_the_hang(j) for j in ("feeds", "deliver", "mail")) >= 2, what="the other jobs")
    assert _running_ingest(store) is not None and _running_ingest(store).id == hung.id  # type: ignore[union-attr]
    slow_feed.gate.set()
    wait_for(lambda: _run(store, hung.id).status == JobRunStatus.OK, what="the ingest to finish once the feed came")
    assert "1 added" in _run(store, hung.id).summary


def test_a_digest_build_waits_for_the_ingest_due_with_it(
    make_config: Callable[..., Config],
    store: Store,
    slow_feed: SlowFeed,
    add_subscribers: Callable[..., list[int]],
    service_of: Callable[..., Service],
) -> None:
    add_subscribers([("reader@example.org", "weekly", [], [])])
    cfg = make_config(
        sources=[{"name": "slow", "kind": "feed", "url": slow_feed.url, "timeout": 600, "retries": 0}],
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "weekly": {"job": "digest", "frequency": "weekly", "interval_seconds": 1},
        },
    )
    service_of(cfg)
    wait_for(lambda: _running_ingest(store) is not None, what="the ingest to hang on the trickling feed")
    slow_feed.gate.set()
    wait_for(lambda: _count(store, Edition) == 1, what="the weekly edition")
    # Built after the ingest, so last week's release from the slow feed is in it: one delivery for the reader.
    # Built beside it, the edition would have been empty (and the release left to next week's).
    assert _count(store, Delivery) == 1
    first_ingest = next(r for r in _runs(store) if r.job == "ingest")
    first_weekly = next(r for r in _runs(store) if r.job == "weekly")
    assert first_weekly.started_at >= first_ingest.finished_at  # type: ignore[operator]


def test_a_digest_build_waits_for_a_hung_ingest_only_so_long(
    make_config: Callable[..., Config],
    store: Store,
    slow_feed: SlowFeed,
    add_subscribers: Callable[..., list[int]],
    service_of: Callable[..., Service],
) -> None:
    add_subscribers([("reader@example.org", "weekly", [], [])])
    cfg = make_config(
        sources=[{"name": "slow", "kind": "feed", "url": slow_feed.url, "timeout": 600, "retries": 0}],
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "weekly": {"job": "digest", "frequency": "weekly", "interval_seconds": 1},
        },
    )
    service_of(cfg, ingest_wait_seconds=0.5)
    wait_for(lambda: _count(store, Edition) == 1, what="the weekly edition despite the hung ingest")
    assert _running_ingest(store) is not None  # still hanging: the edition did not wait for it
    assert _count(store, Delivery) == 0  # nothing ingested yet; the slow feed's release goes to a later edition
    slow_feed.gate.set()
