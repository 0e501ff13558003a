"""Structured source kinds: JSON Lines releases, TOML/JSON project files, and RSS/Atom feeds."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import feedparser

from publisher.config import Config, SourceConfig, TaxonomyConfig
from publisher.countries import Period, near_countries, resolve_places
from publisher.errors import SourceError
from publisher.models import DatePrecision
from publisher.safehtml import html_to_text, sanitise
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
    """One release per line: {"date": "2025-01-31", "body": "...", "title"?, "url"?, "id"?, "summary"?,
    "body_format"?}; with "body_format": "html" the body is HTML, kept in its safe subset beside its text."""

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
        body_format = obj.get("body_format", "text")
        if body_format not in ("text", "html"):
            raise ValueError(f"body_format: expected 'text' or 'html', got {body_format!r}")
        text, markup = html_body(body) if body_format == "html" else (body.strip(), "")
        if not text:
            raise ValueError("empty body (no text in its HTML)")
        return ReleaseRecord(
            published=published,
            precision=precision,
            body=text,
            body_html=markup,
            line=number,
            title=fields["title"].strip(),
            url=source_url(fields["url"], "url", place),
            external_id=fields["id"].strip(),
            summary=fields["summary"].strip(),
        )


# ---------------------------------------------------------------- TOML / JSON project files


def _country_codes(
    names: list[str], where: str, taxonomy: TaxonomyConfig, label: str, during: Period = (None, None)
) -> tuple[str, ...]:
    """Codes of the countries, regions and groups named ("Western Balkans", "ECOWAS member states"; "Global" adds
    none). An unknown name among known ones is a warning, not a rejected project; a list of nothing but
    unknown names is an error when one of them may be a typo (the project would lose all its geography to
    it): a single word, or a near miss of a country. A group written out in several words that the taxonomy
    does not know ("Latin America and the Caribbean", "Asia-Pacific") is how pages describe regions: a
    warning, and the project keeps no places."""
    codes: list[str] = []
    unknown: list[str] = []
    for name in names:
        places = resolve_places(name, taxonomy, during)
        if places is None:
            unknown.append(name)
        else:
            codes.extend(sorted(places))
    for name in unknown:
        near = near_countries(name)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        if len(unknown) == len(names) and (near or _one_word(name)):
            raise ValueError(f"{where}: unknown country {name!r}{hint}")
        log.warning("%s: %s: unknown country or region %r%s; ignored", label, where, name, hint)
    return tuple(dict.fromkeys(codes))


def _one_word(name: str) -> bool:
    return re.fullmatch(r"\s*\w+\s*", name) is not None


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
            countries=_country_codes(list(country_names), f"{where}.countries", self.taxonomy, label, (start, end)),
            url=source_url(item.get("url", ""), f"{where}.url", label),
        )


# ---------------------------------------------------------------- RSS / Atom feeds


def html_body(markup: str) -> tuple[str, str]:
    """(text, safe HTML) of a body a source gave as HTML: the text derives from what is kept, so nothing dropped
    from the page (a script, a hidden frame) reaches tagging, summaries or the plain-text digest."""
    safe = sanitise(markup)
    return html_to_text(safe), safe


def _plain(text: str) -> str:
    """Text a feed marks as plain: blank-line paragraphs, whitespace collapsed, nothing read as markup."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _feed_body(entry: Any) -> tuple[str, str]:
    """(text, safe HTML) of an entry's content, else its summary; no HTML when the feed says it is plain text."""
    if entry.get("content"):
        detail = entry["content"][0]
        value, kind = detail.get("value", ""), detail.get("type", "text/html")
    else:
        value = entry.get("summary", "")
        kind = (entry.get("summary_detail") or {}).get("type", "text/html")
    if kind == "text/plain":
        return _plain(value), ""
    return html_body(value)


def _entry_text(entry: Any, key: str) -> str:
    """The text of an entry field: as written when the feed marks it plain text, else the text of its HTML; ""
    when the entry has no such field of its own (feedparser fills a missing summary with the content)."""
    if f"{key}_detail" not in entry:
        return ""
    value = entry.get(key, "")
    return _plain(value) if entry[f"{key}_detail"].get("type") == "text/plain" else html_to_text(value)


class FeedSource:
    """Releases from an RSS or Atom feed; bytes are fetched by us (timeout, size cap), then parsed."""

    kind = RecordKind.RELEASE

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ReleaseRecord]:
        label = source_label(self.config)
        raw = read_bytes(self.config)
        # Bytes, never a URL: feedparser must not fetch on its own. Its sanitiser is off: it keeps the text of
        # what it drops (an iframe's), while publisher.safehtml drops such elements whole, as one policy.
        parsed = feedparser.parse(raw, sanitize_html=False)
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
        body, markup = _feed_body(entry)
        title = html_to_text(entry.get("title", ""))
        if not body:
            body, markup = title, ""  # nothing but a title: that is text
        if not body:
            raise ValueError("empty entry (no title, summary or content)")
        ext_id = entry.get("id") or entry.get("link") or ""
        summary = _entry_text(entry, "summary") if entry.get("content") else ""
        return ReleaseRecord(
            published=published,
            body=body,
            body_html=markup,
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
