"""Read the dates sources write ("2019-03", "March 2019", "03.07.2025", "09-Nov-2023", "20-JUN-08"), keeping precision."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

from publisher.models import DatePrecision

_MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    _MONTHS[calendar.month_name[_i].lower()] = _i
    _MONTHS[calendar.month_abbr[_i].lower()] = _i
_MONTHS["sept"] = 9
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
# Each shape with the precision it gives. Numeric day-month orders are European (day first), as on the
# sites and feeds of this field; a US "03/07/2025" is read as 3 July.
_SHAPES: list[tuple[re.Pattern[str], DatePrecision]] = [
    (
        re.compile(r"^" + _YEAR + r"-(?P<m>\d{1,2})-(?P<day>\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$"),
        DatePrecision.DAY,
    ),
    (re.compile(r"^" + _YEAR + r"(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<day>\d{1,2})$"), DatePrecision.DAY),
    (re.compile(r"^(?P<day>\d{1,2})[./-](?P<m>\d{1,2})[./-]" + _YEAR + r"$"), DatePrecision.DAY),
    # "14 Feb 2020", and as some sites glue, hyphenate or slash it: "09-Nov-2023", "24Feb2020", "18/May/2019"
    (
        re.compile(r"^" + _DAY + r"(?:\s+|[-/])?" + _MONTH + r"(?:,?\s+|[-/])?" + _YEAR + r"$", re.IGNORECASE),
        DatePrecision.DAY,
    ),
    # ... with a two-digit year, as old content systems print it: "20-JUN-08"
    (re.compile(r"^" + _DAY + r"[-/ ]" + _MONTH + r"[-/ ](?P<yy>\d{2})$", re.IGNORECASE), DatePrecision.DAY),
    (re.compile(r"^" + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"$", re.IGNORECASE), DatePrecision.DAY),
    (re.compile(r"^" + _YEAR + r"-(?P<m>\d{1,2})$"), DatePrecision.MONTH),
    (re.compile(r"^(?P<m>\d{1,2})[./]" + _YEAR + r"$"), DatePrecision.MONTH),
    (re.compile(r"^" + _MONTH + r"(?:,?\s+|-)" + _YEAR + r"$", re.IGNORECASE), DatePrecision.MONTH),
    (re.compile(r"^" + _YEAR + r"$"), DatePrecision.YEAR),
]


# Cached: a source writes the same few dates again and again (one per day), and the answer never changes.
@functools.lru_cache(maxsize=4096)
def parse_date(text: str, *, end: bool = False) -> tuple[dt.date, DatePrecision]:
    """(date, precision) of one date as sources write it. A month or a year stands for its first day, or its
    last with `end=True` (a project "until 2025-09" runs through September). ValueError says what is wrong."""
    cleaned = _WEEKDAY.sub("", re.sub(r"\s+", " ", text.strip().rstrip(".")))
    if not cleaned:
        raise ValueError("missing date")
    for shape, precision in _SHAPES:
        m = shape.match(cleaned)
        if m is None:
            continue
        g = m.groupdict()
        # a two-digit year: 00-68 is this century, 69-99 the last (the POSIX strptime pivot)
        year = int(g["year"]) if g.get("year") else (2000 if int(g["yy"]) < 69 else 1900) + int(g["yy"])
        month = _MONTHS[g["mon"].lower()] if g.get("mon") else int(g.get("m") or (12 if end else 1))
        if precision is DatePrecision.DAY and g.get("m") and int(g["m"]) > 12 >= int(g["day"]) and "/" in cleaned[:3]:
            month, g["day"] = int(g["day"]), g["m"]  # "08/14/2019" can only be month first: 14 August
        if not 1 <= month <= 12 or not year >= 1:
            raise ValueError(f"impossible date {text.strip()!r}")
        if g.get("day"):
            day = int(g["day"])
        else:
            day = calendar.monthrange(year, month)[1] if end else 1
        try:
            return dt.date(year, month, day), precision
        except ValueError:
            raise ValueError(f"impossible date {text.strip()!r}") from None
    raise ValueError(
        f"unreadable date {text.strip()!r} (expected like '06 December 2024', '2024-12-06', '06.12.2024' or '2024-12')"
    )
