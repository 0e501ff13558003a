"""Find the venues of earlier events, dated in the text to a year before its own: background, not the story."""

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
    r"(?:,\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)?)?\s+(?:in|on)\s+(?:(?:early|late|mid-?)\s*)?"
    r"(?:\d{1,2}\s+)?(?:(?:" + _MONTHS + r")\s+)?(?:\d{1,2},?\s+)?(?P<year>(?:19|20)\d{2})\b"
)


def past_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role], on: dt.date | None) -> list[Role]:
    """`roles` with the subject mentions of a city dated to a year before `on` (the text's date) made BACKGROUND.
    A place named elsewhere as a subject stays one, and a text with no other place keeps it."""
    out = list(roles)
    if on is None:
        return out
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT or m.kind != "city":
            continue
        dated = _DATED_AFTER.match(text, m.end, m.end + 60)
        if dated is not None and int(dated.group("year")) < on.year:
            out[i] = Role.BACKGROUND
    return out
