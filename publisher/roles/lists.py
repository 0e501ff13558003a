"""Lists of place names in a sentence: where a list ends, where an item starts, what may stand between items."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch

_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                 "twenty"]  # fmt: skip
# What may stand between a cue and a place name of its list: names, articles, "Government of", commas, "and".
_LIST_GAP = re.compile(
    r"(?:\s|,|&|\(|\)|[-–—]|’s|'s|\b(?:and|or|as\s+well\s+as|both|the|of|for|its|their|from|government|governments"
    r"|federal|kingdom|republic|state|people|also|in\s+particular|notably|namely|such\s+as|including|all|each"
    r"|\d+|" + "|".join(_NUMBER_WORDS) + r")\b"
    r"|\b[A-Z][\w.-]*)*",
)
# A list that ends in others rather than a last name: "Syria, Iraq, Yemen and other countries", "..., etc."
OPEN_END = re.compile(
    r"\s*,?\s*(?:(?:and|or)\s+(?:many\s+|several\s+|a\s+few\s+)?(?:other|more)\s+(?:countries|states|nations"
    r"|nationalities|places)|(?:and\s+)?others|etc\b)"
)
# Where a sentence ends, for the passes that look only inside one (a colon does not end it here).
SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")
SENTENCE_WINDOW = 200  # how far back the passes look for the start of a sentence (characters)


def sentence_head(text: str, start: int, window: int = SENTENCE_WINDOW) -> tuple[str, int]:
    """The text of the sentence before `start` (at most `window` characters of it), and where that begins."""
    begin = max(0, start - window)
    head = text[begin:start]
    ends = list(SENTENCE_END.finditer(head))
    if ends:
        return head[ends[-1].end() :], begin + ends[-1].end()
    return head, begin


_LIST_CLOSE = re.compile(r"\b(?:and|or)\b|&")  # what closes a list: "A, B(,) and C"
# ... and an item may carry its state's title: "the Philippines, the Republic of Korea, Samoa and Viet Nam".
_LIST_TAIL = re.compile(
    r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*)(?:the\s+)?"
    r"(?:(?:Republic|Kingdom|Islamic\s+Republic|Federal\s+Republic|Sultanate|State|Principality)\s+of\s+(?:the\s+)?)?"
)
# A collective phrase whose members are listed after it: "seven EU countries - Austria, Croatia and Slovakia",
# "the Central Asian states: Kazakhstan, ... and Uzbekistan", "EU member states (Germany and Austria)".
_ENUMERATES = re.compile(r"\s*(?:[-–—:]|\()\s*(?:the\s+|namely\s+)?")


def lists_of(text: str, matches: Sequence[PlaceMatch]) -> list[int]:
    """For each match, the index of the last match of the list it belongs to ("Niger, Mali and Senegal").
    A run joined by commas alone is no list ("in Yemen, Sweden will give ..."): it takes an "and" or "or"."""
    last = list(range(len(matches)))
    i = 0
    while i < len(matches):
        j, end = i, i
        while j + 1 < len(matches):
            sep = _LIST_TAIL.match(text, matches[j].end, matches[j + 1].start)
            if (sep is None or sep.end() != matches[j + 1].start) and matches[j].code is None and j == i:
                sep = _ENUMERATES.match(text, matches[j].end, matches[j + 1].start)
            if sep is None or sep.end() != matches[j + 1].start:
                break
            j += 1
            if _LIST_CLOSE.search(sep.group()):
                end = j
        if end < j and OPEN_END.match(text, matches[j].end):
            end = j  # "A, B, C and other countries"
        for k in range(i, end + 1):
            last[k] = end
        i = end + 1
    return last


def item_start(text: str, start: int, end: int) -> int:
    """Where the list item that ends at `end` starts: after the last "," or "and" in text[start:end]."""
    cut = start
    for sep in _ITEM_SEP.finditer(text, start, end):
        cut = sep.end()
    return cut


_ITEM_SEP = re.compile(r",\s|\s(?:and|or|as\s+well\s+as)\s")


def list_size(i: int, matches: Sequence[PlaceMatch], lists: Sequence[int]) -> int:
    """How many countries the list of match `i` names from `i` on; a region's collective phrase names several."""
    return sum(1 if m.code else 2 for m in matches[i : lists[i] + 1])


def is_list_gap(text: str, start: int, end: int, matches: Sequence[PlaceMatch]) -> bool:
    """Whether text[start:end] holds only list material: other place names, names, articles, commas."""
    pos = start
    for other in matches:
        if other.start < start or other.end > end:
            continue
        if not _LIST_GAP.fullmatch(text, pos, other.start):
            return False
        pos = other.end
    return _LIST_GAP.fullmatch(text, pos, end) is not None
