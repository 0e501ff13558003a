"""Find where the text is written from, not about: datelines and the seat of whoever speaks (context)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role

# A dateline opens a paragraph: places in capitals or title case, maybe a country, a date, an agency in
# brackets, then a dash or a colon ("STRASBOURG, 13 September 2012 –", "Damascus/Beirut, 3 May (UNHCR) –",
# "TUNIS, Tunisia –", "GENEVA: IOM warns"). It says where the press office sits; the story says where things
# happen. Only capitalised words, numbers and a few particles of place names ("Rio de Janeiro", "Dar es Salaam")
# may stand before the dash, so a sentence that starts with a place and goes on in lower case is never one.
_DATELINE = re.compile(
    r"[ \t]*(?P<head>(?:[A-ZÀ-Þ][\w’'.-]*|\d{1,4}(?:st|nd|rd|th)?|de|da|do|del|es|el|al|la|le|sur|upon)"
    r"(?:(?:[ \t]+|[ \t]*[,/][ \t]*|[ \t]*\(|\)[ \t]*,?[ \t]*|[ \t]*\)|-)"
    r"(?:[A-ZÀ-Þ][\w’'.-]*|\d{1,4}(?:st|nd|rd|th)?|de|da|do|del|es|el|al|la|le|sur|upon)){0,10}\)?)"
    r"[ \t]*(?:[–—-]|:(?=[ \t]+[A-Z0-9]))[ \t]+(?=\S)"
)
# A city alone, ending in a full stop, as the first words of a paragraph: "Berlin. Many of the refugees ...".
_CITY_LINE = re.compile(r"[ \t]*(?P<head>[A-ZÀ-Þ][\w’'-]*(?:[ \t]+[A-ZÀ-Þ][\w’'-]*){0,2})\.[ \t]+(?=[A-Z])")
_DATELINE_MAX = 90  # characters before the dash: a longer run of capitalised words is a title, not a dateline
# The seat of an organisation, ending where the place starts: "headquartered in Vienna", "with its seat in
# The Hague", "with a mission in Brussels".
_SEAT_BEFORE = re.compile(
    r"\b(?:headquartered|seated|its\s+seat|with\s+(?:its\s+)?(?:head\s+office|secretariat)|secretariat"
    r"|with\s+(?:a|an|its)\s+(?:permanent\s+)?(?:mission|representation|liaison\s+office))"
    r"\s+(?:in|at)\s+(?:the\s+)?",
    re.IGNORECASE,
)
# A spokesperson or a briefing in a city where international bodies brief the press ("said a spokesman in
# Geneva", "told journalists in New York"): where the agency speaks from. The same words in a field office
# ("a spokesman in Peshawar said", of returns from Pakistan) are where the story is, so only these count.
_BRIEFING_BEFORE = re.compile(
    r"\b(?:spokes(?:man|woman|person|people|persons)(?:\s+[\w-]+){0,2}?|told\s+(?:reporters|journalists|the\s+press)"
    r"|(?:press|news|media)\s+(?:briefings?|conferences?)(?:\s+[\w-]+){0,2}?)\s+in\s+(?:the\s+)?",
    re.IGNORECASE,
)
_BRIEFING_CITIES = frozenset(
    {"Geneva", "GENEVA", "New York", "NEW YORK", "Vienna", "VIENNA", "Brussels", "BRUSSELS", "Strasbourg", "London",
     "LONDON",
     "The Hague", "Rome", "Paris", "Washington, D.C.", "Washington DC", "Washington, DC", "Washington D.C."}
)  # fmt: skip
_SEAT_WORDS = (
    "headquartered",
    "seated",
    "seat ",
    "secretariat",
    "head office",
    "mission ",
    "representation ",
    "liaison",
)
_BRIEFING_WORDS = ("spokes", "told ", "briefing", "conference")
# "the Geneva-based agency", "a Vienna-based think tank": where an organisation sits, said of the organisation.
_BASED_AFTER = re.compile(r"[-‐]based\b")
# "experts flew in from the Warsaw headquarters": the seat people come from.
_FROM_BEFORE = re.compile(r"\bfrom\s+(?:the|its|their|[A-Z][\w-]*['’]s)\s+$")
_SEAT_AFTER = re.compile(r"\s+(?:headquarters|head\s+office|secretariat)\b")
# "the Director of IOM's Vienna regional office visited Bishkek": a city that names an office serving a region is
# where that office sits, not where the story is.
_REGIONAL_OFFICE_AFTER = re.compile(
    r"\s+(?:sub-?)?regional\s+(?:office|bureau|hub|centre|center|headquarters)\b", re.IGNORECASE
)


def seat_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions in a dateline, naming the seat of an organisation, or where its
    spokesperson briefs from such a seat, made BACKGROUND. A place named elsewhere as a subject stays a
    subject, and a text with no other place keeps it (background is among the roles kept when nothing else is)."""
    out = list(roles)
    if not matches:
        return out
    datelines = _dateline_spans(text, matches)
    # One scan of the text per kind of cue, not one per mention: a mention has the role when a cue ends where
    # it starts. Substring tests first: most texts hold none of the cue words, and then need no scan at all.
    low = text.lower()
    seats: set[int] = set()
    if any(w in low for w in _SEAT_WORDS):
        seats = {c.end() for c in _SEAT_BEFORE.finditer(text)}
    briefings: set[int] = set()
    if any(w in low for w in _BRIEFING_WORDS) and any(m.text in _BRIEFING_CITIES for m in matches):
        briefings = {c.end() for c in _BRIEFING_BEFORE.finditer(text)}
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT or m.code is None:
            continue
        if (
            any(a <= m.start and m.end <= b for a, b in datelines)
            or m.start in seats
            or (m.start in briefings and m.text in _BRIEFING_CITIES)
            or _BASED_AFTER.match(text, m.end)
            or (m.kind == "city" and _REGIONAL_OFFICE_AFTER.match(text, m.end))
            or (_SEAT_AFTER.match(text, m.end) and _FROM_BEFORE.search(text, max(0, m.start - 30), m.start))
        ):
            out[i] = Role.BACKGROUND
    return out


def _dateline_spans(text: str, matches: Sequence[PlaceMatch]) -> list[tuple[int, int]]:
    """Where datelines are: at the start of a paragraph, a run of capitalised words before a dash that starts
    with a city, or a city alone before a full stop ("Moldova – Ukraine: a new crossing point" is a headline about both, not a dateline)."""
    starts = {m.start: m for m in matches}
    spans = []
    pos = 0
    while pos >= 0:
        d = _DATELINE.match(text, pos)
        if d is not None:
            start, end = d.span("head")
            first = starts.get(start)
            # A colon dateline ("GENEVA: IOM warns") counts only at a seat that briefs the press: in a field
            # office ("Athens: close to 8,000 migrants have returned") it is where the story is.
            colon = text[d.end("head") : d.end()].strip() == ":"
            if (
                end - start <= _DATELINE_MAX
                and first is not None
                and first.kind == "city"
                and (not colon or first.text in _BRIEFING_CITIES)
            ):
                spans.append((start, end))
        elif (c := _CITY_LINE.match(text, pos)) is not None:
            start, end = c.span("head")
            first = starts.get(start)
            if first is not None and first.kind == "city" and first.end == end:  # the city and nothing else
                spans.append((start, end))
        pos = text.find("\n", pos)
        if pos >= 0:
            pos += 1
    return spans
