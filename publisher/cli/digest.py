"""CLI commands for digests: preview, build, send and list editions."""

from __future__ import annotations

import tempfile
import webbrowser
from pathlib import Path

import click

from publisher import pipeline
from publisher.cli.common import TerminalProgress, with_config
from publisher.config import Config

FREQUENCIES = click.Choice(["weekly", "monthly"])


@click.group()
def digest() -> None:
    """Digest e-mails: preview, build editions, send them, list them.

    \b
    Typical use (the scheduler does the same on its own):
      publisher digest preview --period 2025-03 --open
      publisher digest build                 # last completed week and month
      publisher digest send
      publisher digest list
    """


@digest.command()
@with_config
@click.option("--period", required=True, metavar="PERIOD", help="ISO week (2025-W10) or month (2025-03).")
@click.option("--frequency", type=FREQUENCIES, default=None, help="Checked against the period's form (optional).")
@click.option("--subscriber", metavar="EMAIL", default=None, help="What this subscriber would get (default: all).")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the HTML to this file."
)
@click.option("--text", "show_text", is_flag=True, help="Print the plain-text part.")
@click.option("--open", "open_browser", is_flag=True, help="Open the HTML in a web browser.")
def preview(
    cfg: Config,
    period: str,
    frequency: str | None,
    subscriber: str | None,
    output: Path | None,
    show_text: bool,
    open_browser: bool,
) -> None:
    """Render a digest without sending or recording anything."""
    from publisher.delivery import write_atomic

    rendered = pipeline.preview_digest(cfg, period, frequency=frequency, subscriber=subscriber)
    click.echo(f"Subject: {rendered.subject}", err=True)
    click.echo(f"{rendered.count} items, variant {rendered.variant}", err=True)
    target = output
    if target is None and open_browser:
        with tempfile.NamedTemporaryFile("wb", prefix="digest-preview-", suffix=".html", delete=False) as fh:
            target = Path(fh.name)
    if target is not None:
        write_atomic(target, rendered.html.encode("utf-8"))
        click.echo(f"HTML written to {target}", err=True)
    if open_browser and target is not None:
        webbrowser.open(target.resolve().as_uri())
    if show_text or target is None:
        click.echo(rendered.text, nl=False)


@digest.command()
@with_config
@click.option("--frequency", type=FREQUENCIES, default=None, help="Only this frequency (default: both).")
@click.option(
    "--period", metavar="PERIOD", default=None, help="ISO week or month to build (default: the last completed one)."
)
def build(cfg: Config, frequency: str | None, period: str | None) -> None:
    """Create editions and queue their deliveries (idempotent: an existing edition is left alone)."""
    summary = pipeline.build_editions(cfg, frequency=frequency, period=period)
    for r in summary.results:
        click.echo(r.describe())


WORKERS = click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Senders in parallel, each with its own connection (they share the queue and delivery.rate_limit).",
)
LIMIT = click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Send at most this many messages (per worker)."
)


def _deliver(cfg: Config, limit: int | None, workers: int) -> None:
    progress = TerminalProgress() if workers == 1 else None
    if progress is None:
        summary = pipeline.deliver(cfg, limit=limit, workers=workers)
    else:
        summary = pipeline.deliver(cfg, limit=limit, progress=progress)
    click.echo(summary.describe())


@digest.command()
@with_config
@LIMIT
@WORKERS
def send(cfg: Config, limit: int | None, workers: int) -> None:
    """Deliver queued (and due deferred) messages through the configured transport."""
    _deliver(cfg, limit, workers)


@click.command()
@with_config
@LIMIT
@WORKERS
def deliver(cfg: Config, limit: int | None, workers: int) -> None:
    """Deliver queued (and due deferred) digest messages (same as `digest send`).

    \b
    Several `publisher deliver` processes, on one host or many, may share one PostgreSQL store: each takes
    its own rows (FOR UPDATE SKIP LOCKED) and together they keep to delivery.rate_limit.
    """
    _deliver(cfg, limit, workers)


@digest.command(name="send-test")
@with_config
@click.option("--to", "to", required=True, metavar="ADDRESS", help="Where the test message goes.")
@click.option(
    "--as", "as_subscriber", metavar="SUBSCRIBER", default=None, help="Send what this subscriber got or would get."
)
@click.option("--edition", type=int, metavar="N", default=None, help="Edition id (default: the newest).")
def send_test(cfg: Config, to: str, as_subscriber: str | None, edition: int | None) -> None:
    """Send one digest message marked as a test; no delivery row, nothing recorded as sent to anyone."""
    result = pipeline.send_test_digest(cfg, to, as_subscriber=as_subscriber, edition=edition)
    click.echo(result.describe())


@digest.command(name="list")
@with_config
def list_(cfg: Config) -> None:
    """Editions, newest first, with their deliveries counted by status."""
    rows = pipeline.list_editions(cfg)
    if not rows:
        click.echo("no editions yet")
    for info in rows:
        click.echo(info.describe())


COMMANDS: list[click.Command] = [digest, deliver]
