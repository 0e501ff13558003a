"""Shared CLI plumbing: the --config option, progress reporters, error printing and output helpers."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from publisher.config import Config, load_config

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_ENV = "PUBLISHER_CONFIG"
log = logging.getLogger("publisher")


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "config.toml"))


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        ctx.ensure_object(dict)["config_path"] = value
    return value


def config_option(f: F) -> F:
    """Accept --config on every command (as well as on the group) so it may stand anywhere."""
    return click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember_config,
        help=f"Config file (default: ${CONFIG_ENV} or ./config.toml).",
    )(f)


def get_config(ctx: click.Context | None = None) -> Config:
    """The loaded config for this invocation (loaded once)."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "config" not in obj:
        path = ctx.ensure_object(dict).get("config_path") or obj.get("config_path") or default_config_path()
        obj["config"] = load_config(path)
    cfg: Config = obj["config"]
    return cfg


def with_config(f: F) -> F:
    """Decorator: add --config and pass the loaded Config as the first argument."""

    @config_option
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(get_config(), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class TerminalProgress:
    """A live bar on a terminal, plain log lines every few thousand items otherwise."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: Any = None
        self.label = ""
        self.count = 0
        self.next_log = 0

    def start(self, label: str, total: int | None = None) -> None:
        self.done()
        self.label, self.count, self.next_log = label, 0, 5000
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit=" items", file=self.stream, leave=False)

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.count >= self.next_log:
            log.info("%s: %d done", self.label, self.count)
            self.next_log += 5000

    def done(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        stream=sys.stderr,
    )
    # Library chatter stays out of operator logs unless asked for.
    for noisy in ("apscheduler", "sqlalchemy", "alembic", "werkzeug", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbosity < 1 else logging.INFO)
