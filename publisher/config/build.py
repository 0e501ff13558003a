"""Build typed config dataclasses from parsed TOML values; every type error names its exact key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

from publisher.errors import ConfigError

# C0 and C1 control characters and DEL (a tab is allowed): a CR/LF would split a mail header or an HTTP line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if tp is Path:
        return "a path string"
    if tp is dt.date:
        return "a date (YYYY-MM-DD)"
    if origin is tuple:
        return f"a list of {describe(typing.get_args(tp)[0])}s"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _no_control(value: str, key: str) -> None:
    m = _CONTROL.search(value)
    if m is not None:
        what = "line breaks" if m.group() in "\r\n" else "control characters"
        raise ConfigError(f"must not contain {what} (found {m.group()!r})", key=key)


def _date(value: Any, key: str) -> dt.date:
    """A TOML date (2025-01-29) or the same written as a string; a date-time is refused (a day is meant)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"expected a date (YYYY-MM-DD), got {value!r}", key=key)


def _build_value(tp: Any, value: Any, key: str, root: Path) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _build_value(args[0], value, key, root)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"expected {describe(tp)}, got {value!r}", key=key)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {value!r}", key=key)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected an integer, got {value!r}", key=key)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"expected a number, got {value!r}", key=key)
        if not math.isfinite(value):
            # TOML allows nan and inf; neither is a sensible rate, delay or interval (nan compares false to all).
            raise ConfigError(f"must be a finite number, got {value!r}", key=key)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {value!r}", key=key)
        _no_control(value, key)
        return value
    if tp is dt.date:
        return _date(value, key)
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"expected a path string, got {value!r}", key=key)
        _no_control(value, key)
        p = Path(value).expanduser()
        return p if p.is_absolute() else (root / p)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"expected {describe(tp)}, got {value!r}", key=key)
        (item_tp, *_) = typing.get_args(tp)
        return tuple(_build_value(item_tp, v, f"{key}[{i}]", root) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table, got {value!r}", key=key)
        _, val_tp = typing.get_args(tp)
        for k in value:
            _no_control(str(k), f"{key}.{k!r}")
        return {str(k): _build_value(val_tp, v, f"{key}.{k}", root) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table, got {value!r}", key=key)
        return build_dataclass(tp, value, key, root)
    raise AssertionError(f"unsupported config type {tp!r}")  # a programming error, not user input


def build_dataclass(cls: Any, data: dict[str, Any], key: str, root: Path) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ConfigError(
            f"unknown key {unknown[0]!r} (allowed: {allowed})", key=f"{key}.{unknown[0]}" if key else unknown[0]
        )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        sub = f"{key}.{name}" if key else name
        if name in data:
            kwargs[name] = _build_value(hints[name], data[name], sub, root)
            valid = f.metadata.get("range")
            if valid is not None and (problem := valid.problem(kwargs[name])) is not None:
                raise ConfigError(f"{problem} (range {valid.describe()}), got {data[name]!r}", key=sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError("required key is missing", key=sub)
        elif hints[name] is Path and isinstance(f.default, Path) and not f.default.is_absolute():
            kwargs[name] = root / f.default
        elif dataclasses.is_dataclass(hints[name]):
            # An absent section still needs its relative default paths resolved.
            kwargs[name] = build_dataclass(hints[name], {}, sub, root)
    return cls(**kwargs)
