"""CLI commands for returned mail: `publisher mail process` (bounces, complaints, unsubscribe requests)."""

from __future__ import annotations

import click

from publisher import pipeline
from publisher.cli.common import with_config
from publisher.config import Config


@click.group()
def mail() -> None:
    """Mail that comes back: bounces (DSNs), spam complaints (ARF) and unsubscribe requests.

    \b
      publisher mail process      read mailbox.reader once and act on what is there
    """


@mail.command()
@with_config
def process(cfg: Config) -> None:
    """Read the mailbox once: permanent bounces count towards delivery.bounce_after, complaints and mails to
    the List-Unsubscribe address unsubscribe; anything else is moved to mailbox.unparsed_folder."""
    summary = pipeline.process_mail(cfg)
    click.echo(summary.describe())


COMMANDS = [mail]
