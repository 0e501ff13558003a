"""Find where the people a story counts come from (origin lists): context, when the text acts somewhere else."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.roles.lists import OPEN_END, SENTENCE_END, sentence_head

# Statistics about people on the move name their origins in passing ("arrivals rose, many of them from A,
# B and C"); the story is where they arrive, are counted or are helped. Each cue below ends right where the
# list starts. Only migrants' origins qualify: "the countries of origin are A and B" in a dialogue of states
# names its members, so a bare "countries of origin" is no cue; "nationalities" is always about people.
_SHARE = (
    r"(?:many|most|some|half|several|the\s+(?:majority|bulk)|a\s+(?:third|quarter|majority|minority)"
    r"|(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few)(?:\s*%|\s+per\s*cent))"
    r"(?:\s+each)?"  # "about three per cent each from A, B and C"
)
_FROM = r"(?:from|nationals\s+of|citizens\s+of)"
_BEFORE = re.compile(
    r"(?:"
    # "many of them from", "most of whom were nationals of", "half came from", "the majority of arrivals from"
    rf"\b{_SHARE}\s+(?:of\s+(?:them|whom|those|these|the\s+[\w-]+)\s+|[a-z]+s\s+)?"  # "most respondents came from"
    r"(?:(?:were|are|being|had\s+come|came|come|coming|originat(?:ed|ing)|arrived|fled)\s+)?" + _FROM + r"|"
    # "applicants from 116 countries, most of them Senegalese, Syrians and Nigerians": only before nationalities
    rf"\b{_SHARE}\s+of\s+(?:them|whom|those)(?:\s+(?:were|are|being))?(?P<them>)|"
    # "mostly from", "mainly nationals of"; a bare "mostly" counts only before nationalities
    r"\b(?:mostly|mainly|largely|predominantly|primarily|chiefly|overwhelmingly)(?:\s+" + _FROM + r"|(?P<bare>))|"
    # "the main nationalities were", "top countries of origin of those detected were", "nationalities such as"
    r"\b(?:(?:main|top|leading|principal|largest|biggest|most\s+(?:common|frequent(?:ly\s+[\w-]+)?)|major)"
    r"\s+(?:countr(?:y|ies)\s+of\s+origin|origin\s+countr(?:y|ies)|source\s+countr(?:y|ies)|groups?|origins)"
    r"|nationalit(?:y|ies))"
    r"(?:\s+[\w-]+){0,10}?\s*(?:(?:were|was|are|is)(?:\s+(?:again|still|once\s+again))?|included|include|being"
    r"|such\s+as|like|:)|"
    # "arrivals from", "asylum applications lodged by people from"
    r"\b(?:arrivals|crossings|detections|applications|applicants)(?:\s+[\w-]+){0,4}?\s+(?:from|by)|"
    # "people fleeing A and B", "those who fled the war in A", "3.7 million people had left A"
    r"\b(?:fleeing|fled|left|leaving)(?:\s+(?:the\s+)?(?:war|wars|conflict|conflicts|violence|fighting|persecution"
    r"|crisis|insecurity|clashes)\s+(?:in|around|near)|\s+the\s+(?:invasion|occupation)\s+of)?|"
    # "refugees from A", "people displaced from A", "asylum seekers from A", "the refugees come from A"
    r"\b(?:originally|refugees(?:\s+and\s+migrants)?|(?:migrants\s+and\s+)?refugees|asylum[\s-]seekers"
    r"|displaced(?:\s+(?:people|persons|families|children))?|IDPs)"
    r"(?:\s+(?:mostly\s+|mainly\s+|largely\s+)?(?:come|came|coming|arriving|arrived|originate|originated))?\s+from|"
    # a breakdown by count: "586,224 refugees, among them 422,591 from A, 92,317 from B and 6,707 from C"
    r"\bamong\s+(?:them|whom|those|these)\s+(?:some\s+|about\s+|over\s+|nearly\s+)?\d[\d.,]*\s+from|"
    # a ranking goes on: "more than half of them from A, followed by students from B and C"
    r"\bfollowed\s+by(?:\s+[\w-]+){0,2}?\s+from|"
    # "since the war in A began", "because of the conflict in A", "since armed conflict broke out in A": the cause
    r"\b(?:since|after|because\s+of|due\s+to|following|by)\s+the\s+(?:war|conflict|crisis|fighting|violence)"
    r"(?:\s+of\s+\d{1,2}\s+[A-Z][a-z]+)?\s+in|"  # "since the violence of 25 August in Rakhine State"
    r"\b(?:war|conflict|fighting|violence)\s+(?:broke\s+out|erupted|began|started)\s+in"
    r")\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# A nationality's share after the list ("Syrians accounted for", "Afghans were the largest group") or a
# country's rank as an origin ("A was the top country of origin").
_AFTER = re.compile(
    r"\s+(?:(?:were|was|are|is|remain(?:s|ed)?|became|ranked)\s+(?:again\s+|still\s+)?(?:the\s+)?"
    r"(?:top|main|leading|largest|biggest|most\s+common|first|second|third|principal)\s+(?:[\w-]+\s+)?"
    r"(?:countr(?:y|ies)\s+of\s+origin|origin\s+countr(?:y|ies)|nationalit(?:y|ies)|groups?)"
    r"|(?P<share>accounted\s+for|account\s+for|made\s+up|make\s+up)"
    # "the cards record Myanmar as country of origin" (a study that "covers A and B as countries of origin" is
    # about them)
    r"|as\s+(?:the(?:ir)?\s+|its\s+|his\s+|her\s+)?country\s+of\s+origin)\b",
    re.IGNORECASE,
)
# The people a nationality is said of, when they are refugees or migrants in another country.
_REFUGEES_AFTER = re.compile(
    r"\s+(?:(?:young|irregular|undocumented|labour|economic)\s+)?(?:refugees?|asylum[\s-]seekers?|displaced|migrants?)\b"
)
# What joins the items of one list: "A, B(,) and C", "A or B".
_SEP = re.compile(
    # a ranking with its examples: "South-East Asia, mainly India, followed by the Middle East (mainly Jordan and
    # Egypt), Eastern Europe (mainly Ukraine) and Africa (mainly Nigeria)"
    r"\s*[,(]\s*(?:mainly|mostly|notably|especially|chiefly|in\s+particular)\s+"
    r"|\)?\s*,?\s*followed\s+by\s+(?:the\s+)?"
    # ... and its next items: ", 92,317 from B and 6,707 from C"
    r"|\s*,?\s*(?:(?:and|or)\s+)?\d[\d.,]*\s+from\s+(?:the\s+)?"
    # a figure after each item: "Afghanistan (453), Pakistan (395), Syria (104) and Iraq (36)"
    r"|\s*\(\s*\d[\d.,]*\s*(?:%|per\s*cent)?\s*\)\s*(?:,\s*)?(?:(?:and|or)\s+)?(?:the\s+)?"
    r"|\)\s*,?\s*(?:(?:and|or)\s+)?(?:the\s+)?(?:(?:Eastern|Western|Northern|Southern|Central)\s+)?"
    r"|\s*,\s*(?:and\s+|or\s+)?(?:the\s+)?|\s+(?:and|or)\s+(?:the\s+)?|\s*&\s*"
)
# A count before an item, in a breakdown of people by nationality: "286 Malians, 166 Guineans and 37 Burkinabè".
_COUNTS = r"(?:\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|a\s+dozen)"
_COUNT = re.compile(_COUNTS + r"\s+")
_COUNT_BEFORE = re.compile(r"\b" + _COUNTS + r"\s+$")
_BREAKDOWN = 3  # at least this many counted nationalities make a breakdown
# Lower-case words after a nationality or before it, "and" and "or" aside (they join the list).
_NOUNS_AFTER = re.compile(r"(?:\s+(?!(?:and|or)\b)[a-z][\w-]*){0,2}")
_NOUNS_BEFORE = re.compile(r"(?:(?!(?:and|or)\b)[a-z][\w-]*\s+){0,2}")
_CLOSE = re.compile(r"\b(?:and|or)\b|&")
_WINDOW = 200  # how far back a cue may be (characters), inside the same sentence


def origin_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions that only list where counted people come from made BACKGROUND.
    Nothing else changes: a country named elsewhere as a subject stays a subject, and a text whose only
    countries are such a list keeps them (background is among the roles kept when nothing else is)."""
    out = list(roles)
    i = 0
    while i < len(matches):
        # The list that starts at match i ends at match j; a run joined by commas alone is no list ("many
        # of them from Syria, Jordan said"): it ends at the last item after an "and" or "or".
        j, k = i, i
        while k + 1 < len(matches) and (sep := _joined(text, matches[k], matches[k + 1])) is not None:
            k += 1
            if _CLOSE.search(sep) or sep.lstrip().startswith("("):  # "(mainly A)" belongs to the item before
                j = k
        if j < k and OPEN_END.match(text, matches[k].end):
            j = k  # "Syria, Iraq, Yemen and other countries"
        items = matches[i : j + 1]
        origin = (
            _is_origin_list(text, items) or _nationals_abroad(text, matches, i, j) or _counted_breakdown(text, items)
        )
        if origin and not _going_home(text, matches[i], matches[j]):
            for k in range(i, j + 1):
                if out[k] is Role.SUBJECT:
                    out[k] = Role.BACKGROUND
        i = j + 1
    return out


# People who go home go to their country: "helps 160 Zimbabwean refugees go home", "the return of 160 Zimbabwean
# refugees from Botswana".
_HOME_AFTER = re.compile(
    r"(?:\s+(?!(?:not|cannot|never|unable)\b)[a-z][\w-]*){0,3}?\s+(?:to\s+)?(?:go|goes|going|went|gone|return|returns|returned|returning|fly|flew"
    r"|travel(?:led|ed)?)\s+(?:back\s+)?home\b"
)
_RETURN_BEFORE = re.compile(
    r"\b(?:the\s+)?(?:return|repatriation|homecoming)\s+of\s+(?:some\s+|about\s+|over\s+|more\s+than\s+)?"
    r"(?:[\d,]+\s+)?(?:the\s+)?$"
)


def _going_home(text: str, first: PlaceMatch, last: PlaceMatch) -> bool:
    """Whether the nationalities first..last are of people going home (their country is where they go)."""
    if not (first.kind == "demonym" and last.kind == "demonym"):
        return False
    return bool(_RETURN_BEFORE.search(text, max(0, first.start - 40), first.start) or _HOME_AFTER.match(text, last.end))


# People of a nationality counted where they are: "500 Syrians in Irbid", "508,935 Venezuelans in Ecuador".
_IN_PLACE = re.compile(r"\s+(?:(?:who\s+)?(?:live|are|remain|stay)\s+)?in\s+(?:the\s+)?")
# ... or in the host country the text is about: "Venezuelans who remain on its territory", "Ukrainians enter the
# country".
_IN_HOST = re.compile(
    r"\s+(?:who\s+(?:live|are|remain|stay|have\s+stayed)\s+(?:on|in)|(?:have\s+)?(?:enter(?:ed|ing)?|arrived\s+in))"
    r"\s+(?:its\s+territory|the\s+country|its\s+soil)\b"
)


def _nationals_abroad(text: str, matches: Sequence[PlaceMatch], i: int, j: int) -> bool:
    """Whether matches i..j are nationalities in the plural ("Syrians") followed by "in" and a place of another
    country: those people's origin, said of where they are."""
    if not all(m.kind == "demonym" and m.text.endswith("s") for m in matches[i : j + 1]):
        return False
    if _IN_HOST.match(text, matches[j].end):
        return True
    if j + 1 >= len(matches):
        return False
    place = matches[j + 1]
    gap = _IN_PLACE.match(text, matches[j].end, place.start)
    return gap is not None and gap.end() == place.start and place.code not in {m.code for m in matches[i : j + 1]}


def _joined(text: str, a: PlaceMatch, b: PlaceMatch) -> str | None:
    """What joins `a` to `b` as items of one list, or None."""
    # A nationality may carry a word or two of its own: "the Palestinian territories", "the occupied ...".
    start = _skip(_NOUNS_AFTER, text, a.end, b.start) if a.kind == "demonym" else a.end
    sep = _SEP.match(text, start, b.start)
    if sep is None:
        return None
    end = _skip(_NOUNS_BEFORE, text, sep.end(), b.start) if b.kind == "demonym" else sep.end()
    if end != b.start and b.kind == "demonym" and (count := _COUNT.match(text, end, b.start)):
        end = count.end()  # "..., 166 Guineans"
    return sep.group() if end == b.start else None


def _counted_breakdown(text: str, items: Sequence[PlaceMatch]) -> bool:
    """Whether `items` are nationalities each after a count: the people a story counts, by where they come from
    ("Among the 669 were 286 Malians, 166 Guineans, 37 Burkinabè ..."). Not the passengers of a flight home
    ("a charter ... bound for Bamako and the Gambia: 52 Malians, 12 Senegalese ..."): where they go is the story."""
    if len(items) < _BREAKDOWN or not all(
        m.kind == "demonym" and _COUNT_BEFORE.search(text, max(0, m.start - 12), m.start) for m in items
    ):
        return False
    _, sentence = sentence_head(text, items[0].start)
    return not _HOMEWARD.search(text, sentence, items[-1].end)


_HOMEWARD = re.compile(
    r"\b(?:flights?|charters?|bound\s+for|flown|repatriat\w*|returnees?|returned|returning|deport\w*"
    r"|(?:went|go|going|sent|brought)\s+(?:back|home))\b",
    re.IGNORECASE,
)


def _skip(words: re.Pattern[str], text: str, pos: int, end: int) -> int:
    """Where `words` (which may match nothing) stop matching from `pos`."""
    found = words.match(text, pos, end)
    return found.end() if found else pos


# What the words before a list must look like for _BEFORE to match there: a necessary condition, far cheaper
# than searching the window with _BEFORE, which most lists ("in Kenya", "of Moldova") could never satisfy.
_ADVERBS = ("mostly", "mainly", "largely", "predominantly", "primarily", "chiefly", "overwhelmingly")
_TROUBLES = ("war", "wars", "conflict", "conflicts", "violence", "fighting", "persecution", "crisis", "insecurity",
             "clashes")  # fmt: skip
_VERBS = ("were", "was", "are", "is", "included", "include", "being", "as", "like", ":")
_COUNTED = ("arrival", "crossing", "detection", "application", "applicant")


def _may_end_with_cue(head: str) -> bool:
    if not head[-1:].isspace():
        return False
    low = head.lower()
    words = low.split()
    if words and words[-1] == "the":
        words.pop()
    if len(words) > 1 and words[-1] in ("again", "still"):  # "the main countries of origin were again"
        words.pop()
    if not words:
        return False
    last, prev = words[-1], words[-2] if len(words) > 1 else ""
    if last.endswith(("from", "fleeing", "fled", "left", "leaving", *_ADVERBS)):
        return True
    if last.endswith("of"):
        return prev.endswith(("nationals", "citizens", "invasion", "occupation"))  # "fled the invasion of"
    if last.endswith(("in", "around", "near")):
        # "fled the war in", "since the war in", "since conflict broke out in", "fleeing fighting around",
        # "since the violence of 25 August in"
        dated = len(words) > 4 and words[-4] == "of" and words[-5].endswith(_TROUBLES)
        return prev.endswith(_TROUBLES) or prev in ("out", "erupted", "began", "started") or dated
    if last.endswith("by"):
        return any(w in low for w in _COUNTED)
    if last in ("them", "whom", "those"):  # "most of them", before nationalities
        return prev == "of"
    if last.endswith(_VERBS):
        return any(w in low for w in ("nationalit", "origin", "source", "group"))
    return False


def _is_origin_list(text: str, items: Sequence[PlaceMatch]) -> bool:
    first, last = items[0], items[-1]
    head = text[max(0, first.start - _WINDOW) : first.start]
    nationalities = all(m.kind == "demonym" for m in items)
    if _may_end_with_cue(head):
        ends = list(SENTENCE_END.finditer(head))
        if ends:
            head = head[ends[-1].end() :]
        cue = _BEFORE.search(head)
        if cue is not None and ((cue.group("bare") is None and cue.group("them") is None) or nationalities):
            return True
    # "Syrian refugees in Jordan", "Venezuelan migrants and refugees in Peru": whom the host country helps
    if nationalities and _REFUGEES_AFTER.match(text, last.end, last.end + 60):
        return True
    after = _AFTER.match(text, last.end, last.end + 100)
    # "Greece accounted for most arrivals" is where they arrive: only nationalities account for a share.
    return after is not None and (after.group("share") is None or nationalities)
