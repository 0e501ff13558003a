"""The service: configured schedules fire, config replaces stored jobs, missed runs happen once, pauses apply."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import add_recent_release, wait_for
from sqlalchemy import select

from publisher import pipeline
from publisher.config import Config
from publisher.models import Edition
from publisher.models.jobs import JobRun, JobRunStatus, SchedulerLock
from publisher.scheduler import Service
from publisher.store import Store


def runs(store: Store) -> list[JobRun]:
    with store.session() as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.id)))


def ok_jobs(store: Store) -> set[str]:
    return {r.job for r in runs(store) if r.status == JobRunStatus.OK}


@pytest.fixture
def service_factory(store: Store) -> Callable[..., Service]:
    started: list[Service] = []

    def make(cfg: Config) -> Service:
        service = Service(cfg, store, web=False, heartbeat_seconds=0.2)
        started.append(service)
        return service

    yield make
    for s in started:
        s.shutdown()


def test_schedules_fire_and_produce_feeds_and_an_outbox_mail(
    make_config: Callable[..., Config],
    store: Store,
    sample_dir: Path,
    add_subscribers: Callable[..., list[int]],
    service_factory: Callable[..., Service],
) -> None:
    add_recent_release(sample_dir)
    add_subscribers([("reader@example.org", "weekly", [], [])])
    cfg = make_config(
        schedules={
            "ingest": {"job": "ingest", "interval_seconds": 1},
            "weekly": {"job": "digest", "frequency": "weekly", "interval_seconds": 1},
            "deliver": {"job": "deliver", "interval_seconds": 1},
        }
    )
    service = service_factory(cfg)
    info = service.start()
    assert [j.split()[0] for j in info.jobs] == ["deliver", "ingest", "weekly"]
    outbox = cfg.delivery.outbox_dir
    wait_for(lambda: outbox.is_dir() and any(outbox.glob("*.eml")), what="a digest mail in the outbox")
    wait_for(lambda: ok_jobs(store) >= {"ingest", "weekly", "deliver"}, what="a successful run of every job")
    service.shutdown()
    assert (cfg.feeds.dir / "all.atom").is_file() and (cfg.feeds.dir / "all.rss").is_file()
    assert len(list(outbox.glob("*.eml"))) == 1  # fired many times, sent once
    with store.session() as s:
        assert len(list(s.scalars(select(Edition)))) == 1
        assert s.get(SchedulerLock, 1) is None  # released on shutdown
    scheduled = [(r.job, r.scheduled_for) for r in runs(store)]
    assert len(scheduled) == len(set(scheduled))
    assert all(r.trigger == "schedule" and r.finished_at is not None for r in runs(store))


def test_config_replaces_changed_jobs_removes_stale_and_keeps_unchanged(
    make_config: Callable[..., Config], store: Store, service_factory: Callable[..., Service]
) -> None:
    first = make_config(
        schedules={
            "keep": {"job": "feeds", "cron": "0 3 * * *"},
            "change": {"job": "feeds", "cron": "0 4 * * *"},
            "drop": {"job": "deliver", "interval_minutes": 10},
        }
    )
    s1 = service_factory(first)
    s1.start()
    s1.shutdown()
    before = pipeline.stored_next_runs(store)
    assert set(before) == {"keep", "change", "drop"}

    second = make_config(
        schedules={
            "keep": {"job": "feeds", "cron": "0 3 * * *"},
            "change": {"job": "feeds", "cron": "30 5 * * *"},
            "off": {"job": "feeds", "cron": "0 6 * * *", "enabled": False},
        }
    )
    s2 = service_factory(second)
    info = s2.start()
    assert info.removed_jobs == ["drop"]
    jobs = {j.id: j for j in s2.scheduler.get_jobs()}
    assert set(jobs) == {"keep", "change"}  # disabled and removed schedules are not in the job store
    assert str(jobs["change"].trigger) == str(pipeline.schedule_trigger(second.schedules["change"], "Europe/Vienna"))
    assert (jobs["change"].next_run_time.hour, jobs["change"].next_run_time.minute) == (5, 30)
    assert jobs["keep"].next_run_time == before["keep"]


def test_a_run_missed_while_down_happens_once_on_restart(
    make_config: Callable[..., Config], store: Store, service_factory: Callable[..., Service]
) -> None:
    cfg = make_config(schedules={"feeds": {"job": "feeds", "interval_seconds": 2}})
    s1 = service_factory(cfg)
    s1.start()
    s1.shutdown()  # stopped before the first run was due
    (due,) = pipeline.stored_next_runs(store).values()
    assert due is not None
    wait_for(lambda: dt.datetime.now(dt.UTC) > due + dt.timedelta(seconds=2.5), what="missing two runs")
    restarted = dt.datetime.now(dt.UTC)
    s2 = service_factory(cfg)
    s2.start()
    wait_for(lambda: any(r.status == JobRunStatus.OK for r in runs(store)), what="the missed run")
    s2.shutdown()
    # The missed times (due, due+2 s, ...) run once, coalesced; a replaced job would only have run after restart.
    missed = [r for r in runs(store) if r.scheduled_for < restarted]
    assert len(missed) == 1 and missed[0].status == JobRunStatus.OK
    assert due.replace(microsecond=0) <= missed[0].scheduled_for
    assert (cfg.feeds.dir / "all.atom").is_file()


def test_pause_applies_to_a_running_scheduler(
    make_config: Callable[..., Config], store: Store, service_factory: Callable[..., Service]
) -> None:
    cfg = make_config(schedules={"feeds": {"job": "feeds", "interval_seconds": 1}})
    pipeline.set_job_paused(cfg, "feeds", True, store)
    service = service_factory(cfg)
    service.start()
    assert service.scheduler.get_job("feeds").next_run_time is None  # paused state applied at start
    time.sleep(1.5)
    assert ok_jobs(store) == set()
    pipeline.set_job_paused(cfg, "feeds", False, store)  # as `publisher jobs resume feeds` in another process
    wait_for(lambda: "feeds" in ok_jobs(store), what="the resumed job to run")
    pipeline.set_job_paused(cfg, "feeds", True, store)
    wait_for(lambda: service.scheduler.get_job("feeds").next_run_time is None, what="the pause to apply")
