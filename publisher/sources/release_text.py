"""Parse the seed press-release text format: a `Released DD Month YYYY` line, then the body."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from publisher.config import Config, SourceConfig
from publisher.errors import SourceError
from publisher.models import DatePrecision
from publisher.sources.base import RecordKind, ReleaseRecord, Skipped, register
from publisher.sources.dates import parse_date as parse_any_date
from publisher.sources.files import iter_lines, open_binary, source_label

# A header is a short line: a body sentence that happens to start with "Released ..." is not one.
_HEADER = re.compile(
    r"^\s*Released(?:\s+(?P<date>(?:[^.!?]|(?<=\d)\.(?=\d)|(?<=[A-Za-z])\.(?=\s+\d)){1,40}?))?\s*\.?\s*$",
    re.IGNORECASE,
)


def parse_date(text: str) -> dt.date:
    """`06 December 2024` (and the other shapes of sources.dates) to a date; ValueError says why not."""
    return parse_release_date(text)[0]


def parse_release_date(text: str) -> tuple[dt.date, DatePrecision]:
    if not text.strip():
        raise ValueError("missing date after 'Released'")
    return parse_any_date(text)


def _body(lines: list[str]) -> str:
    """Join body lines into paragraphs separated by one blank line."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


class ReleaseTextSource:
    kind = RecordKind.RELEASE

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ReleaseRecord]:
        label = source_label(self.config)
        with open_binary(self.config) as stream:
            header_line: int | None = None
            header_date: str | None = None
            body: list[str] = []

            def finish() -> ReleaseRecord | None:
                if header_line is None:
                    return None
                try:
                    published, precision = parse_release_date(header_date or "")
                    text = _body(body)
                    if not text:
                        raise ValueError("empty body")
                except ValueError as exc:
                    if on_invalid is None:
                        raise SourceError(str(exc), source=label, line=header_line) from None
                    on_invalid(Skipped(f"{label}:{header_line}", str(exc)))
                    return None
                return ReleaseRecord(published=published, body=text, line=header_line, precision=precision)

            for number, line, error in iter_lines(stream, label):
                if error is not None:
                    if on_invalid is None:
                        raise SourceError(error, source=label, line=number)
                    # The broken line spoils the record it belongs to; drop it and resync at the next header.
                    on_invalid(Skipped(f"{label}:{number}", error))
                    header_line, body = None, []
                    continue
                m = _HEADER.match(line)
                if m:
                    rec = finish()
                    if rec is not None:
                        yield rec
                    header_line, header_date, body = number, m.group("date") or "", []
                elif header_line is None:
                    if line.strip():
                        reason = "text before the first 'Released <date>' line"
                        if on_invalid is None:
                            raise SourceError(reason, source=label, line=number)
                        on_invalid(Skipped(f"{label}:{number}", reason))
                else:
                    body.append(line)
            rec = finish()
            if rec is not None:
                yield rec


@register("release-text")
def _factory(src: SourceConfig, cfg: Config) -> ReleaseTextSource:
    return ReleaseTextSource(src, cfg)
