"""The long-running service (`publisher run`): scheduled jobs, heartbeat and web app under one lock."""

from publisher.scheduler.executor import ScheduledTimeExecutor
from publisher.scheduler.service import Service, fire, serve_forever
from publisher.scheduler.sync import JOB_FUNC, ServiceInfo

# JOB_FUNC ("publisher.scheduler:fire") is stored in APScheduler's job table: `fire` must stay importable from here.
__all__ = ["JOB_FUNC", "ScheduledTimeExecutor", "Service", "ServiceInfo", "fire", "serve_forever"]
