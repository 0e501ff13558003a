"""Job runs: recorded, idempotent per scheduled time, pausable; the scheduler lock; recovery of interrupted runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import add_recent_release
from sqlalchemy import func, select

from publisher import pipeline
from publisher.config import Config
from publisher.errors import NotFoundError, SchedulerError
from publisher.models import Edition, utcnow
from publisher.models.jobs import (
    JobRun,
    JobRunStatus,
    JobTrigger,
    SchedulerLock,
    acquire_lock,
    heartbeat_lock,
    release_lock,
)
from publisher.store import Store

SCHEDULES = {
    "ingest": {"job": "ingest", "interval_minutes": 30},
    "feeds": {"job": "feeds", "cron": "15 * * * *"},
    "weekly": {"job": "digest", "frequency": "weekly", "cron": "0 7 * * mon"},
    "deliver": {"job": "deliver", "interval_seconds": 5},
}
T = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def jcfg(make_config: Callable[..., Config]) -> Config:
    return make_config(schedules=SCHEDULES)


def runs(store: Store, job: str | None = None) -> list[JobRun]:
    with store.session() as s:
        q = select(JobRun).order_by(JobRun.id)
        return list(s.scalars(q.where(JobRun.job == job) if job else q))


def test_run_job_records_counts_and_rebuilds_feeds(jcfg: Config, store: Store) -> None:
    result = pipeline.run_job(jcfg, store, "ingest", scheduled_for=T, trigger=JobTrigger.SCHEDULE, owner="t")
    assert result.status is JobRunStatus.OK, result.error
    assert result.counts["added"] > 0 and result.counts["feeds.written"] > 0
    (run,) = runs(store)
    assert (run.job, run.kind, run.trigger, run.status, run.owner) == ("ingest", "ingest", "schedule", "ok", "t")
    assert run.scheduled_for == T and run.finished_at is not None and run.finished_at >= run.started_at
    assert run.counts == result.counts and "releases:" in run.summary
    assert (jcfg.feeds.dir / "all.atom").is_file()


def test_second_attempt_for_same_scheduled_time_does_nothing(jcfg: Config, store: Store) -> None:
    first = pipeline.run_job(jcfg, store, "ingest", scheduled_for=T, trigger=JobTrigger.SCHEDULE)
    (jcfg.feeds.dir / "all.atom").unlink()
    again = pipeline.run_job(
        jcfg, store, "ingest", scheduled_for=T + dt.timedelta(microseconds=5), trigger=JobTrigger.SCHEDULE
    )
    assert first.status is JobRunStatus.OK
    assert again.status is None and "already ran" in again.describe()
    assert len(runs(store)) == 1
    assert not (jcfg.feeds.dir / "all.atom").exists()  # nothing was rebuilt: the job really did not run
    later = pipeline.run_job(jcfg, store, "ingest", scheduled_for=T + dt.timedelta(minutes=30))
    assert later.status is JobRunStatus.OK and len(runs(store)) == 2


def test_failure_is_recorded_with_error_type_and_not_raised(jcfg: Config, store: Store, sample_dir: Path) -> None:
    (sample_dir / "releases.txt").write_text("Released 99 Nonsember 2025\nbroken\n", encoding="utf-8")
    result = pipeline.run_job(jcfg, store, "ingest", scheduled_for=T)
    assert result.status is JobRunStatus.FAILED
    (run,) = runs(store)
    assert run.status is JobRunStatus.FAILED and run.error.startswith("SourceError: ")
    assert "releases.txt" in run.error and run.finished_at is not None


def test_paused_job_is_skipped_when_scheduled_but_runs_manually(jcfg: Config, store: Store) -> None:
    assert pipeline.set_job_paused(jcfg, "feeds", True, store) is True
    assert pipeline.set_job_paused(jcfg, "feeds", True, store) is False
    skipped = pipeline.run_job(jcfg, store, "feeds", scheduled_for=T, trigger=JobTrigger.SCHEDULE)
    assert skipped.status is JobRunStatus.SKIPPED
    assert not jcfg.feeds.dir.exists()
    manual = pipeline.run_job(jcfg, store, "feeds", scheduled_for=T + dt.timedelta(seconds=1))
    assert manual.status is JobRunStatus.OK
    assert [(r.status, r.error) for r in runs(store)] == [("skipped", "paused"), ("ok", "")]
    pipeline.set_job_paused(jcfg, "feeds", False, store)
    resumed = pipeline.run_job(
        jcfg, store, "feeds", scheduled_for=T + dt.timedelta(hours=1), trigger=JobTrigger.SCHEDULE
    )
    assert resumed.status is JobRunStatus.OK


def test_unknown_job_names_are_not_found(jcfg: Config, store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no job named 'nope' in \[schedules\] \(configured: deliver, feeds"):
        pipeline.run_job(jcfg, store, "nope")
    with pytest.raises(NotFoundError):
        pipeline.set_job_paused(jcfg, "nope", True, store)
    with pytest.raises(NotFoundError):
        pipeline.job_history(jcfg, store, job="nope")


def test_digest_job_builds_the_period_of_its_scheduled_time_once(
    jcfg: Config, store: Store, sample_dir: Path, add_subscribers: Callable[..., list[int]]
) -> None:
    add_recent_release(sample_dir)
    add_subscribers([("reader@example.org", "weekly", [], [])])
    pipeline.run_job(jcfg, store, "ingest")
    now = utcnow()
    first = pipeline.run_job(jcfg, store, "weekly", scheduled_for=now, trigger=JobTrigger.SCHEDULE)
    assert first.status is JobRunStatus.OK, first.error
    # A different scheduled time in the same week (e.g. a manual run) finds the edition already built.
    second = pipeline.run_job(jcfg, store, "weekly", scheduled_for=now + dt.timedelta(seconds=1))
    assert second.status is JobRunStatus.OK
    with store.session() as s:
        editions = list(s.scalars(select(Edition)))
    assert len(editions) == 1 and editions[0].frequency == "weekly"
    sent = pipeline.run_job(jcfg, store, "deliver")
    assert sent.status is JobRunStatus.OK and sent.counts.get("sent") == 1, sent.summary
    assert len(list(jcfg.delivery.outbox_dir.glob("*.eml"))) == 1


def test_digest_job_without_subscribers_builds_nothing(jcfg: Config, store: Store) -> None:
    result = pipeline.run_job(jcfg, store, "weekly")
    assert result.status is JobRunStatus.OK and "no active subscribers" in result.summary
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Edition)) == 0


def test_list_jobs_shows_trigger_state_next_and_last_run(jcfg: Config, store: Store) -> None:
    pipeline.run_job(jcfg, store, "deliver", scheduled_for=T)
    pipeline.set_job_paused(jcfg, "ingest", True, store)
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)  # a Sunday; Vienna is UTC+1
    jobs = {j.name: j for j in pipeline.list_jobs(jcfg, store, now=now)}
    assert list(jobs) == ["deliver", "feeds", "ingest", "weekly"]
    assert jobs["weekly"].trigger == "cron '0 7 * * mon' (Europe/Vienna)"
    assert jobs["weekly"].next_run == dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    assert jobs["feeds"].next_run == dt.datetime(2026, 3, 1, 12, 15, tzinfo=dt.UTC)
    assert jobs["ingest"].paused and jobs["ingest"].next_run is None and jobs["ingest"].trigger == "every 30 min"
    assert jobs["deliver"].last_status == "ok" and jobs["deliver"].last_run is not None
    assert jobs["feeds"].last_status == "" and jobs["feeds"].last_run is None


def test_history_newest_first_filtered_and_limited(jcfg: Config, store: Store) -> None:
    for i in range(3):
        pipeline.run_job(jcfg, store, "deliver", scheduled_for=T + dt.timedelta(minutes=i))
    pipeline.run_job(jcfg, store, "feeds", scheduled_for=T)
    assert [r.job for r in pipeline.job_history(jcfg, store)][:1] == ["feeds"]
    deliver_runs = pipeline.job_history(jcfg, store, job="deliver", limit=2)
    assert len(deliver_runs) == 2 and all(r.job == "deliver" for r in deliver_runs)
    assert deliver_runs[0].id > deliver_runs[1].id


# ---------------------------------------------------------------- the lock


def _take(store: Store, owner: str, now: dt.datetime, *, is_dead: bool = False) -> str | None:
    with store.session() as s:
        return acquire_lock(
            s, owner=owner, hostname="h1", pid=42, now=now, stale_after=dt.timedelta(minutes=2), is_dead=is_dead
        )


def test_lock_refuses_a_second_owner_until_stale(store: Store) -> None:
    t0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert _take(store, "a", t0) is None
    with pytest.raises(
        SchedulerError, match=r"another scheduler is running \(pid 42 on host h1 since 2026-03-01 12:00:00Z"
    ):
        _take(store, "b", t0 + dt.timedelta(seconds=119))
    with store.session() as s:
        assert heartbeat_lock(s, owner="a", now=t0 + dt.timedelta(minutes=1))
    with pytest.raises(SchedulerError):
        _take(store, "b", t0 + dt.timedelta(minutes=2, seconds=30))  # the heartbeat kept it fresh
    assert _take(store, "b", t0 + dt.timedelta(minutes=3, seconds=1)) == "a"  # stale: taken over
    with store.session() as s:
        assert not heartbeat_lock(s, owner="a", now=t0 + dt.timedelta(minutes=4))  # a learns it lost the lock
        assert not release_lock(s, owner="a")
        assert release_lock(s, owner="b")
        assert s.get(SchedulerLock, 1) is None


def test_lock_of_a_dead_holder_is_taken_at_once(store: Store) -> None:
    t0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    _take(store, "a", t0)
    assert _take(store, "b", t0 + dt.timedelta(seconds=1), is_dead=True) == "a"


# ---------------------------------------------------------------- recovery


def test_interrupted_scheduled_run_is_resumed_once(jcfg: Config, store: Store) -> None:
    when = utcnow() - dt.timedelta(minutes=5)
    with store.session() as s:
        s.add(
            JobRun(
                job="feeds",
                kind="feeds",
                trigger=JobTrigger.SCHEDULE,
                scheduled_for=when,
                started_at=when,
                status=JobRunStatus.RUNNING,
                owner="scheduler:dead:1:x",
                attempt=1,
                counts={},
                summary="",
                error="",
            )
        )
        s.add(
            JobRun(
                job="ingest",
                kind="ingest",
                trigger=JobTrigger.SCHEDULE,
                scheduled_for=when - dt.timedelta(hours=3),
                started_at=when,
                status=JobRunStatus.RUNNING,
                owner="scheduler:dead:1:x",
                attempt=1,
                counts={},
                summary="",
                error="",
            )
        )
    resumed = pipeline.recover_interrupted_runs(jcfg, store, owner="scheduler:me")
    assert [(r.job, r.status) for r in resumed] == [("feeds", JobRunStatus.OK)]
    assert (jcfg.feeds.dir / "all.atom").is_file()
    by_job = {r.job: r for r in runs(store)}
    assert by_job["feeds"].status == "ok" and by_job["feeds"].attempt == 2 and by_job["feeds"].owner == "scheduler:me"
    assert "resumed after scheduler:dead:1:x" in by_job["feeds"].error
    assert by_job["ingest"].status == "failed" and "too late" in by_job["ingest"].error  # beyond misfire grace
    assert pipeline.recover_interrupted_runs(jcfg, store, owner="scheduler:me") == []
    assert len(runs(store)) == 2
