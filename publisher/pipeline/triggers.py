"""Schedule triggers (cron or interval in the site's timezone), their fingerprints, and who runs a job."""

from __future__ import annotations

import dataclasses as _dc
import hashlib as _hashlib
import json
import os as _os
import socket as _socket
from typing import Any as _Any

from publisher.config import ScheduleConfig


def process_owner(role: str = "cli") -> str:
    """Who is running something, as recorded in job_runs.owner and the scheduler lock."""
    return f"{role}:{_socket.gethostname()}:{_os.getpid()}"


def schedule_trigger(sched: ScheduleConfig, timezone: str) -> _Any:
    """The APScheduler trigger for a schedule (cron in the site's timezone, or a fixed interval)."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if sched.cron:
        return CronTrigger.from_crontab(sched.cron, timezone=timezone)
    seconds = sched.interval_seconds or sched.interval_minutes * 60
    return IntervalTrigger(seconds=seconds, timezone=timezone)


def describe_trigger(sched: ScheduleConfig, timezone: str) -> str:
    if sched.cron:
        return f"cron '{sched.cron}' ({timezone})"
    if sched.interval_seconds:
        return f"every {sched.interval_seconds:g} s"
    return f"every {sched.interval_minutes:g} min"


def schedule_fingerprint(sched: ScheduleConfig, timezone: str) -> str:
    """Changes exactly when the stored APScheduler job must be replaced (trigger, tz, kind, grace)."""
    raw = json.dumps({**_dc.asdict(sched), "timezone": timezone}, sort_keys=True, default=str)
    return _hashlib.sha256(raw.encode()).hexdigest()
