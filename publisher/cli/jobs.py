"""CLI commands for running the service (`run`) and operating its jobs (`jobs list|run|pause|resume|history`)."""

from __future__ import annotations

import datetime as dt
import json

import click

from publisher import pipeline, scheduler
from publisher.cli.common import TerminalProgress, with_config
from publisher.config import Config
from publisher.errors import SchedulerError
from publisher.models.jobs import JobRunStatus


def _local(cfg: Config, when: dt.datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone(cfg.site.tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _print_once(cfg: Config, result: pipeline.JobRunResult) -> None:
    cycle = result.detail
    click.echo(f"publisher run --once ({_local(cfg, result.scheduled_for)})")
    if isinstance(cycle, pipeline.CycleSummary):
        click.echo(cycle.describe())
    where = pipeline.output_locations(cfg)
    click.echo(
        f"feeds are in {where['feeds']} (index.html lists them; `publisher run` serves them at {cfg.site.base_url})"
    )
    click.echo(f"mail goes to the {where['mail']}")
    if isinstance(cycle, pipeline.CycleSummary) and cycle.active_subscribers == 0:
        click.echo(
            "no active subscribers, so no digest mail was made; add one with\n"
            "  publisher subscribers add you@example.org --frequency weekly\n"
            "and run again (editions cover the last completed week or month)."
        )


@click.command("run")
@with_config
@click.option("--once", is_flag=True, help="Run one full cycle (ingest, feeds, due editions, delivery) and exit.")
@click.option("--no-web", is_flag=True, help="Do not serve the web app and feeds; only run scheduled jobs.")
@click.option("--host", default=None, help="Web address to listen on (default: web.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Web port (default: web.port; 0: any).")
def run(cfg: Config, once: bool, no_web: bool, host: str | None, port: int | None) -> None:
    """Run the service: the jobs of [schedules] and the web app, until SIGTERM or Ctrl-C.

    \b
    Only one scheduler runs per database; a second `publisher run` refuses to start.
    On SIGTERM the job in hand finishes its current item (e.g. the message being sent),
    the run is recorded and the lock released. With --once, run one cycle and exit.
    """
    if once:
        result = pipeline.run_once(cfg, progress=TerminalProgress())
        if result.status is JobRunStatus.FAILED:
            raise SchedulerError(f"run --once failed: {result.error}")
        _print_once(cfg, result)
        return

    def started(info: scheduler.ServiceInfo) -> None:
        click.echo(f"publisher run: scheduler started ({info.owner})")
        for line in info.resumed:
            click.echo(f"  resumed interrupted run: {line}")
        for job in info.jobs:
            click.echo(f"  job {job}")
        for job in info.removed_jobs:
            click.echo(f"  removed job {job} (no longer in config)")
        if not info.jobs:
            click.echo("  no enabled jobs in [schedules]")
        if info.web_url:
            click.echo(f"  serving the web app and feeds at {info.web_url}")
        click.echo("stop with Ctrl-C or SIGTERM", nl=True)

    scheduler.serve_forever(cfg, web=not no_web, host=host, port=port, on_start=started)


@click.group("jobs")
def jobs() -> None:
    """Inspect and operate the scheduled jobs of [schedules] (works while `publisher run` is running)."""


@jobs.command("list")
@with_config
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def jobs_list(cfg: Config, as_json: bool) -> None:
    """Every configured job: trigger, next run time, last run and its status."""
    rows = pipeline.list_jobs(cfg)
    if as_json:
        for j in rows:
            click.echo(
                json.dumps(
                    {
                        "name": j.name,
                        "kind": j.kind,
                        "trigger": j.trigger,
                        "enabled": j.enabled,
                        "paused": j.paused,
                        "next_run": j.next_run.isoformat() if j.next_run else None,
                        "last_status": j.last_status or None,
                        "last_run": j.last_run.isoformat() if j.last_run else None,
                        "last_error": j.last_error or None,
                        "pending": j.pending or None,
                    }
                )
            )
        return
    if not rows:
        click.echo("no jobs configured: add [schedules.<name>] tables to the config (see README, operations)")
        return
    header = ("NAME", "KIND", "TRIGGER", "STATE", "NEXT RUN", "LAST RUN", "LAST STATUS")
    table = [header]
    for j in rows:
        state = "disabled" if not j.enabled else "paused" if j.paused else "active"
        table.append(
            (j.name, j.kind, j.trigger, state, _local(cfg, j.next_run), _local(cfg, j.last_run), j.last_status or "-")
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())
    drift = pipeline.schedule_drift(cfg)
    if drift is not None:
        click.echo(drift.describe(cfg.path.name if cfg.path else "the config"))


@jobs.command("run")
@with_config
@click.argument("name")
def jobs_run(cfg: Config, name: str) -> None:
    """Run job NAME now (recorded in the history; runs even when paused)."""
    result = pipeline.run_job(cfg, None, name, progress=TerminalProgress())
    click.echo(result.describe())
    if result.status is JobRunStatus.FAILED:
        raise SchedulerError(f"job {name} failed: {result.error}")


@jobs.command("pause")
@with_config
@click.argument("name")
def jobs_pause(cfg: Config, name: str) -> None:
    """Pause job NAME: a running scheduler stops firing it (within a heartbeat), also after restarts."""
    changed = pipeline.set_job_paused(cfg, name, True)
    click.echo(f"{name}: paused" if changed else f"{name}: already paused")


@jobs.command("resume")
@with_config
@click.argument("name")
def jobs_resume(cfg: Config, name: str) -> None:
    """Resume a paused job NAME."""
    changed = pipeline.set_job_paused(cfg, name, False)
    click.echo(f"{name}: resumed" if changed else f"{name}: was not paused")


@jobs.command("history")
@with_config
@click.option("--job", "job", metavar="NAME", default=None, help="Only runs of this job.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def jobs_history(cfg: Config, job: str | None, limit: int, as_json: bool) -> None:
    """Recorded job runs, newest first: when, how long, status, what they did or why they failed."""
    rows = pipeline.job_history(cfg, job=job, limit=limit)
    for r in rows:
        took = f"{(r.finished_at - r.started_at).total_seconds():.0f}s" if r.finished_at else "-"
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "job": r.job,
                        "kind": r.kind,
                        "trigger": r.trigger.value,
                        "scheduled_for": r.scheduled_for.isoformat(),
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "status": r.status.value,
                        "attempt": r.attempt,
                        "counts": r.counts,
                        "summary": r.summary,
                        "error": r.error,
                        "owner": r.owner,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        click.echo(
            f"{_local(cfg, r.started_at)}  {r.job}  {r.status.value}  ({r.trigger.value}, "
            f"scheduled {_local(cfg, r.scheduled_for)}, took {took})"
        )
        if r.summary:
            click.echo(f"    {r.summary}")
        if r.error:
            click.echo(f"    {r.error}")
    if not as_json and not rows:
        click.echo("no runs recorded yet")


COMMANDS: list[click.Command] = [run, jobs]
