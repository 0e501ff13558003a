"""The effective value of every config key of a loaded Config, where it came from (file, environment, default)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.config.schema import DATABASE_URL_ENV, DEFAULT_TAXONOMY_PATH, Config

MASK = "********"
# Keys whose value is itself a secret (the *_env keys only name a variable and are shown).
SECRET_KEYS = frozenset({"digest.secret_key"})
_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@/\s]+@")


@dataclass(frozen=True)
class Setting:
    key: str  # as ConfigError names it: feeds.max_entries, sources[0].path, schedules.nightly.cron
    value: str  # TOML-like, secrets masked
    origin: str  # "file", "environment VAR", "default" or "default taxonomy"
    default: str  # the schema default, for comparison
    doc: str
    note: str = ""  # e.g. whether the variable a *_env key names is set


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        return _show(f.default)
    if f.default_factory is not dataclasses.MISSING:
        return _show(f.default_factory())
    return "(required)"


def _mask(key: str, shown: str, value: Any) -> str:
    if key in SECRET_KEYS:
        return MASK if value else shown
    return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", shown)


def _environment(cfg: Config, key: str) -> tuple[str, Any] | None:
    """(origin, value) when an environment variable overrides `key` for this process."""
    if key == "store.url" and os.environ.get(DATABASE_URL_ENV):
        return f"environment {DATABASE_URL_ENV}", os.environ[DATABASE_URL_ENV]
    if key == "digest.secret_key" and os.environ.get(cfg.digest.secret_key_env):
        return f"environment {cfg.digest.secret_key_env}", os.environ[cfg.digest.secret_key_env]
    return None


def _env_note(key: str, value: Any) -> str:
    """For keys that name an environment variable: whether it is set here (never its value)."""
    if not key.endswith("_env") or not isinstance(value, str) or not value:
        return ""
    return f"${value} is {'set' if os.environ.get(value) else 'not set'}"


def _walk(cfg: Config, obj: Any, raw: Any, prefix: str, out: list[Setting]) -> None:
    raw = raw if isinstance(raw, dict) else {}
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if not prefix and f.name in ("path", "root"):  # where the Config came from, not keys
            continue
        key, value, tp = f"{prefix}{f.name}", getattr(obj, f.name), hints[f.name]
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            _walk(cfg, value, raw.get(f.name), key + ".", out)
            continue
        if typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
            items = raw.get(f.name) if isinstance(raw.get(f.name), list) else []
            for i, item in enumerate(value):
                _walk(cfg, item, items[i] if i < len(items) else {}, f"{key}[{i}].", out)
            continue
        if typing.get_origin(tp) is dict and args and dataclasses.is_dataclass(args[1]):
            if prefix == "taxonomy.":  # hundreds of keywords: one line per table says what is in force
                origin = "file" if f.name in raw else "default taxonomy"
                shown = f"{len(value)} {f.name}: {', '.join(value)}"
                out.append(Setting(key, shown, origin, f"see {DEFAULT_TAXONOMY_PATH.name}", f.metadata.get("doc", "")))
                continue
            table = raw.get(f.name) if isinstance(raw.get(f.name), dict) else {}
            for name, item in value.items():
                _walk(cfg, item, table.get(name), f"{key}.{name}.", out)
            continue
        origin = "file" if f.name in raw else "default"
        env = _environment(cfg, key)
        if env is not None:
            origin, value = env
        shown = _mask(key, _show(value), value)
        out.append(Setting(key, shown, origin, _default(f), f.metadata.get("doc", ""), _env_note(key, value)))


def effective_settings(cfg: Config) -> list[Setting]:
    """Every key of `cfg` with its effective value (paths resolved, secrets masked) and where it came from."""
    raw: dict[str, Any] = {}
    if cfg.path is not None:
        # Loading already parsed this file successfully; read it again only to tell set keys from defaults.
        raw = tomllib.loads(Path(cfg.path).read_text(encoding="utf-8"))
    out: list[Setting] = []
    _walk(cfg, cfg, raw, "", out)
    return out
