"""CLI commands about links: `explain RELEASE` shows every candidate project with its evidence."""

from __future__ import annotations

import json

import click

from publisher import pipeline
from publisher.cli.common import with_config
from publisher.config import Config


@click.command()
@with_config
@click.argument("release")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (score and weighted evidence per candidate).")
def explain(cfg: Config, release: str, as_json: bool) -> None:
    """Why RELEASE (slug, GUID, URL, source id or id) links to its projects, and why the others lost."""
    ex = pipeline.explain_release(cfg, release)
    if as_json:
        doc = {
            "slug": ex.slug,
            "title": ex.title,
            "date": ex.published,
            "countries": list(ex.countries),
            "regions": list(ex.regions),
            "topics": list(ex.topics),
            "projects": ex.projects,
            "candidates": [
                {
                    "project": c.key,
                    "name": c.name,
                    "linked": c.linked,
                    "score": c.score,
                    "why": c.why,
                    "evidence": [e.as_dict() for e in c.evidence],
                }
                for c in ex.candidates
            ],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"{ex.published}  {ex.title}  ({ex.slug})")
    click.echo(
        f"  countries: {', '.join(ex.countries) or '-'}   regions: {', '.join(ex.regions) or '-'}"
        f"   topics: {', '.join(ex.topics) or '-'}"
    )
    if not ex.candidates:
        click.echo("  no candidate: the release names no project and shares no country or region with one")
    for c in ex.candidates:
        verdict = "linked" if c.linked else "lost  "
        click.echo(f"  {verdict} {c.score:.2f}  {c.name} ({c.key}): {c.why}")
        for e in c.evidence:
            click.echo(f"           {e.kind:<8} +{e.weight:.2f}  {e.detail}")
    rest = ex.projects - len(ex.candidates)
    if rest > 0:
        click.echo(f"  {rest} other projects were not candidates (no name, country or region in common)")


COMMANDS = [explain]
