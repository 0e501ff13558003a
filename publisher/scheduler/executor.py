"""The APScheduler executor that tells each job its scheduled time (the idempotency key of job_runs)."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import BasePoolExecutor


def _run_with_scheduled_time(
    job: Any, jobstore_alias: str, run_times: list[dt.datetime], logger_name: str
) -> list[JobExecutionEvent]:
    """apscheduler.executors.base.run_job, but handing each scheduled time to the job as `scheduled_for`.

    APScheduler 3 does not tell a job when it was meant to run; the scheduled time is the idempotency key of
    job_runs, so the executor passes it in.
    """
    events = []
    logger = logging.getLogger(logger_name)
    for run_time in run_times:
        if job.misfire_grace_time is not None:
            late = dt.datetime.now(dt.UTC) - run_time
            if late > dt.timedelta(seconds=job.misfire_grace_time):
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, jobstore_alias, run_time))
                logger.warning(
                    "job=%s missed its run at %s by %s (over misfire_grace_seconds)", job.id, run_time.isoformat(), late
                )
                continue
        try:
            retval = job.func(*job.args, scheduled_for=run_time, **job.kwargs)
        except BaseException:
            exc, tb = sys.exc_info()[1:]
            events.append(
                JobExecutionEvent(
                    EVENT_JOB_ERROR,
                    job.id,
                    jobstore_alias,
                    run_time,
                    exception=exc,
                    traceback="".join(traceback.format_tb(tb)),
                )
            )
            logger.exception("job=%s raised", job.id)
            del tb
        else:
            events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, jobstore_alias, run_time, retval=retval))
    return events


class ScheduledTimeExecutor(BasePoolExecutor):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """A thread pool executor whose jobs learn their scheduled time (see _run_with_scheduled_time)."""

    def __init__(self, max_workers: int = 1) -> None:
        import concurrent.futures

        super().__init__(concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="publisher-job"))

    def busy(self, job_id: str) -> bool:
        """Whether a run of `job_id` was handed to this executor and has not finished."""
        with self._lock:
            return bool(self._instances.get(job_id))

    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        def callback(f: Any) -> None:
            exc = f.exception()
            if exc:
                self._run_job_error(job.id, exc, getattr(exc, "__traceback__", None))
            else:
                self._run_job_success(job.id, f.result())

        f = self._pool.submit(_run_with_scheduled_time, job, job._jobstore_alias, run_times, self._logger.name)
        f.add_done_callback(callback)
