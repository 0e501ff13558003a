"""Gold labels: reading them, finding each row's release, and naming projects the way gold rows do."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from publisher.errors import SourceError
from publisher.pipeline.evaluate.predict import project_key
from publisher.sources.base import ProjectRecord, ReleaseRecord


@dataclass(frozen=True)
class GoldRow:
    """The labels of one release. It is found by the source's id, or (seed format) by date and a phrase of its text."""

    countries: frozenset[str]
    countries_optional: frozenset[str] = frozenset()
    projects_must: frozenset[str] = frozenset()
    projects_ok: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    release_id: str = ""
    date: dt.date | None = None
    contains: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        return self.release_id or f"{self.date} {self.contains!r}"


def parse_gold(lines: Iterable[str], source: str = "gold") -> list[GoldRow]:
    """Gold rows from JSON lines; a malformed row fails with `source:line`."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("expected a JSON object")
            rows.append(_gold_row(obj))
        except (ValueError, TypeError) as exc:
            raise SourceError(str(exc), source=source, line=number) from None
    return rows


def _codes(obj: dict[str, Any], key: str) -> frozenset[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: expected a list of strings")
    return frozenset(value)


def _gold_row(obj: dict[str, Any]) -> GoldRow:
    release_id, contains = str(obj.get("id", "")).strip(), str(obj.get("contains", ""))
    date = dt.date.fromisoformat(obj["date"]) if obj.get("date") else None
    if not release_id and not (date and contains):
        raise ValueError("a gold row needs an id, or a date and a phrase the release contains")
    row = GoldRow(
        countries=_codes(obj, "countries"),
        countries_optional=_codes(obj, "countries_optional"),
        projects_must=_codes(obj, "projects_must"),
        projects_ok=_codes(obj, "projects_ok"),
        regions=_codes(obj, "regions"),
        topics=_codes(obj, "topics"),
        release_id=release_id,
        date=date,
        contains=contains,
        note=str(obj.get("note", "")),
    )
    if row.countries & row.countries_optional:
        raise ValueError(f"{row.label}: a country is both required and optional")
    return row


def match_gold(gold: Sequence[GoldRow], releases: Sequence[ReleaseRecord]) -> list[int]:
    """For each gold row, the index of its release; a row matching none or several is an error."""
    by_id: dict[str, list[int]] = {}
    for i, r in enumerate(releases):
        if r.external_id:
            by_id.setdefault(r.external_id, []).append(i)
    out = []
    for row in gold:
        if row.release_id:
            found = by_id.get(row.release_id, [])
        else:
            found = [
                i
                for i, r in enumerate(releases)
                if r.published == row.date and (row.contains in r.body or row.contains in r.title)
            ]
        if len(found) != 1:
            raise SourceError(f"gold row {row.label} matches {len(found)} releases (expected exactly one)")
        out.append(found[0])
    return out


def project_refs(projects: Sequence[ProjectRecord]) -> dict[str, str]:
    """Gold may name a project by its key, any acronym, its name or an alias (any case); all map to its key."""
    refs: dict[str, str] = {}
    keys = [project_key(p) for p in projects]
    if len(set(keys)) != len(keys):
        raise SourceError("two projects share an acronym (or a name without acronym): gold could not tell them apart")
    for key, p in zip(keys, projects, strict=True):
        for ref in (key, p.acronym, p.name, *p.acronyms, *p.aliases):
            if ref:
                refs.setdefault(ref.casefold(), key)
    return refs


def resolve_projects(refs: Mapping[str, str], names: Iterable[str], row: GoldRow) -> frozenset[str]:
    out = set()
    for name in names:
        key = refs.get(name.casefold())
        if key is None:
            raise SourceError(f"gold row {row.label}: no project {name!r} in the project list")
        out.add(key)
    return frozenset(out)
