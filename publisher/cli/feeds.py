"""CLI commands for feeds: `feeds build` and `feeds list` (the work is done by pipeline.build_feeds/list_feeds)."""

from __future__ import annotations

import json

import click

from publisher import pipeline
from publisher.cli.common import TerminalProgress, with_config
from publisher.config import Config


@click.group()
def feeds() -> None:
    """Publish RSS/Atom feeds (all, per topic, region, project), OPML, index.html and release pages."""


@feeds.command()
@with_config
@click.option(
    "--full",
    is_flag=True,
    help="Re-render every file instead of only what the store changed since the "
    "last build (files are still rewritten only when their bytes differ).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be written or removed; write nothing.")
@click.option("--show-files", "-l", "list_files", is_flag=True, help="List each file written or removed.")
def build(cfg: Config, full: bool, dry_run: bool, list_files: bool) -> None:
    """Write feeds into feeds.dir (atomically; unchanged files are left alone).

    \b
    Examples:
      publisher feeds build              only what changed since the last build
      publisher feeds build --full       re-render everything (after editing templates by hand)
      publisher feeds build --dry-run    preview
    """
    summary = pipeline.build_feeds(cfg, full=full, dry_run=dry_run, progress=TerminalProgress())
    if list_files or dry_run:
        prefix_w, prefix_r = ("would write", "would remove") if dry_run else ("wrote", "removed")
        for path in summary.written:
            click.echo(f"{prefix_w} {path}")
        for path in summary.removed:
            click.echo(f"{prefix_r} {path}")
    click.echo(summary.describe())


@feeds.command(name="list")
@with_config
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
def list_(cfg: Config, as_json: bool) -> None:
    """List every feed: key, title, entries (shown/total), newest update, URL and file."""
    for info in pipeline.list_feeds(cfg):
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "key": info.key,
                        "title": info.title,
                        "entries": info.entries,
                        "total": info.total,
                        "updated": info.updated.isoformat(),
                        "urls": info.urls,
                        "paths": {k: str(v) for k, v in info.paths.items()},
                        "built": info.built,
                    },
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
            continue
        state = "" if info.built else "  (not built yet)"
        click.echo(
            f"{info.key}  {info.title}  {info.entries}/{info.total} entries  updated {info.updated.isoformat()}{state}"
        )
        for fmt, url in info.urls.items():
            click.echo(f"    {fmt}: {url}  {info.paths[fmt]}")


COMMANDS: list[click.Command] = [feeds]
