"""CLI commands for feeds (filled in by the feeds work)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
