"""Parse the seed project-page text format (project headings followed by Objective/Donor/Duration/... fields)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from publisher.config import Config, SourceConfig
from publisher.countries import resolve_country
from publisher.errors import SourceError
from publisher.gazetteer import Gazetteer, gazetteer
from publisher.sources.base import ProjectRecord, RecordKind, Skipped, register
from publisher.sources.files import iter_lines, open_binary, source_label

# ---------------------------------------------------------------- line shapes

_BULLET = re.compile(r"^\s*(?:[•●▪◦·‣∙*\-–—]|\d{1,2}[.)]|[a-z][.)])\s+(?P<text>\S.*)$")
_SECTION = re.compile(
    r"^(?:(?:ongoing|current|completed|closed|past|previous|finished|active|other|our|selected|recent)\s+)*"
    r"projects?(?:\s+and\s+programmes)?\s*:?$",
    re.IGNORECASE,
)
# Labels of the fields we map onto ProjectRecord, by record attribute.
_FIELD_LABELS: dict[str, str] = {
    "specific_objectives": r"specific\s+objectives?",
    "objective": r"(?:overall\s+|general\s+|main\s+|wider\s+|project\s+)?objectives?|aims?",
    "agencies": r"implementing\s+(?:agency|agencies|organi[sz]ations?|partners?|body)|implemented\s+by|lead\s+agency",
    "donors": r"donors?|funded\s+by|financed\s+by|funding(?:\s+source)?|financing",
    "duration": r"(?:project\s+)?duration|implementation\s+period|project\s+period|time\s*frame|period",
    "countries": r"(?:beneficiary\s+|target\s+|partner\s+|project\s+)?countr(?:y|ies)|location|geographical\s+(?:scope|coverage)",
}
# Other labelled fields seen on project pages; kept in ProjectRecord.extra under their label.
_EXTRA_LABELS = (
    r"target\s+groups?(?:,?\s+(?:final\s+)?beneficiaries(?:\s+and\s+counterparts)?)?",
    r"(?:final\s+|direct\s+|indirect\s+)?beneficiaries",
    r"co-implementing\s+(?:participants|partners)",
    r"(?:programme|project|implementing|other)\s+partners",
    r"partners",
    r"project\s+(?:manager|coordinator|contact)",
    r"contacts?",
    r"websites?",
    r"downloads?",
    r"budget",
    r"components?",
    r"expected\s+results|results|outputs|outcomes",
    r"main\s+activities|activities",
)
_ALL_LABELS = (
    "|".join(f"(?P<{k}>{v})" for k, v in _FIELD_LABELS.items()) + "|(?P<extra>" + "|".join(_EXTRA_LABELS) + ")"
)
# "Label: value", "Label – value", a label alone on its line, or the label glued to a capitalised value
# ("DonorsEuropean Commission") as copy-pasted web pages often have.
_FIELD = re.compile(
    r"^\s*(?P<label>(?i:" + _ALL_LABELS + r"))"
    r"(?:\s*[:：]\s*(?P<v1>.*)|\s+[–—-]\s+(?P<v2>.*)|\s*$|(?P<v3>[A-Z0-9“\"(].*))$"
)
# A line introducing the bullet list of specific objectives ("The specific objectives are to:").
_SPECIFIC_INTRO = re.compile(r"\bspecific\b.{0,40}\bobjectives?\b", re.IGNORECASE)
# Sub-section titles inside a project that must not be taken for a new project's heading.
_SUBSECTIONS = re.compile(
    r"^(?:background|context|overview|summary|description|activities|main activities|key activities|approach|"
    r"methodology|partners|beneficiaries|target groups?|components|expected results|results|outputs|outcomes|"
    r"news|publications|documents|downloads|contacts?|events|more information|further information|"
    r"objectives?|specific objectives)\s*:?$",
    re.IGNORECASE,
)
_SMALL_WORDS = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "de",
    "des",
    "du",
    "et",
    "for",
    "from",
    "in",
    "into",
    "la",
    "of",
    "on",
    "or",
    "the",
    "to",
    "through",
    "towards",
    "under",
    "via",
    "with",
    "between",
    "against",
    "&",
    "-",
    "–",
    "project",
    "programme",
    "program",
    "phase",
    "initiative",
    "action",
}
_SENTENCE_OPENERS = re.compile(r"^(?:for more|for further|more information|please|see |visit |click )", re.IGNORECASE)
_ACRONYM_AT_END = re.compile(
    r"\((?P<acr>[^()]{2,40})\)\s*(?P<tail>project|programme|program|initiative|action|facility)?\s*$", re.IGNORECASE
)
_ACRONYM_AFTER_DASH = re.compile(r"\s[–—-]\s(?P<acr>[A-Z][A-Z0-9]+(?:[- ][A-Z0-9]+)*)\s*$")
_SO_PREFIX = re.compile(r"^(?:SO\s*\.?\s*\d+\s*[.):]?|\d{1,2}\s*[.)])\s*", re.IGNORECASE)


@dataclass
class _Block:
    kind: str  # text, bullet, field, bad
    line: int
    text: str
    blank_before: bool = False
    attr: str = ""  # for fields: ProjectRecord attribute, or "extra"
    label: str = ""
    value: str = ""


def _match_field(line: str) -> _Block | None:
    m = _FIELD.match(line)
    if m is None:
        return None
    attr = next(k for k in (*_FIELD_LABELS, "extra") if m.group(k) is not None)
    value = (m.group("v1") or m.group("v2") or m.group("v3") or "").strip()
    label = re.sub(r"\s+", " ", m.group("label").strip())
    return _Block("field", 0, line.strip(), attr=attr, label=label, value=value)


def _title_ratio(text: str) -> float:
    words = [w for w in re.findall(r"[^\s]+", text) if any(c.isalpha() for c in w)]
    words = [w for w in words if w.strip("()“”\"'").lower() not in _SMALL_WORDS]
    if not words:
        return 0.0
    capital = sum(1 for w in words if w.lstrip("(“\"'")[:1].isupper() or w.lstrip("(“\"'")[:1].isdigit())
    return capital / len(words)


def _heading_candidate(block: _Block) -> bool:
    """Could this paragraph be a project heading? Confirmed later by what follows it."""
    text = block.text
    if block.kind != "text" or not block.blank_before or "\n" in text:
        return False
    if len(text) > 200 or len(text.split()) > 25 or text[-1] in ".;:,!?" or ";" in text:
        return False
    if _SENTENCE_OPENERS.match(text) or _SUBSECTIONS.match(text) or _SPECIFIC_INTRO.search(text):
        return False
    if len(text.split()) == 1 and not (text.isupper() or any(c.isdigit() for c in text)):
        return False  # a lone word is a sub-heading unless it is an acronym
    return _title_ratio(text) >= 0.7


def split_heading(heading: str) -> tuple[str, str]:
    """(name, acronym) from a heading like "Reintegration Support to Azerbaijani Returnees (RESTART) project"."""
    heading = re.sub(r"\s+", " ", heading).strip()
    m = _ACRONYM_AT_END.search(heading)
    if m and _looks_like_acronym(m.group("acr")):
        name = heading[: m.start()].rstrip(" -–—:,")
        return (name or heading), m.group("acr").strip()
    m2 = _ACRONYM_AFTER_DASH.search(heading)
    if m2 and _looks_like_acronym(m2.group("acr")):
        return heading[: m2.start()].rstrip(" -–—:,"), m2.group("acr")
    return heading, ""


def _looks_like_acronym(text: str) -> bool:
    text = text.strip()
    words = text.split()
    if not words or len(words) > 5 or not re.fullmatch(r"[A-Za-z0-9&./+\- ]+", text):
        return False
    upper = sum(1 for c in text if c.isupper())
    return upper >= 2 and upper >= sum(1 for c in text if c.islower()) / 2


# ---------------------------------------------------------------- dates

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


# ---------------------------------------------------------------- lists and names


def split_list(value: str) -> tuple[str, ...]:
    """Split "ICMPD (lead), UNDP (partner)" or "A, B; C" into items; ";" wins over "," when both occur,
    because commas then belong inside items ("Republic of Poland, Ministry of Interior")."""
    value = re.sub(r"^\s*(?:led|implemented|funded|financed)\s+by\s+", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\s+in\s+partnership\s+with\s+", ", ", value, flags=re.IGNORECASE)
    sep = ";" if ";" in value else ","
    items: list[str] = []
    depth, cur = 0, list[str]()
    for ch in value:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    cleaned = [re.sub(r"\s+", " ", i).strip(" .") for i in items]
    out: list[str] = []
    for item in cleaned:
        if not item:
            continue
        # "IOM, WCO and ICMPD": split the final "X and Y" only when both sides are single names.
        parts = re.split(r"\s+and\s+", item)
        if sep == "," and len(parts) == 2 and all(len(p.split()) == 1 for p in parts):
            out.extend(parts)
        else:
            out.append(item)
    return tuple(out)


def split_countries(value: str) -> tuple[str, ...]:
    items = re.split(r"\s*[,;/]\s*|\s+and\s+|\s+&\s+", value.strip().rstrip("."))
    return tuple(re.sub(r"^the\s+", "", i.strip(), flags=re.IGNORECASE) for i in items if i.strip())


# ---------------------------------------------------------------- assembling projects


_ALREADY_REPORTED = SourceError("already reported")


@dataclass
class _Project:
    heading: str
    line: int
    objective: list[str] = field(default_factory=list)
    specific: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    fields: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # attr -> (line, label, value)
    extra: dict[str, list[str]] = field(default_factory=dict)
    target: str = "description"  # where the next paragraph goes
    error: SourceError | None = None


class ProjectPagesSource:
    kind = RecordKind.PROJECT

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config
        tax = cfg.taxonomy
        self._gazetteer: Gazetteer = gazetteer(tax.extra_places, {s: r.aliases for s, r in tax.regions.items()})

    # -- lines to blocks

    def _lines(
        self, stream: BinaryIO, label: str, on_invalid: Callable[[Skipped], None] | None
    ) -> Iterator[tuple[int, str | None]]:
        """Numbered lines; a line that is not UTF-8 comes out as None (after being reported)."""
        for number, text, *rest in iter_lines(stream, label):
            error = rest[0] if rest else None
            if error is None:
                yield number, text
                continue
            if on_invalid is None:
                raise SourceError(error, source=label, line=number)
            on_invalid(Skipped(f"{label}:{number}", error))
            yield number, None

    def _blocks(self, lines: Iterator[tuple[int, str | None]]) -> Iterator[_Block]:
        blank = True
        current: _Block | None = None
        for number, line in lines:
            if line is None:
                if current is not None:
                    yield current
                    current = None
                yield _Block("bad", number, "")
                blank = False
                continue
            if not line.strip():
                if current is not None:
                    yield current
                    current = None
                blank = True
                continue
            bullet = _BULLET.match(line)
            fld = _match_field(line) if bullet is None else None
            if bullet is not None or fld is not None:
                if current is not None:
                    yield current
                if bullet is not None:
                    current = _Block("bullet", number, bullet.group("text").strip(), blank_before=blank)
                else:
                    assert fld is not None
                    fld.line, fld.blank_before = number, blank
                    current = fld
            elif current is not None and current.kind == "bullet" and line[:1].isspace():
                current.text += " " + line.strip()  # a wrapped bullet
            elif current is not None and current.kind in ("text", "field"):
                # A hard-wrapped paragraph; for a field the wrapped part continues its value.
                if current.kind == "field":
                    current.value = (current.value + " " + line.strip()).strip()
                else:
                    current.text += "\n" + line.strip()
            else:
                if current is not None:
                    yield current
                current = _Block("text", number, line.strip(), blank_before=blank)
            blank = False
        if current is not None:
            yield current

    # -- blocks to records

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ProjectRecord]:
        label = source_label(self.config)
        with open_binary(self.config) as stream:
            blocks = self._blocks(self._lines(stream, label, on_invalid))
            project: _Project | None = None
            pending: _Block | None = None  # a heading candidate waiting for what follows it

            def fail(reason: str, line: int) -> None:
                err = SourceError(reason, source=label, line=line)
                if on_invalid is None:
                    raise err
                if project is None:
                    if on_invalid is None:
                        raise err
                    on_invalid(Skipped(f"{label}:{line}", reason))
                elif project.error is None:
                    project.error = err

            def finish(p: _Project | None) -> ProjectRecord | None:
                if p is None:
                    return None
                if p.error is _ALREADY_REPORTED:
                    return None  # its broken line was reported when read; the project is dropped
                try:
                    if p.error is not None:
                        raise p.error
                    return self._record(p, label)
                except SourceError as exc:
                    if on_invalid is None:
                        raise
                    on_invalid(Skipped(f"{label}:{exc.line}", exc.reason))
                    return None

            for block in blocks:
                if pending is not None:
                    if block.kind == "field" or (block.kind == "text" and not _heading_candidate(block)):
                        rec = finish(project)
                        if rec is not None:
                            yield rec
                        project = _Project(pending.text, pending.line)
                    elif block.kind == "text" and _heading_candidate(block):
                        pass  # the pending line was a group title ("Central Asia"); the new one may be a heading
                    elif project is not None:
                        self._add(project, pending, fail)
                    else:
                        fail("text before the first project heading", pending.line)
                    pending = None
                if block.kind == "text" and (_SECTION.match(block.text) and block.blank_before):
                    continue
                if _heading_candidate(block):
                    pending = block
                    continue
                if block.kind == "bad":
                    if project is not None:
                        project.error = project.error or _ALREADY_REPORTED
                    continue
                if project is None:
                    what = f"field {block.label!r}" if block.kind == "field" else "text"
                    fail(f"{what} before the first project heading", block.line)
                    continue
                self._add(project, block, fail)
            if pending is not None:
                if project is None:
                    fail("text before the first project heading", pending.line)
                else:
                    self._add(project, pending, fail)
            rec = finish(project)
            if rec is not None:
                yield rec

    @staticmethod
    def _add(p: _Project, block: _Block, fail: Callable[[str, int], None]) -> None:
        if block.kind == "field":
            attr = block.attr
            if attr == "extra":
                p.extra.setdefault(block.label, [])
                if block.value:
                    p.extra[block.label].append(block.value)
                p.target = "extra:" + block.label
                return
            if attr == "specific_objectives":
                if block.value:
                    p.specific.append(block.value)
                p.target = "specific"
                return
            if attr == "objective" and "objective" in p.fields and not block.value:
                p.target = "objective"
                return
            if attr in p.fields:
                fail(f"duplicate field {block.label!r} in project {p.heading!r}", block.line)
                return
            p.fields[attr] = (block.line, block.label, block.value)
            if attr == "objective":
                if block.value:
                    p.objective.append(block.value)
                p.target = "objective"
            else:
                # A bare "Donors:" collects the following lines; a filled one-line field ends there.
                p.target = ("field:" + attr) if not block.value else "description"
            return
        if block.kind == "bullet":
            target = p.target
            if target == "specific":
                p.specific.append(_SO_PREFIX.sub("", block.text))
            elif target.startswith("extra:"):
                p.extra[target[6:]].append(block.text)
            elif target.startswith("field:"):
                line, label, value = p.fields[target[6:]]
                p.fields[target[6:]] = (line, label, (value + "; " if value else "") + block.text)
            elif target == "objective":
                p.objective.append("• " + block.text)
            else:
                p.description.append("• " + block.text)
            return
        text = block.text.replace("\n", " ")
        if _SPECIFIC_INTRO.search(text) and len(text) <= 120 and text.rstrip()[-1:] in ":;":
            p.target = "specific"
            return
        if p.target.startswith("field:"):
            line, label, value = p.fields[p.target[6:]]
            p.fields[p.target[6:]] = (line, label, text)
            p.target = "description"
            return
        if p.target.startswith("extra:") and not _looks_like_prose(text) and not _SENTENCE_OPENERS.match(text):
            p.extra[p.target[6:]].append(text)
            return
        if p.target == "objective":
            p.objective.append(text)
            return
        p.target = "description"
        p.description.append(text)

    def _record(self, p: _Project, label: str) -> ProjectRecord:
        name, acronym = split_heading(p.heading)
        values = {attr: v for attr, (_, _, v) in p.fields.items()}
        start = end = None
        duration = values.get("duration", "")
        if duration:
            try:
                start, end = parse_duration(duration)
            except ValueError as exc:
                raise SourceError(str(exc), source=label, line=p.fields["duration"][0]) from None
        country_names: tuple[str, ...] = ()
        codes: dict[str, None] = {}
        if values.get("countries"):
            country_names = split_countries(values["countries"])
            for cname in country_names:
                # Country names first (one resolver everywhere), then the gazetteer's cities and extra places.
                code = resolve_country(cname) or self._gazetteer.resolve(cname)
                if code is not None:
                    codes.setdefault(code, None)
                else:  # "Western Balkans (Albania, Serbia)" or "Tunisia (Tunis)"
                    for found in self._gazetteer.countries(cname):
                        codes.setdefault(found, None)
        if not (p.objective or p.description or p.specific or p.fields or p.extra):
            raise SourceError(f"project {p.heading!r} has no content", source=label, line=p.line)
        return ProjectRecord(
            name=name,
            line=p.line,
            acronym=acronym,
            objective="\n\n".join(p.objective),
            specific_objectives=tuple(s for s in p.specific if s),
            description="\n\n".join(p.description),
            agencies=split_list(values.get("agencies", "")),
            donors=split_list(values.get("donors", "")),
            duration_text=duration,
            start_date=start,
            end_date=end,
            country_names=country_names,
            countries=tuple(codes),
            extra={k: "\n".join(v) for k, v in p.extra.items() if v},
        )


def _looks_like_prose(text: str) -> bool:
    return len(text.split()) >= 25 and text.rstrip()[-1:] in ".!?"


@register("project-pages")
def _factory(src: SourceConfig, cfg: Config) -> ProjectPagesSource:
    return ProjectPagesSource(src, cfg)
