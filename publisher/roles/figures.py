"""Find the countries a sentence only counts ("520,000 in Russia, 113,000 in Kazakhstan") or lists as a mix: context."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.roles.lists import SENTENCE_END, lists_of

_NUMBER = r"\d[\d.,]*(?:\s*(?:%|per\s*cent|percent))?(?:\s+(?:million|thousand|billion))?"
# A figure right after the country: "Italy (40 percent)", "Hungary over 731,000", "Oman with 34,140",
# "Kuwait, 73,995", "Qatar at 12 per cent".
_AFTER = re.compile(
    r"\s*(?:\(\s*(?:about\s+|some\s+|over\s+)?" + _NUMBER + r"(?:\s+each)?\s*\)"
    r"|,?\s+(?:with|over|at|about|around|some|nearly|almost|more\s+than|less\s+than|fewer\s+than)\s+"
    + _NUMBER
    + r"|,\s+"
    + _NUMBER
    + r"(?=\s*[,;.)]|\s+and\b))"
)
# ... or right before it: "520,000 in Russia", "7,002 went to South Korea", "16,166 to Malaysia", "and 990 to".
_BEFORE = re.compile(
    r"(?<![\w.,])" + _NUMBER + r"(?:\s+(?:people|workers|migrants|refugees|arrivals|of\s+them|were|went|lived|live"
    r"|worked|work|had\s+gone|came|arrived))?\s+(?:in|to)\s+(?:the\s+)?$"
)
# ... or a count of its people: "7.7 million Colombians, 4.7 million Afghans", "six Guinean and 22 Gambian".
_PEOPLE_BEFORE = re.compile(
    r"(?<![\w.,])(?:\d[\d.,]*(?:\s+(?:million|thousand))?|one|two|three|four|five|six|seven|eight|nine|ten)\s+$",
    re.IGNORECASE,
)
# Where the story's own people go, share by share, the places are its subject: "helped 392 migrants return
# home: 163 to Burkina Faso, 165 to The Gambia, ...", "places for nationals of Tonga (250), Fiji (250) ...",
# "a charter flight left with 153 migrants: 52 Malians, 12 Senegalese, 17 Guineans and 72 Gambians".
_OWN_MOVES = re.compile(
    r"\b(?:return|repatriat|resettl|relocat|evacuat|places|quotas?|visas|flights?|charter)", re.IGNORECASE
)
_SERVED_BEFORE = re.compile(
    r"\b(?:for|trains?|trained|training|helps?|helped|helping|supports?|supported|supporting|assists?|assisted"
    r"|serves?|served|reaches?|reached|benefits?|benefited|protects?|protected|employs?|employed|hires?|hired)"
    r"\s+(?:[\w-]+\s+){0,2}?$",
    re.IGNORECASE,
)
# How many countries of one sentence must each carry a figure before the sentence is a table written as prose.
LEAST = 3


def _counted(text: str, m: PlaceMatch) -> str | None:
    """How `m` carries a figure: as a place ("520,000 in Russia"), as people ("7.7 million Colombians"), or not."""
    if m.kind == "demonym" and _PEOPLE_BEFORE.search(text, max(0, m.start - 30), m.start):
        return "people"
    if _AFTER.match(text, m.end) or _BEFORE.search(text, max(0, m.start - 60), m.start):
        return "place"
    return None


def figures_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions of a sentence that gives at least three countries a figure each made
    BACKGROUND: a breakdown of destinations, origins or shares; so are those of a list of three or more peoples
    ("Bangladeshis, Egyptians and Syrians"), unless the list is whom the work is for. A country the story names
    elsewhere as a subject keeps its tag through that other mention."""
    out = list(roles)
    # Places and people are two tables: "3,522 Uzbeks found jobs abroad: 2,183 went to Russia, 44 to Kazakhstan
    # and 1,293 to South Korea" counts the story's own people once, then where they went.
    by_sentence: dict[tuple[int, str], list[int]] = {}
    for i, m in enumerate(matches):
        if out[i] is Role.SUBJECT and m.code is not None and (how := _counted(text, m)):
            by_sentence.setdefault((_sentence_end(text, m.end), how), []).append(i)
    tables = list(by_sentence.values())
    # A list of three or more peoples is the mix of a group ("Bangladeshis, Egyptians, Pakistanis and Syrians"):
    # a table without its figures.
    peoples: dict[int, list[int]] = {}
    for i, last in enumerate(lists_of(text, matches)):
        if out[i] is Role.SUBJECT and matches[i].kind == "demonym" and matches[last].kind == "demonym":
            peoples.setdefault(last, []).append(i)
    for listed in peoples.values():
        first = matches[listed[0]].start
        if not _SERVED_BEFORE.search(text, max(0, first - 40), first):  # "the programme trains Jordanians, ..."
            tables.append(listed)
    for counted in tables:
        start = text.rfind(". ", 0, matches[counted[0]].start) + 1  # the sentence's start (0 for the first)
        end = _sentence_end(text, matches[counted[-1]].end)
        if len({matches[i].code for i in counted}) >= LEAST and not _OWN_MOVES.search(text, start, end):
            for i in counted:
                out[i] = Role.BACKGROUND
    return out


def _sentence_end(text: str, pos: int) -> int:
    stop = SENTENCE_END.search(text, pos)
    return stop.start() if stop else len(text)
