"""CLI commands for content: ingest, retag, releases, projects, export, check-config."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from publisher import pipeline
from publisher.cli.common import TerminalProgress, config_option, get_config, with_config
from publisher.config import Config, effective_settings
from publisher.countries import near_countries, resolve_country
from publisher.errors import SourceError, UsageError
from publisher.queries import ReleaseFilter, release_dict


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param=param) from None


def _country(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    code = resolve_country(value)
    if code is None:
        near = near_countries(value)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise UsageError(
            f"--{param.name}",
            f"unknown country {value!r}{hint} (valid: a country's name, short or official name, "
            "or its ISO 3166 alpha-2 or alpha-3 code, e.g. Türkiye, Turkey, TR, TUR)",
        )
    return code


@click.command()
@with_config
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--skip-invalid", is_flag=True, help="Skip malformed records (and report them) instead of failing.")
def ingest(cfg: Config, sources: tuple[str, ...], skip_invalid: bool) -> None:
    """Read configured sources into the store (idempotent; one transaction per source)."""
    summary = pipeline.run_ingest(cfg, sources=sources or None, skip_invalid=skip_invalid, progress=TerminalProgress())
    if summary.interrupted:
        n = len(summary.interrupted)
        click.echo(
            f"marked {n} interrupted run{'s' if n > 1 else ''} ({'; '.join(i.describe() for i in summary.interrupted)}):"
            " their processes are gone",
            err=True,
        )
    for r in summary.results:
        extra = f", {r.removed} removed" if r.removed else ""
        extra += f", {r.relinked} releases relinked" if r.relinked else ""
        extra += f", {r.duplicates} repeats ignored" if r.duplicates else ""
        click.echo(
            f"{r.source}: {r.added} added, {r.updated} updated, {r.unchanged} unchanged, "
            f"{len(r.skipped)} skipped{extra}"
        )
        for s in r.skipped:
            click.echo(f"  skipped {s.where}: {s.reason}", err=True)


@click.command("ingest-history")
@with_config
@click.option("--source", metavar="NAME", default=None, help="Only runs of this source.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def ingest_history(cfg: Config, source: str | None, limit: int, as_json: bool) -> None:
    """Recorded ingest runs, newest first: status (running, ok, failed, interrupted), counts, error."""
    rows = pipeline.ingest_history(cfg, source=source, limit=limit)
    for r in rows:
        if as_json:
            doc = {
                "source": r.source,
                "status": r.status.value,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "added": r.added,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "skipped": r.skipped,
                "error": r.error,
                "owner": r.owner,
            }
            click.echo(json.dumps(doc, ensure_ascii=False))
            continue
        click.echo(
            f"{r.started_at:%Y-%m-%d %H:%M:%S}Z  {r.source}  {r.status.value}  "
            f"({r.added} added, {r.updated} updated, {r.unchanged} unchanged, {r.skipped} skipped)"
        )
        if r.error:
            click.echo(f"    {r.error}")
    if not as_json and not rows:
        click.echo("no ingest runs recorded yet")


@click.command()
@with_config
def retag(cfg: Config) -> None:
    """Recompute every release's topics, regions, countries and project links (after a taxonomy change)."""
    n, touched = pipeline.retag(cfg, progress=TerminalProgress())
    feeds = sorted(k for k in touched if k.split(":", 1)[0] in ("all", "topic", "region", "project"))
    click.echo(f"{n} releases changed; {len(feeds)} feeds affected")
    if n:
        click.echo("run `publisher feeds build` (or wait for the next scheduled cycle) to update the feed files")


@click.command()
@with_config
@click.option("--topic", help="Topic slug.")
@click.option("--region", help="Region slug.")
@click.option("--country", callback=_country, help="Country name or ISO code (Russia, RU, RUS).")
@click.option("--project", help="Project slug.")
@click.option("--since", callback=_date, help="Published on or after YYYY-MM-DD.")
@click.option("--until", callback=_date, help="Published on or before YYYY-MM-DD.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def releases(
    cfg: Config,
    topic: str | None,
    region: str | None,
    country: str | None,
    project: str | None,
    since: dt.date | None,
    until: dt.date | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List stored releases, newest first, with their tags and related projects."""
    f = ReleaseFilter(
        topic=topic, region=region, country=country, project=project, since=since, until=until, limit=limit
    )
    rows = pipeline.list_releases(cfg, f)
    for r in rows:
        if as_json:
            click.echo(json.dumps(release_dict(r), ensure_ascii=False))
            continue
        click.echo(f"{r.published}  {r.title}")
        tags = [t.topic for t in r.topics] + [x.region for x in r.regions] + [c.country for c in r.countries]
        if tags:
            click.echo(f"            [{', '.join(tags)}]")
        for link in r.project_links:
            click.echo(f"            → {link.project.name} ({link.score:.2f}: {'; '.join(link.reasons)})")
    if not as_json:
        click.echo(f"{len(rows)} releases", err=True)


@click.command()
@with_config
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--discovered", is_flag=True, help="Instead: project-like names in releases that no project answers to.")
def projects(cfg: Config, as_json: bool, discovered: bool) -> None:
    """List stored projects with duration and countries (or, with --discovered, names the list lacks)."""
    if discovered:
        found = pipeline.discovered_projects(cfg)
        for d in found:
            if as_json:
                click.echo(
                    json.dumps({"name": d.name, "releases": d.count, "examples": d.examples}, ensure_ascii=False)
                )
            else:
                click.echo(f"{d.count:>5}  {d.name}    e.g. {', '.join(d.examples)}")
        if not as_json:
            click.echo(f"{len(found)} names not in the project list (add them with aliases to link them)", err=True)
        return
    rows = pipeline.list_projects(cfg)
    for p in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "slug": p.slug,
                        "name": p.name,
                        "acronym": p.acronym,
                        "acronyms": p.acronyms,
                        "aliases": p.aliases,
                        "start": str(p.start_date or ""),
                        "end": str(p.end_date or ""),
                        "countries": p.countries,
                        "topics": p.topics,
                        "regions": p.regions,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            label = f"{p.name} ({p.acronym})" if p.acronym and p.acronym not in p.name else p.name
            click.echo(f"{p.slug}\n    {label}  {p.years}  {', '.join(p.countries)}")
    if not as_json:
        click.echo(f"{len(rows)} projects", err=True)


@click.command()
@with_config
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="File (default: stdout).")
def export(cfg: Config, fmt: str, output: Path | None) -> None:
    """Export every release with topics, countries, regions and related projects."""
    if output is None:
        n = pipeline.export_jsonl(cfg, sys.stdout)
    else:
        try:
            fh = output.open("w", encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot write {output}: {exc.strerror}", param_hint="'--output'") from None
        with fh:
            n = pipeline.export_jsonl(cfg, fh)
    click.echo(f"exported {n} releases", err=True)


@click.command("check-config")
@config_option
@click.option("--explain", is_flag=True, help="List every key with its effective value, origin and meaning.")
@click.option(
    "--online",
    is_flag=True,
    help="Also try every enabled source: fetch each URL once (within sources[].timeout), read each file.",
)
@click.pass_context
def check_config(ctx: click.Context, explain: bool, online: bool) -> None:
    """Validate the config file and its sources; errors name the exact key. Nothing touches the network
    unless --online is given."""
    cfg = get_config(ctx)
    if explain:
        click.echo(f"# effective settings of {cfg.path} (origin: file, environment or default)")
        for s in effective_settings(cfg):
            differs = s.origin == "file" and s.value != s.default and s.default != "(required)"
            origin = f"file; default {s.default}" if differs else s.origin
            note = f"; {s.note}" if s.note else ""
            click.echo(f"{s.key} = {s.value}    # {origin}{note}\n    {s.doc}")
        return
    for note in pipeline.check_config(cfg):
        click.echo(note)
    if online:
        checks = pipeline.check_sources_online(cfg)
        for c in checks:
            click.echo(f"online {c.name} ({c.where}): {'OK' if c.ok else 'FAILED'}: {c.detail}")
        failed = [c.name for c in checks if not c.ok]
        if failed:
            raise SourceError(f"{len(failed)} of {len(checks)} sources failed the online check: {', '.join(failed)}")
    click.echo(f"{cfg.path}: OK")


COMMANDS = [ingest, ingest_history, retag, releases, projects, export, check_config]
