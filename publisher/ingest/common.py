"""What ingest shares: the per-source result, batching, and cleaning records before they are hashed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from publisher.sources.base import ProjectRecord, RecordKind, ReleaseRecord, Skipped
from publisher.text import (
    clean_text,
    cut_at_word,
)

BATCH = 500
T = TypeVar("T")
R = TypeVar("R", ReleaseRecord, ProjectRecord)
TITLE_COLUMN = 400  # Release.title's length: a longer title from a source is cut to fit (PostgreSQL would refuse it)


@dataclass
class IngestResult:
    """What one source's ingest did.

    `touched_feeds` names what the feeds step must re-render: feeds (all, topic:x, region:x, project:x), release
    pages (release:<slug>) and, when anything changed, this ingest run (run:<id>) so the feeds step can tell
    that no other run's changes are missing.
    """

    source: str
    kind: RecordKind
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    touched_feeds: set[str] = field(default_factory=set)
    relinked: int = 0
    not_modified: bool = False  # a conditional GET answered 304: nothing was read
    http: dict[str, str] = field(default_factory=dict)  # validators (etag, last_modified) for the next fetch

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.relinked)


def batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def clean_record(rec: R) -> R:
    """The record with every text field made safe for the store and for XML (see text.clean_text), before hashing,
    so a re-ingest of the same source text finds the same hash."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(rec):
        value = getattr(rec, f.name)
        if isinstance(value, str):
            cleaned = clean_text(value)
            if cleaned is not value:
                changes[f.name] = cleaned
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            items = tuple(clean_text(v) for v in value)
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changes[f.name] = items
    if isinstance(rec, ReleaseRecord):
        title = str(changes.get("title", rec.title))
        if len(title.strip()) > TITLE_COLUMN:
            changes["title"] = cut_at_word(title, TITLE_COLUMN)
    # Most records are clean already: they are kept as they are (records are frozen), not copied.
    return dataclasses.replace(rec, **changes) if changes else rec  # type: ignore[arg-type]
