"""Edition periods: ISO weeks and calendar months, parsed, named and stepped."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from publisher.config import Config
from publisher.errors import DigestError
from publisher.models.mail import Frequency

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """An ISO week (`2025-W10`) or calendar month (`2025-03`); `end` is inclusive."""

    frequency: Frequency
    label: str
    start: dt.date
    end: dt.date

    @property
    def human(self) -> str:
        if self.frequency is Frequency.MONTHLY:
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        week = self.start.isocalendar().week
        return f"Week {week}, {self.start.isocalendar().year} ({human_day(self.start)} – {human_day(self.end)})"

    def previous(self) -> Period:
        return period_containing(self.frequency, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.frequency, self.end + dt.timedelta(days=1))


def human_day(d: dt.date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def period_containing(frequency: Frequency | str, day: dt.date) -> Period:
    """The week or month (by `frequency`) that contains `day`."""
    freq = Frequency(frequency)
    if freq is Frequency.WEEKLY:
        iso = day.isocalendar()
        start = day - dt.timedelta(days=iso.weekday - 1)
        return Period(freq, f"{iso.year}-W{iso.week:02d}", start, start + dt.timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(freq, f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last))


def parse_period(text: str, frequency: Frequency | str | None = None) -> Period:
    """`2025-W10` (weekly) or `2025-03` (monthly); the frequency, if given, must agree with the form."""
    text = text.strip()
    if m := _WEEK_RE.match(text):
        year, week = int(m[1]), int(m[2])
        try:
            start = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise DigestError(f"period {text!r}: {year} has no ISO week {week}") from None
        period = period_containing(Frequency.WEEKLY, start)
    elif m := _MONTH_RE.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise DigestError(f"period {text!r}: month must be 01-12")
        period = period_containing(Frequency.MONTHLY, dt.date(year, month, 1))
    else:
        raise DigestError(f"period {text!r}: expected an ISO week like 2025-W10 or a month like 2025-03")
    if frequency is not None and Frequency(frequency) is not period.frequency:
        raise DigestError(f"period {text!r} is a {period.frequency} period, not {frequency}")
    return period


def last_completed_period(cfg: Config, frequency: Frequency | str, now: dt.datetime) -> Period:
    """The most recent week or month that has fully ended at `now`, in the site's timezone."""
    today = now.astimezone(cfg.site.tz).date()
    return period_containing(frequency, today).previous()
