"""Parse free-text project durations ("July 2014 – June 2017", "36 months from March 2020") into dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    _MONTHS[calendar.month_name[_i].lower()] = _i
    _MONTHS[calendar.month_abbr[_i].lower()] = _i
_MONTHS["sept"] = 9
_MONTH_RE = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_TOKEN = re.compile(
    r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})\b)"
    r"|(?P<dmy>\b(?P<dd>\d{1,2})[./](?P<dm>\d{1,2})[./](?P<dy>\d{4})\b)"
    r"|(?P<my>\b(?P<nm>\d{1,2})[./](?P<ny>\d{4})\b)"
    r"|(?P<dmon>\b(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m1>" + _MONTH_RE + r")(?:,?\s+(?P<y1>\d{4}))?\b)"
    r"|(?P<mond>\b(?P<m2>" + _MONTH_RE + r")\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,\s*(?P<y2>\d{4})\b)"
    r"|(?P<mon>\b(?P<m3>" + _MONTH_RE + r")(?:,?\s+(?P<y3>\d{4}))?\b)"
    r"|(?P<year>\b(?P<y4>(?:19|20)\d{2})\b)",
    re.IGNORECASE,
)
_LENGTH = re.compile(r"\b(?P<n>\d{1,3})\s*(?P<unit>months?|years?)\b", re.IGNORECASE)
_OPEN_START = re.compile(r"\b(?:since|from|starting|started|as of)\b", re.IGNORECASE)


@dataclass
class _Partial:
    year: int | None
    month: int | None
    day: int | None
    text: str


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _make(p: _Partial, *, end: bool) -> dt.date:
    assert p.year is not None
    month = p.month or (12 if end else 1)
    if p.day is not None:
        try:
            return dt.date(p.year, month, p.day)
        except ValueError:
            raise ValueError(f"impossible date {p.text!r}") from None
    if not 1 <= month <= 12:
        raise ValueError(f"impossible date {p.text!r}")
    return dt.date(p.year, month, calendar.monthrange(p.year, month)[1] if end else 1)


def parse_duration(text: str) -> tuple[dt.date | None, dt.date | None]:
    """(start, end) from a duration like "1 January 2019 – 30 June 2020", "July 2014 – June 2017",
    "2019-2021" or "36 months (from March 2020)". Month-only ends mean the month's last day.
    ValueError for an impossible date or an end before the start; (None, None) when there are no dates."""
    parts: list[_Partial] = []
    for m in _DATE_TOKEN.finditer(text):
        g = m.groupdict()
        if g["iso"]:
            parts.append(_Partial(int(g["iy"]), int(g["im"]), int(g["id"]), m.group()))
        elif g["dmy"]:
            parts.append(_Partial(int(g["dy"]), int(g["dm"]), int(g["dd"]), m.group()))
        elif g["my"]:
            parts.append(_Partial(int(g["ny"]), int(g["nm"]), None, m.group()))
        elif g["dmon"]:
            y = int(g["y1"]) if g["y1"] else None
            parts.append(_Partial(y, _MONTHS[g["m1"].lower().rstrip(".")], int(g["d1"]), m.group()))
        elif g["mond"]:
            parts.append(_Partial(int(g["y2"]), _MONTHS[g["m2"].lower().rstrip(".")], int(g["d2"]), m.group()))
        elif g["mon"]:
            y = int(g["y3"]) if g["y3"] else None
            parts.append(_Partial(y, _MONTHS[g["m3"].lower().rstrip(".")], None, m.group()))
        else:
            parts.append(_Partial(int(g["y4"]), None, None, m.group()))
    # "1 January – 30 June 2020", "January – June 2020": a part without a year borrows the next one's.
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].year is None:
            later = next((p.year for p in parts[i + 1 :] if p.year is not None), None)
            if later is None:
                raise ValueError(f"date without a year: {parts[i].text!r}")
            parts[i].year = later
    if not parts:
        if re.search(r"\d{4}", text):
            raise ValueError(f"unreadable duration {text.strip()!r}")
        return None, None
    start = _make(parts[0], end=False)
    end: dt.date | None = _make(parts[-1], end=True) if len(parts) > 1 else None
    length = _LENGTH.search(text)
    if end is None and length is not None:
        months = int(length.group("n")) * (12 if length.group("unit").lower().startswith("year") else 1)
        end = _add_months(start, months) - dt.timedelta(days=1)
    elif end is None and not _OPEN_START.search(text) and parts[0].day is None:
        end = _make(parts[0], end=True)  # "2019" or "March 2019" alone: that whole period
    if end is not None and end < start:
        raise ValueError(f"duration ends before it starts: {text.strip()!r}")
    return start, end
