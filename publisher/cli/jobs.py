"""CLI commands for jobs (filled in by the jobs work)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
