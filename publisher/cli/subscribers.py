"""CLI group `subscribers`: add, import, list and remove digest subscribers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from publisher import pipeline
from publisher.cli.common import with_config
from publisher.config import Config
from publisher.models import Frequency, Subscriber, SubscriberStatus

FREQUENCIES = click.Choice([f.value for f in Frequency])
STATUSES = click.Choice([s.value for s in SubscriberStatus])


@click.group()
def subscribers() -> None:
    """Manage digest subscribers (the web form adds them too, with double opt-in).

    \b
    Examples:
      publisher subscribers add ada@example.org --name "Ada" --topic labour-migration --frequency monthly
      publisher subscribers import people.csv        # columns: email,name,topics,regions,frequency
      publisher subscribers list --status active --json
      publisher subscribers remove ada@example.org   # unsubscribes; --purge erases (GDPR)
    """


@subscribers.command("add")
@with_config
@click.argument("email")
@click.option("--name", default="", help="Display name used in the greeting and To header.")
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="SLUG",
    help="Topic of interest (repeatable; none: all topics, or unchanged on update).",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="SLUG",
    help="Region of interest (repeatable; none: all regions, or unchanged on update).",
)
@click.option(
    "--frequency", type=FREQUENCIES, default=None, help="weekly or monthly  [default: weekly; kept on update]"
)
@click.option(
    "--active/--pending",
    default=True,
    show_default=True,
    help="--active: you vouch for the address. --pending: send a confirmation mail first.",
)
@click.option(
    "--resubscribe", is_flag=True, help="Re-activate an address that unsubscribed or bounced (only on request)."
)
def add(
    cfg: Config,
    email: str,
    name: str,
    topics: tuple[str, ...],
    regions: tuple[str, ...],
    frequency: str | None,
    active: bool,
    resubscribe: bool,
) -> None:
    """Add EMAIL, or update it if it exists (never a duplicate)."""
    change = pipeline.add_subscriber(
        cfg,
        email,
        name=name,
        topics=topics,
        regions=regions,
        frequency=frequency,
        active=active,
        resubscribe=resubscribe,
    )
    sub = change.subscriber
    click.echo(f"{sub.email}: {change.outcome.value} ({sub.status.value}, {sub.frequency.value})")
    if change.confirmation_sent:
        click.echo(f"confirmation mail sent to {sub.email}", err=True)


@subscribers.command("import")
@with_config
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid rows and report the others (default: all or nothing)."
)
@click.option("--dry-run", is_flag=True, help="Validate and count, change nothing.")
def import_(cfg: Config, csv_file: Path, skip_invalid: bool, dry_run: bool) -> None:
    """Import subscribers from CSV (header: email,name,topics,regions,frequency; lists `;`-separated).

    New addresses become active (you vouch for the list, as with `add`). Existing addresses are updated
    (columns missing from the file keep their values); unsubscribed or bounced ones are left as they are.
    """
    r = pipeline.import_subscribers(cfg, csv_file, skip_invalid=skip_invalid, dry_run=dry_run)
    for line in r.skipped:
        click.echo(f"skipped {line}", err=True)
    for who in r.kept_inactive:
        click.echo(f"kept {who}: not re-activated by an import", err=True)
    prefix = "dry run: would have " if dry_run else ""
    click.echo(
        f"{prefix}{r.added} added, {r.updated} updated, {r.unchanged} unchanged, "
        f"{len(r.kept_inactive)} left inactive, {len(r.skipped)} skipped"
    )


def _row(s: Subscriber) -> dict[str, object]:
    return {
        "email": s.email,
        "name": s.name,
        "status": s.status.value,
        "frequency": s.frequency.value,
        "topics": list(s.topics),
        "regions": list(s.regions),
        "created_at": s.created_at.isoformat(),
        "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
        "unsubscribed_at": s.unsubscribed_at.isoformat() if s.unsubscribed_at else None,
    }


@subscribers.command("list")
@with_config
@click.option("--status", type=STATUSES, default=None, help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(cfg: Config, status: str | None, as_json: bool) -> None:
    """List subscribers by address."""
    rows = pipeline.list_subscribers(cfg, status)
    for s in rows:
        if as_json:
            click.echo(json.dumps(_row(s), ensure_ascii=False))
            continue
        prefs = ", ".join([*s.topics, *s.regions]) or "everything"
        name = f" ({s.name})" if s.name else ""
        click.echo(f"{s.email}{name}  {s.status.value}  {s.frequency.value}  [{prefs}]")
    if not as_json:
        click.echo(f"{len(rows)} subscribers", err=True)


@subscribers.command("remove")
@with_config
@click.argument("email")
@click.option("--purge", is_flag=True, help="Erase the address and its delivery history for good (GDPR erasure).")
def remove(cfg: Config, email: str, purge: bool) -> None:
    """Unsubscribe EMAIL (the record is kept so imports cannot re-add it); --purge deletes it."""
    what = pipeline.remove_subscriber(cfg, email, purge=purge)
    click.echo(f"{email.strip().lower()}: {what}")


COMMANDS = [subscribers]
