"""CLI command `eval`: score tagging and linking of a release file against gold labels."""

from __future__ import annotations

import json
from pathlib import Path

import click

from publisher import pipeline
from publisher.cli.common import with_config
from publisher.config import Config

_FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


@click.command("eval")
@with_config
@click.option("--releases", "releases", type=_FILE, required=True, help="Release file (.jsonl, or .txt seed format).")
@click.option("--projects", "projects", type=_FILE, required=True, help="Project file (.toml/.json, or .txt pages).")
@click.option("--gold", "gold", type=_FILE, required=True, help="Gold labels, one JSON object per release.")
@click.option("--releases-kind", metavar="KIND", help="Source kind of --releases when the extension does not tell.")
@click.option("--projects-kind", metavar="KIND", help="Source kind of --projects when the extension does not tell.")
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
def eval_command(
    cfg: Config,
    releases: Path,
    projects: Path,
    gold: Path,
    releases_kind: str | None,
    projects_kind: str | None,
    as_json: bool,
) -> None:
    """Country P/R/F1, project-link P/R, region and topic P/R over labelled releases, then every mistake
    with its score and reasons. Uses the taxonomy and linking settings of the config."""
    report = pipeline.evaluate_files(
        cfg, releases, projects, gold, releases_kind=releases_kind, projects_kind=projects_kind
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(pipeline.format_report(report))


COMMANDS: list[click.Command] = [eval_command]
