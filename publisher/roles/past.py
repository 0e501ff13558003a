"""Find the venues of earlier events and other instances of the story's own: background, not the story."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.roles.lists import SENTENCE_END

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


# Other instances, set against the story's own: "the third such agreement, after Albania in February and the former
# Yugoslav Republic of Macedonia in July", "talks with Montenegro and Bosnia and Herzegovina continue".
_AFTER_BEFORE = re.compile(r"\b(?:after|following)\s+(?:the\s+)?$", re.IGNORECASE)
_AND_BEFORE = re.compile(r"\s+and\s+(?:the\s+)?$")
_WHEN_AFTER = re.compile(r"\s+in\s+(?:(?:" + _MONTHS + r")(?:\s+(?:19|20)\d{2})?|(?:19|20)\d{2})\b")
_TALKS_BEFORE = re.compile(r"\b(?:talks|negotiations|discussions)\s+with\s+(?:the\s+)?$", re.IGNORECASE)
_GO_ON_AFTER = re.compile(
    r"\s+(?:continue|go\s+on|are\s+(?:still\s+)?(?:under\s*way|ongoing|continuing|in\s+progress))\b"
)
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:the\s+)?")


def instance_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with subject mentions of other instances made BACKGROUND, while another country of the sentence
    stays a subject: "after A in February and B in July", "talks with A and B continue"."""
    out = list(roles)
    after_run = False  # inside "after A in February and B in July"
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT or m.code is None:
            after_run = False
            continue
        head = text[max(0, m.start - 30) : m.start]
        dated = _WHEN_AFTER.match(text, m.end, m.end + 40) is not None
        if dated and (_AFTER_BEFORE.search(head) or (after_run and _AND_BEFORE.search(head))):
            after_run = True
            if _another_country_in_sentence(text, matches, i):
                out[i] = Role.BACKGROUND
            continue
        after_run = False
        if _TALKS_BEFORE.search(head):
            j = i  # the list that starts here
            while (
                j + 1 < len(matches)
                and (sep := _LIST_SEP.match(text, matches[j].end))
                and sep.end() == matches[j + 1].start
            ):
                j += 1
            if _GO_ON_AFTER.match(text, matches[j].end) and _another_country_in_sentence(text, matches, i):
                for k in range(i, j + 1):
                    if out[k] is Role.SUBJECT:
                        out[k] = Role.BACKGROUND
    return out


def _another_country_in_sentence(text: str, matches: Sequence[PlaceMatch], i: int) -> bool:
    m = matches[i]
    starts = [e.end() for e in SENTENCE_END.finditer(text, 0, m.start)]
    start = starts[-1] if starts else 0
    end_match = SENTENCE_END.search(text, m.end)
    end = end_match.start() if end_match else len(text)
    return any(o.code not in (None, m.code) and start <= o.start and o.end <= end for o in matches)
