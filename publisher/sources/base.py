"""The source extension point: record types, the Source protocol and the kind registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from publisher.config import Config, SourceConfig
from publisher.errors import ConfigError
from publisher.models import DatePrecision


class RecordKind(StrEnum):
    RELEASE = "release"
    PROJECT = "project"


@dataclass(frozen=True)
class ReleaseRecord:
    """One press release as read from a source, before derivation of title, slug and GUID."""

    published: dt.date
    body: str
    line: int  # where the record starts in its source, for error messages
    title: str = ""  # empty: derived from the body
    url: str = ""
    external_id: str = ""  # a source's own id (feed entry id, jsonl id); empty: derived
    summary: str = ""
    precision: DatePrecision = DatePrecision.DAY  # "March 2019" is published=2019-03-01, precision month
    # The source gave HTML: its safe subset (publisher.safehtml); `body` is its text. Empty: the source gave text.
    body_html: str = ""


@dataclass(frozen=True)
class ProjectRecord:
    """One project as read from a source."""

    name: str
    line: int
    acronym: str = ""  # the main one; more in `acronyms`
    acronyms: tuple[str, ...] = ()  # further acronyms ("MIEUX+")
    aliases: tuple[str, ...] = ()  # other names releases use for the project
    objective: str = ""
    specific_objectives: tuple[str, ...] = ()
    description: str = ""
    agencies: tuple[str, ...] = ()
    donors: tuple[str, ...] = ()
    duration_text: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    start_precision: DatePrecision = DatePrecision.DAY
    end_precision: DatePrecision = DatePrecision.DAY
    country_names: tuple[str, ...] = ()  # as written in the source
    countries: tuple[str, ...] = ()  # ISO alpha-2, resolved
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


Record = ReleaseRecord | ProjectRecord


@dataclass(frozen=True)
class Skipped:
    """A record that was invalid and skipped under --skip-invalid."""

    where: str
    reason: str


class Source(Protocol):
    """A configured source; `read` yields records lazily so large inputs stream."""

    kind: RecordKind
    config: SourceConfig

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[Record]:
        """Yield records in file order. With `on_invalid`, bad records are reported and skipped;
        without, the first bad record raises SourceError."""
        ...


SourceFactory = Callable[[SourceConfig, Config], Source]
_REGISTRY: dict[str, SourceFactory] = {}


def register(kind: str) -> Callable[[SourceFactory], SourceFactory]:
    """Register a source kind under the name operators write in `sources[].kind`."""

    def deco(factory: SourceFactory) -> SourceFactory:
        _REGISTRY[kind] = factory
        return factory

    return deco


def kinds() -> list[str]:
    return sorted(_REGISTRY)


def make_source(src: SourceConfig, cfg: Config, index: int = 0) -> Source:
    try:
        factory = _REGISTRY[src.kind]
    except KeyError:
        raise ConfigError(
            f"unknown source kind {src.kind!r} (allowed: {', '.join(kinds())})", key=f"sources[{index}].kind"
        ) from None
    return factory(src, cfg)
