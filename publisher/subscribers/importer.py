"""CSV import of subscribers: validate every row first, then apply them in the caller's transaction."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import SubscriberError
from publisher.models import SubscriberStatus, utcnow
from publisher.subscribers.service import PREFERENCE_FIELDS, Outcome, upsert_subscriber
from publisher.subscribers.validate import SubscriberData, validate_subscriber

CSV_COLUMNS = ("email", "name", "topics", "regions", "frequency")


@dataclass
class ImportRow:
    line: int
    data: SubscriberData
    fields: tuple[str, ...] = PREFERENCE_FIELDS  # the columns the file has: only these update existing rows


@dataclass
class ImportResult:
    """What an import did; `skipped` holds `file:line: reason` texts of rows left out (--skip-invalid)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_inactive: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def parse_csv(cfg: Config, text: str, source: str) -> tuple[list[ImportRow], list[str]]:
    """Validate every row of a subscriber CSV without touching the store; returns rows and `source:line: reason` errors.

    Columns: email (required), name, topics, regions, frequency; lists are `;`-separated.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise SubscriberError(f"{source}:1: empty file (expected a header line: {','.join(CSV_COLUMNS)})")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise SubscriberError(f"{source}:1: unknown column {unknown[0]!r} (allowed: {', '.join(CSV_COLUMNS)})")
    if "email" not in header:
        raise SubscriberError(f"{source}:1: the header has no 'email' column")
    if len(set(header)) != len(header):
        raise SubscriberError(f"{source}:1: a column is named twice")
    reader.fieldnames = header
    rows: list[ImportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{source}:{reader.line_num}: {exc}")
            break  # the csv reader cannot resynchronise after a broken quote
        line = reader.line_num
        if None in raw:
            errors.append(f"{source}:{line}: more fields than columns in the header")
            continue
        try:
            data = validate_subscriber(
                cfg,
                raw.get("email") or "",
                name=raw.get("name"),
                topics=_split_list(raw.get("topics")),
                regions=_split_list(raw.get("regions")),
                frequency=raw.get("frequency"),
            )
        except SubscriberError as exc:
            errors.append(f"{source}:{line}: {exc}")
            continue
        if data.email in seen:
            errors.append(f"{source}:{line}: {data.email} repeats line {seen[data.email]}")
            continue
        seen[data.email] = line
        rows.append(ImportRow(line, data, tuple(f for f in PREFERENCE_FIELDS if f in header)))
    return rows, errors


def import_rows(
    session: Session, rows: Sequence[ImportRow], *, status: SubscriberStatus, now: dt.datetime | None = None
) -> ImportResult:
    """Apply validated rows in the caller's transaction; unsubscribed/bounced addresses stay so."""
    now = now or utcnow()
    result = ImportResult()
    for row in rows:
        sub, outcome = upsert_subscriber(
            session, row.data, status=status, now=now, keep_inactive=True, fields=row.fields
        )
        if outcome is Outcome.ADDED:
            result.added += 1
        elif outcome is Outcome.UPDATED:
            result.updated += 1
        elif outcome is Outcome.UNCHANGED:
            result.unchanged += 1
        else:
            result.kept_inactive.append(f"{sub.email} ({sub.status.value})")
    return result
