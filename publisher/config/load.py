"""Read config.toml into a validated Config: TOML parsing, default taxonomy merge, path resolution."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

from publisher.config.build import build_dataclass
from publisher.config.checks import check_config
from publisher.config.schema import DEFAULT_TAXONOMY_PATH, TOP_SECTIONS, Config
from publisher.errors import ConfigError


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 (byte {exc.start})", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None


def default_taxonomy_data() -> dict[str, Any]:
    """The bundled default taxonomy (regions, groups, topics) as raw TOML data."""
    taxonomy: dict[str, Any] = _read_toml(DEFAULT_TAXONOMY_PATH).get("taxonomy", {})
    return taxonomy


def config_from_dict(data: dict[str, Any], *, root: Path, path: Path | None = None) -> Config:
    """Build and validate a Config from parsed TOML; `root` resolves relative paths."""
    data = dict(data)
    unknown = sorted(set(data) - TOP_SECTIONS)
    if unknown:
        raise ConfigError(
            f"unknown section or key (allowed: {', '.join(sorted(TOP_SECTIONS))})", key=unknown[0], path=path
        )
    # The operator's taxonomy replaces the default per table: giving [taxonomy.regions] replaces all regions, and
    # [taxonomy.groups] all groups.
    taxonomy = dict(default_taxonomy_data())
    user_tax = data.get("taxonomy", {})
    if not isinstance(user_tax, dict):
        raise ConfigError("expected a table", key="taxonomy", path=path)
    taxonomy.update(user_tax)
    data["taxonomy"] = taxonomy
    try:
        cfg: Config = build_dataclass(Config, data, "", root)
        cfg = dataclasses.replace(cfg, path=path, root=root)
        # Relative SQLite paths (any driver: sqlite:///x.db, sqlite+pysqlite:///x.db) resolve against the config.
        m = re.match(r"^(sqlite(?:\+\w+)?:///)(?!/)(.+)$", cfg.store.url)
        if m and not m.group(2).startswith(":memory:"):
            url = f"{m.group(1)}{(root / m.group(2)).resolve()}"
            cfg = dataclasses.replace(cfg, store=dataclasses.replace(cfg.store, url=url))
        check_config(cfg)
    except ConfigError as exc:
        if path is not None and exc.path is None:
            raise ConfigError(exc.reason, key=exc.key, path=path) from None
        raise
    return cfg


def load_config(path: Path | str) -> Config:
    """Read, validate and freeze the config file at `path`."""
    path = Path(path)
    data = _read_toml(path)
    return config_from_dict(data, root=path.resolve().parent, path=path)
