"""CLI commands for digest (filled in by the digest work)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
