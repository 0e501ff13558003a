"""Walk the config schema for operator documentation (check-config --explain, the README reference)."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from publisher.config.schema import Config


def iter_docs(cls: Any = Config, prefix: str = "") -> typing.Iterator[tuple[str, str, str]]:
    """(key, default, doc) for every documented key, for check-config --explain and the README."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if cls is Config and f.name in ("path", "root"):
            continue  # where the config was loaded from, not keys an operator writes
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            yield from iter_docs(tp, key + ".")
            continue
        if typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
            yield from iter_docs(args[0], f"[[{key}]].")
            continue
        if typing.get_origin(tp) is dict and dataclasses.is_dataclass(args[1]):
            yield from iter_docs(args[1], f"{key}.<name>.")
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        yield key, default, f.metadata.get("doc", "")
