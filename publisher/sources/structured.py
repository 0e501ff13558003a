"""Structured source kinds: JSON Lines releases, TOML/JSON project files, and RSS/Atom feeds."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import logging
import re
import tomllib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import feedparser

from publisher.config import Config, SourceConfig, TaxonomyConfig
from publisher.countries import near_countries, resolve_places
from publisher.errors import SourceError
from publisher.models import DatePrecision
from publisher.sources.base import ProjectRecord, RecordKind, ReleaseRecord, Skipped, register
from publisher.sources.dates import parse_date
from publisher.sources.durations import parse_duration
from publisher.sources.files import iter_lines, nesting_line, open_binary, read_bytes, source_label
from publisher.sources.urls import source_url

log = logging.getLogger(__name__)
DAY = DatePrecision.DAY


def _fail(
    on_invalid: Callable[[Skipped], None] | None, label: str, reason: str, *, line: int | None = None, where: str = ""
) -> None:
    """Raise for a bad record, or report and skip it under --skip-invalid."""
    if on_invalid is None:
        raise SourceError(f"{where}: {reason}" if where else reason, source=label, line=line)
    on_invalid(Skipped(f"{label}:{line}" if line is not None else f"{label}: {where}", reason))


def _date(value: Any, what: str, *, end: bool = False) -> tuple[dt.date, DatePrecision]:
    """A date field: a TOML date, or text in any shape sources.dates reads ("2019-03", "03.07.2025")."""
    if isinstance(value, dt.datetime):
        return value.date(), DatePrecision.DAY
    if isinstance(value, dt.date):
        return value, DatePrecision.DAY
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: missing date")
    try:
        return parse_date(value, end=end)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


# ---------------------------------------------------------------- JSON Lines releases


class JsonLinesSource:
    """One release per line: {"date": "2025-01-31", "body": "...", "title"?, "url"?, "id"?, "summary"?}."""

    kind = RecordKind.RELEASE

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ReleaseRecord]:
        label = source_label(self.config)
        with open_binary(self.config) as stream:
            for number, line, error in iter_lines(stream, label):
                if error is not None:
                    _fail(on_invalid, label, error, line=number)
                    continue
                if not line.strip():
                    continue
                try:
                    yield self._record(line, number, f"{label}:{number}")
                except ValueError as exc:
                    _fail(on_invalid, label, str(exc), line=number)

    @staticmethod
    def _record(line: str, number: int, place: str) -> ReleaseRecord:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
        except RecursionError:  # json's C decoder recurses per nesting level; a hostile line can nest 100k deep
            raise ValueError("invalid JSON: nested too deeply") from None
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        body = obj.get("body")
        if not isinstance(body, str) or not body.strip():
            raise ValueError("empty body")
        fields = {k: obj.get(k, "") for k in ("title", "url", "id", "summary")}
        for k, v in fields.items():
            if not isinstance(v, str):
                raise ValueError(f"{k}: expected a string")
        published, precision = _date(obj.get("date"), "date")
        return ReleaseRecord(
            published=published,
            precision=precision,
            body=body.strip(),
            line=number,
            title=fields["title"].strip(),
            url=source_url(fields["url"], "url", place),
            external_id=fields["id"].strip(),
            summary=fields["summary"].strip(),
        )


# ---------------------------------------------------------------- TOML / JSON project files


def _country_codes(names: list[str], where: str, taxonomy: TaxonomyConfig, label: str) -> tuple[str, ...]:
    """Codes of the countries, regions and groups named ("Western Balkans", "ECOWAS member states"; "Global" adds
    none). An unknown name among known ones is a warning, not a rejected project; a list of nothing but
    unknown names is an error (the project would lose all its geography to a typo)."""
    codes: list[str] = []
    unknown: list[str] = []
    for name in names:
        places = resolve_places(name, taxonomy)
        if places is None:
            unknown.append(name)
        else:
            codes.extend(sorted(places))
    for name in unknown:
        near = near_countries(name)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        if len(unknown) == len(names):
            raise ValueError(f"{where}: unknown country {name!r}{hint}")
        log.warning("%s: %s: unknown country or region %r%s; ignored", label, where, name, hint)
    return tuple(dict.fromkeys(codes))


def _split_acronyms(text: str) -> list[str]:
    """ "MIEUX / MIEUX+" → ["MIEUX", "MIEUX+"]."""
    return [a for a in (p.strip() for p in re.split(r"\s*[/,;]\s*", text.strip())) if a]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where}: expected a string or a list of strings")


class ProjectsFileSource:
    """Projects as `[[projects]]` tables in TOML, or a JSON list (or {"projects": [...]})."""

    kind = RecordKind.PROJECT

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config
        self.taxonomy = cfg.taxonomy

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ProjectRecord]:
        label = source_label(self.config)
        raw = read_bytes(self.config)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise SourceError("not valid UTF-8", source=label, line=line) from None
        is_toml = label.endswith(".toml")
        try:
            data = tomllib.loads(text) if is_toml else json.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SourceError(f"invalid TOML: {exc}", source=label) from None
        except json.JSONDecodeError as exc:
            raise SourceError(f"invalid JSON: {exc.msg}", source=label, line=exc.lineno) from None
        except RecursionError:  # both parsers recurse per nesting level
            kind = "TOML" if is_toml else "JSON"
            raise SourceError(f"invalid {kind}: nested too deeply", source=label, line=nesting_line(text)) from None
        items = data.get("projects") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise SourceError("expected a list of projects (a 'projects' array)", source=label)
        for i, item in enumerate(items):
            where = f"projects[{i}]"
            try:
                yield self._record(item, where, i + 1, label)
            except ValueError as exc:
                if on_invalid is None:
                    raise SourceError(str(exc), source=label) from None
                on_invalid(Skipped(f"{label}:{where}", str(exc)))

    def _record(self, item: Any, where: str, index: int, label: str) -> ProjectRecord:
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a table/object")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: missing project name")
        start, start_precision = _date(item["start"], f"{where}.start") if item.get("start") else (None, DAY)
        end, end_precision = _date(item["end"], f"{where}.end", end=True) if item.get("end") else (None, DAY)
        duration = str(item.get("duration", "")).strip()
        if duration and start is None and end is None:
            # Free text, read by the same parser as the project pages: "April 2021 to September 2025", "since 2015".
            try:
                start, end = parse_duration(duration)
            except ValueError as exc:
                raise ValueError(f"{where}.duration: {exc}") from None
        if start and end and end < start:
            raise ValueError(f"{where}.end: ends ({end}) before it starts ({start})")
        country_names = _str_list(item.get("countries"), f"{where}.countries")
        acronyms = _split_acronyms(str(item.get("acronym", "")))
        acronyms += [a for x in _str_list(item.get("acronyms"), f"{where}.acronyms") for a in _split_acronyms(x)]
        return ProjectRecord(
            name=name.strip(),
            line=index,
            acronym=acronyms[0] if acronyms else "",
            acronyms=tuple(dict.fromkeys(acronyms[1:])),
            aliases=_str_list(item.get("aliases"), f"{where}.aliases"),
            objective=str(item.get("objective", "")).strip(),
            specific_objectives=_str_list(item.get("specific_objectives"), f"{where}.specific_objectives"),
            description=str(item.get("description", "")).strip(),
            agencies=_str_list(item.get("agencies"), f"{where}.agencies"),
            donors=_str_list(item.get("donors"), f"{where}.donors"),
            duration_text=duration,
            start_date=start,
            end_date=end,
            start_precision=start_precision,
            end_precision=end_precision,
            country_names=country_names,
            countries=_country_codes(list(country_names), f"{where}.countries", self.taxonomy, label),
            url=source_url(item.get("url", ""), f"{where}.url", label),
        )


# ---------------------------------------------------------------- RSS / Atom feeds


class _TextExtractor(HTMLParser):
    """HTML to plain paragraphs; markup from a foreign feed never reaches our output as markup."""

    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


class FeedSource:
    """Releases from an RSS or Atom feed; bytes are fetched by us (timeout, size cap), then parsed."""

    kind = RecordKind.RELEASE

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ReleaseRecord]:
        label = source_label(self.config)
        raw = read_bytes(self.config)
        parsed = feedparser.parse(raw)  # bytes, never a URL: feedparser must not fetch on its own
        if parsed.get("bozo") and not parsed.entries:
            raise SourceError(f"not a readable feed: {parsed.get('bozo_exception')}", source=label)
        for i, entry in enumerate(parsed.entries, start=1):
            where = f"entry {i}"
            try:
                yield self._record(entry, i, f"{label}: {where}")
            except ValueError as exc:
                _fail(on_invalid, label, str(exc), where=where)

    @staticmethod
    def _record(entry: Any, index: int, place: str) -> ReleaseRecord:
        # Only keys the entry really has: feedparser maps a missing "updated" to "published" with a warning.
        have = entry.keys()
        when = entry.get("published_parsed") or (entry["updated_parsed"] if "updated_parsed" in have else None)
        if when:
            published = dt.datetime.fromtimestamp(calendar.timegm(when), dt.UTC).date()
        else:
            # feedparser reads RFC 822 and ISO dates; sites also write "03.07.2025" or "14 Feb 2020".
            written = next((entry[k] for k in ("published", "updated") if k in have and entry[k]), "")
            if not written:
                raise ValueError("no published or updated date")
            published = _date(written, "published")[0]
        content = ""
        if entry.get("content"):
            content = entry["content"][0].get("value", "")
        content = content or entry.get("summary", "")
        body = html_to_text(content)
        title = html_to_text(entry.get("title", ""))
        if not body:
            body = title
        if not body:
            raise ValueError("empty entry (no title, summary or content)")
        ext_id = entry.get("id") or entry.get("link") or ""
        summary = html_to_text(entry.get("summary", "")) if entry.get("content") else ""
        return ReleaseRecord(
            published=published,
            body=body,
            line=index,
            title=title,
            url=source_url(entry.get("link", ""), "link", place),
            external_id=ext_id,
            summary=summary,
        )


@register("jsonl")
def _jsonl(src: SourceConfig, cfg: Config) -> JsonLinesSource:
    return JsonLinesSource(src, cfg)


@register("projects-file")
def _projects_file(src: SourceConfig, cfg: Config) -> ProjectsFileSource:
    return ProjectsFileSource(src, cfg)


@register("feed")
def _feed(src: SourceConfig, cfg: Config) -> FeedSource:
    return FeedSource(src, cfg)
