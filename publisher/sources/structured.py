"""Structured source kinds: JSON Lines releases, TOML/JSON project files, and RSS/Atom feeds."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import feedparser

from publisher.config import Config, SourceConfig
from publisher.countries import near_countries, resolve_country
from publisher.errors import SourceError
from publisher.sources.base import ProjectRecord, RecordKind, ReleaseRecord, Skipped, register
from publisher.sources.files import iter_lines, open_binary, read_bytes, source_label


def _fail(
    on_invalid: Callable[[Skipped], None] | None, label: str, reason: str, *, line: int | None = None, where: str = ""
) -> None:
    """Raise for a bad record, or report and skip it under --skip-invalid."""
    if on_invalid is None:
        raise SourceError(f"{where}: {reason}" if where else reason, source=label, line=line)
    on_invalid(Skipped(f"{label}:{line}" if line is not None else f"{label}: {where}", reason))


MAX_URL = 1000  # the store's URL columns; a longer link is an invalid record, not something to cut


def _url(value: str, what: str) -> str:
    url = value.strip()
    if len(url) > MAX_URL:
        raise ValueError(f"{what}: longer than {MAX_URL} characters")
    return url


def _iso_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: missing date")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"{what}: impossible or unreadable date {value!r} (expected YYYY-MM-DD)") from None


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
                    yield self._record(line, number)
                except ValueError as exc:
                    _fail(on_invalid, label, str(exc), line=number)

    @staticmethod
    def _record(line: str, number: int) -> ReleaseRecord:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise ValueError("expected a JSON object")
        body = obj.get("body")
        if not isinstance(body, str) or not body.strip():
            raise ValueError("empty body")
        fields = {k: obj.get(k, "") for k in ("title", "url", "id", "summary")}
        for k, v in fields.items():
            if not isinstance(v, str):
                raise ValueError(f"{k}: expected a string")
        return ReleaseRecord(
            published=_iso_date(obj.get("date"), "date"),
            body=body.strip(),
            line=number,
            title=fields["title"].strip(),
            url=_url(fields["url"], "url"),
            external_id=fields["id"].strip(),
            summary=fields["summary"].strip(),
        )


# ---------------------------------------------------------------- TOML / JSON project files


def _country_codes(names: list[str], where: str) -> tuple[str, ...]:
    codes = []
    for name in names:
        code = resolve_country(name)
        if code is None:
            near = near_countries(name)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ValueError(f"{where}: unknown country {name!r}{hint}")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


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
        items = data.get("projects") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise SourceError("expected a list of projects (a 'projects' array)", source=label)
        for i, item in enumerate(items):
            where = f"projects[{i}]"
            try:
                yield self._record(item, where, i + 1)
            except ValueError as exc:
                if on_invalid is None:
                    raise SourceError(str(exc), source=label) from None
                on_invalid(Skipped(f"{label}:{where}", str(exc)))

    @staticmethod
    def _record(item: Any, where: str, index: int) -> ProjectRecord:
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a table/object")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: missing project name")
        start = _iso_date(item["start"], f"{where}.start") if item.get("start") else None
        end = _iso_date(item["end"], f"{where}.end") if item.get("end") else None
        if start and end and end < start:
            raise ValueError(f"{where}.end: ends ({end}) before it starts ({start})")
        country_names = _str_list(item.get("countries"), f"{where}.countries")
        return ProjectRecord(
            name=name.strip(),
            line=index,
            acronym=str(item.get("acronym", "")).strip(),
            objective=str(item.get("objective", "")).strip(),
            specific_objectives=_str_list(item.get("specific_objectives"), f"{where}.specific_objectives"),
            description=str(item.get("description", "")).strip(),
            agencies=_str_list(item.get("agencies"), f"{where}.agencies"),
            donors=_str_list(item.get("donors"), f"{where}.donors"),
            duration_text=str(item.get("duration", "")).strip(),
            start_date=start,
            end_date=end,
            country_names=country_names,
            countries=_country_codes(list(country_names), f"{where}.countries"),
            url=_url(str(item.get("url", "")), f"{where}.url"),
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
                yield self._record(entry, i)
            except ValueError as exc:
                _fail(on_invalid, label, str(exc), where=where)

    @staticmethod
    def _record(entry: Any, index: int) -> ReleaseRecord:
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        if not when:
            raise ValueError("no published or updated date")
        published = dt.datetime.fromtimestamp(calendar.timegm(when), dt.UTC).date()
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
            url=_url(entry.get("link", ""), "link"),
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
