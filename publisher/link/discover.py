"""Find project-like names in releases that the project list lacks, so an operator can add them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from publisher.link.names import MentionIndex
from publisher.text import looks_like_acronym

_KIND = r"(?:[Pp]roject|[Pp]rogramme|[Pp]rogram|[Ii]nitiative|[Ff]acility)"
# A capitalised phrase (or an acronym in parentheses) right before "project": "the HEROES project",
# "MoNIS Project", "Strengthening Border Security (SBS) project".
_BEFORE = re.compile(
    r"(?<![\w&+-])(?P<name>[A-Z][\w&+'’-]*(?:\s+(?:of|for|and|in|on|the|to|&)?\s*[A-Z0-9][\w&+'’-]*){0,7})"
    r"(?:\s+\((?P<acr>[A-Z][\w&+.-]{1,15})\))?\s+" + _KIND + r"\b"
)
# "Project PROTECT", "programme SAFE": an acronym right after the kind word.
_AFTER = re.compile(r"\b" + _KIND + r"\s+(?P<name>[A-Z][A-Za-z0-9&+-]*[A-Z][A-Za-z0-9&+-]*)(?![\w&+-])")
_LEADING = re.compile(
    r"^(?:(?:The|This|That|These|A|An|Our|Its|Their|New|Joint|Regional|National)\s+|[\w-]+-(?:funded|led|supported|financed|backed|run)\s+|(?:EU|UN|US)\s+)+"
)
_GENERIC = frozenset({"EU", "UN", "US", "The", "This", "Pilot", "Regional", "National", "New", "Joint"})


@dataclass
class Discovered:
    name: str
    count: int = 0
    examples: list[str] = field(default_factory=list)  # titles (or slugs) of the first releases naming it


def _clean(name: str) -> str:
    name = _LEADING.sub("", name.strip()).strip(" -’'")
    name = re.sub(r"[’']s$", "", name)
    # A possessive or a sentence start before the name proper: keep the acronym run at its end.
    words = name.split()
    if not words or re.search(r"-(?:funded|led|supported|financed|backed|run)$|[’']s?$", words[-1]):
        return ""  # "ICMPD's EU-funded Project X": the name comes after the kind word
    if len(words) > 1 and looks_like_acronym(words[-1]):
        return words[-1]  # "ICMPD EMLINK project": an organisation before the acronym
    return name


def project_like_names(text: str) -> list[str]:
    """Names written the way releases name projects, in text order."""
    found: list[tuple[int, str]] = []
    for m in _BEFORE.finditer(text):
        if m.group("acr") and looks_like_acronym(m.group("acr")):
            found.append((m.start(), m.group("acr")))
            continue
        name = _clean(m.group("name"))
        if name and name not in _GENERIC and (looks_like_acronym(name) or len(name.split()) >= 2):
            found.append((m.start(), name))
    for m in _AFTER.finditer(text):
        if looks_like_acronym(m.group("name")) and m.group("name") not in _GENERIC:
            found.append((m.start(), m.group("name")))
    return [n for _, n in sorted(found)]


def discover(releases: Iterable[tuple[str, str]], known: MentionIndex, *, examples: int = 3) -> list[Discovered]:
    """Project-like names in (label, text) pairs that no known project answers to, most frequent first.
    A name counts once per release."""
    out: dict[str, Discovered] = {}
    for label, text in releases:
        for name in dict.fromkeys(project_like_names(text)):
            if known.known(name):
                continue
            d = out.setdefault(name, Discovered(name))
            d.count += 1
            if len(d.examples) < examples:
                d.examples.append(label)
    return sorted(out.values(), key=lambda d: (-d.count, d.name))
