"""Split project-page text into blocks (bullets, labelled fields, paragraphs) and spot heading candidates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from publisher.errors import SourceError
from publisher.sources.base import Skipped
from publisher.sources.files import iter_lines
from publisher.text import SMALL_WORDS

_BULLET = re.compile(r"^\s*(?:[•●▪◦·‣∙*\-–—]|\d{1,2}[.)]|[a-z][.)])\s+(?P<text>\S.*)$")
SECTION = re.compile(
    r"^(?:(?:ongoing|current|completed|closed|past|previous|finished|active|other|our|selected|recent)\s+)*"
    r"projects?(?:\s+and\s+programmes)?\s*:?$",
    re.IGNORECASE,
)
# Labels of the fields we map onto ProjectRecord, by record attribute.
_FIELD_LABELS: dict[str, str] = {
    "aliases": r"also\s+known\s+as|aliases|alias|other\s+names?|short\s+names?",
    "acronyms": r"acronyms?|abbreviations?",
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
SPECIFIC_INTRO = re.compile(r"\bspecific\b.{0,40}\bobjectives?\b", re.IGNORECASE)
# Sub-section titles inside a project that must not be taken for a new project's heading.
_SUBSECTIONS = re.compile(
    r"^(?:background|context|overview|summary|description|activities|main activities|key activities|approach|"
    r"methodology|partners|beneficiaries|target groups?|components|expected results|results|outputs|outcomes|"
    r"news|publications|documents|downloads|contacts?|events|more information|further information|"
    r"objectives?|specific objectives)\s*:?$",
    re.IGNORECASE,
)
# Besides the small words of names, what a project's name may hold that its acronym leaves out.
_SMALL_WORDS = SMALL_WORDS | {"&", "-", "–", "project", "programme", "program", "phase", "initiative", "action"}
SENTENCE_OPENERS = re.compile(r"^(?:for more|for further|more information|please|see |visit |click )", re.IGNORECASE)
SO_PREFIX = re.compile(r"^(?:SO\s*\.?\s*\d+\s*[.):]?|\d{1,2}\s*[.)])\s*", re.IGNORECASE)


@dataclass
class Block:
    kind: str  # text, bullet, field, bad
    line: int
    text: str
    blank_before: bool = False
    attr: str = ""  # for fields: ProjectRecord attribute, or "extra"
    label: str = ""
    value: str = ""


def _match_field(line: str) -> Block | None:
    m = _FIELD.match(line)
    if m is None:
        return None
    attr = next(k for k in (*_FIELD_LABELS, "extra") if m.group(k) is not None)
    value = (m.group("v1") or m.group("v2") or m.group("v3") or "").strip()
    label = re.sub(r"\s+", " ", m.group("label").strip())
    return Block("field", 0, line.strip(), attr=attr, label=label, value=value)


def _title_ratio(text: str) -> float:
    words = [w for w in re.findall(r"[^\s]+", text) if any(c.isalpha() for c in w)]
    words = [w for w in words if w.strip("()“”\"'").lower() not in _SMALL_WORDS]
    if not words:
        return 0.0
    capital = sum(1 for w in words if w.lstrip("(“\"'")[:1].isupper() or w.lstrip("(“\"'")[:1].isdigit())
    return capital / len(words)


def heading_candidate(block: Block) -> bool:
    """Could this paragraph be a project heading? Confirmed later by what follows it."""
    text = block.text
    if block.kind != "text" or not block.blank_before or "\n" in text:
        return False
    if len(text) > 200 or len(text.split()) > 25 or text[-1] in ".;:,!?" or ";" in text:
        return False
    if SENTENCE_OPENERS.match(text) or _SUBSECTIONS.match(text) or SPECIFIC_INTRO.search(text):
        return False
    if len(text.split()) == 1 and not (text.isupper() or any(c.isdigit() for c in text)):
        return False  # a lone word is a sub-heading unless it is an acronym
    return _title_ratio(text) >= 0.7


def numbered_lines(
    stream: BinaryIO, label: str, on_invalid: Callable[[Skipped], None] | None
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


def to_blocks(lines: Iterator[tuple[int, str | None]]) -> Iterator[Block]:
    blank = True
    current: Block | None = None
    for number, line in lines:
        if line is None:
            if current is not None:
                yield current
                current = None
            yield Block("bad", number, "")
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
                current = Block("bullet", number, bullet.group("text").strip(), blank_before=blank)
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
            current = Block("text", number, line.strip(), blank_before=blank)
        blank = False
    if current is not None:
        yield current
