"""The `publisher` command line: parses arguments, calls the pipeline, prints results."""

from __future__ import annotations

import sys
from typing import Any

import click

from publisher import __version__
from publisher.cli.common import config_option, setup_logging
from publisher.errors import PublisherError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.version_option(__version__, prog_name="publisher")
def cli(verbose: int, quiet: bool) -> None:
    """publisher: ingest press releases and projects, tag and link them,
    publish RSS/Atom feeds and personalised digest e-mails.

    \b
    Quick start:
      publisher run --once        one full cycle: ingest, feeds, digests, delivery
      publisher ingest            read every configured source into the store
      publisher releases --topic border-management
      publisher check-config --explain

    Every command takes --config PATH (default: $PUBLISHER_CONFIG or ./config.toml).
    """
    setup_logging(-1 if quiet else verbose)


def _register() -> None:
    from publisher.cli import content, digest, evaluate, feeds, jobs, links, mail, subscribers, web

    for module in (content, links, feeds, digest, mail, jobs, subscribers, web, evaluate):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: PublisherError becomes `ErrorName: message` on stderr and exit status 1."""
    try:
        return cli.main(args=argv, prog_name="publisher", standalone_mode=False)
    except PublisherError as exc:
        click.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
