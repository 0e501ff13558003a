"""Find the venues of earlier events, dated in the text before its own year: background, not the story."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles import Role

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A city, then when something happened there: "in Geneva in March 2017", "met in Brussels in April 2008", "the
# founding consultation in Colombo in 2003". Only a whole year says it was another event: "in Geneva in March"
# is this year's, and may be this story's.
_DATED_AFTER = re.compile(
    r"(?:,\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)?)?\s+(?:(?:in|on)\s+(?:(?:early|late|mid-?)\s*)?"
    r"(?:\d{1,2}\s+)?(?:(?:" + _MONTHS + r")\s+)?(?:\d{1,2},?\s+)?(?P<year>(?:19|20)\d{2})\b|(?P<last>last\s+year)\b)"
)
# A country is dated the same way only as where something took place, and only set against another country of
# the same sentence: "used the campaign in Ukraine in 2014 ... before bringing it to Georgia". Alone, "the first
# point opened in Kosovo in April 2015" is the history of the story's own country.
_IN_BEFORE = re.compile(r"\bin\s+(?:the\s+)?$")
_SENTENCE = re.compile(r"[.!?;](?=\s)|\n")


def past_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role], on: dt.date | None) -> list[Role]:
    """`roles` with the subject mentions of a city dated to a year before `on` (the text's date) made BACKGROUND.
    A place named elsewhere as a subject stays one, and a text with no other place keeps it."""
    out = list(roles)
    if on is None:
        return out
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT or m.kind not in ("city", "name"):
            continue
        if m.kind == "name" and not _IN_BEFORE.search(text, max(0, m.start - 8), m.start):
            continue
        dated = _DATED_AFTER.match(text, m.end, m.end + 60)
        if dated is None or not (dated.group("last") or int(dated.group("year")) < on.year):
            continue
        if m.kind == "city" or _another_country_in_sentence(text, matches, i):
            out[i] = Role.BACKGROUND
    return out


def _another_country_in_sentence(text: str, matches: Sequence[PlaceMatch], i: int) -> bool:
    m = matches[i]
    starts = [e.end() for e in _SENTENCE.finditer(text, 0, m.start)]
    start = starts[-1] if starts else 0
    end_match = _SENTENCE.search(text, m.end)
    end = end_match.start() if end_match else len(text)
    return any(o.code not in (None, m.code) and start <= o.start and o.end <= end for o in matches)
