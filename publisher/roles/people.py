"""Find nationalities said of people helped or counted elsewhere, or of one person, and wars fled: context, not where the story is."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.roles.lists import lists_of, sentence_head

# A nationality said of the people a story helps or counts ("Syrian refugees", "Venezuelan families", "Syrian
# Armenians") names where they come from; the story is where they are now. Officials, police and institutions
# are not in this list ("Nigerian border officers" are whom a training is for, in their own country), nor are
# workers: "Filipino workers" in a labour agreement are one end of the corridor, a subject.
_PEOPLE_AFTER = re.compile(
    r"\s+(?:(?:young|irregular|undocumented|vulnerable|displaced|urban|registered|stranded)\s+)?"
    r"(?:refugees?|migrants?|asylum[\s-]seekers?|people|persons|nationals|families|children|women|men|youth"
    r"|communit(?:y|ies)|arrivals|students|victims|population|households|newcomers"
    r"|passports?(?!\s+holders)"  # documents: "25 forged Bangladeshi passports were found"
    r"|Refugees|Migrants)\b"  # in an office's name: "the Chief Commissioner for Afghan Refugees"
)
# A nationality in the plural is such people only where the text says they were displaced, hosted or have left:
# "hosts some 1.7 million Venezuelans", "displaced Afghans", "Afghans fleeing", "Syrians living in towns". A
# count alone ("3,522 Uzbeks found jobs abroad") is the story of that country's emigrants.
_PLURAL_BEFORE = re.compile(
    r"\b(?:displaced|stranded|registered|undocumented|register|registering|hosts?|hosting|hosted|sheltering"
    r"|integration\s+of)"
    r"(?:\s+(?:some|about|around|over|nearly|almost|more\s+than))?(?:\s+[\d.,]+(?:\s+(?:million|thousand))?)?\s+$",
    re.IGNORECASE,
)
_PLURAL_AFTER = re.compile(
    r"\s+(?:fleeing|living|staying|sheltering|stranded|in\s+the\s+country|on\s+its\s+territory"
    r"|under\s+(?:temporary|international|subsidiary)\s+protection|seeking\s+(?:refuge|asylum|protection)"
    r"|(?:who|that)\s+(?:have\s+|had\s+)?(?:fled|left|live|lived|are\s+living|stay|sought)"
    r"|(?:have|had)\s+(?:fled|left|sought|registered)|(?:are|were)\s+still\s+in|remain(?:s|ed)?\s+in)\b"
)
# ... in the predicate: "many undocumented workers are Moldovan, Ukrainian, Romanian or Georgian".
_PEOPLE_BEFORE = re.compile(
    r"\b(?:refugees|migrants|asylum[\s-]seekers|workers|arrivals|newcomers|victims|applicants)"
    r"\s+(?:are|were)\s+(?:(?:mostly|mainly|largely|often|either)\s+)?$"
)
# A story about going home, anywhere in the text: the nationality is where they return to, the story's subject.
_RETURN = re.compile(
    r"\b(?:returnees?|returning|return(?:s|ed)?\s+(?:of|home|from|to(?!\s+(?:school|work|normal|class|education)))"
    r"|(?:voluntary|humanitarian|assisted|forced)\s+(?:humanitarian\s+)?returns?|repatriat\w*"
    r"|deport\w*|(?:went|go|going|fly|flew|flown|sent|brought)\s+home|(?:going|coming|came|come|went|sent)\s+back)\b",
    re.IGNORECASE,
)
# The war people fled, named by the country it is in: "the Syrian conflict", "the Sudanese crisis", "the war in
# neighbouring Sudan". (Since/after/fleeing the war in are origins: see roles.origins.)
_TROUBLE_AFTER = re.compile(r"\s+(?:civil\s+)?(?:war|conflict|crisis|crises|refugee\s+crisis)\b")
_TROUBLE_BEFORE = re.compile(
    r"\b(?:war|wars|conflict|conflicts|crisis|crises|fighting|violence)"
    r"(?:\s+(?:rages?|raged|raging|continues|continued|goes\s+on|unfolds))?\s+in\s+(?:the\s+)?(?:neighbou?ring\s+)?$",
    re.IGNORECASE,
)
# ... or by the state that started it: "because of Russia's full-scale invasion".
_INVADER_AFTER = re.compile(
    r"(?:’s|'s)\s+(?:full[-\s]scale\s+|military\s+)?(?:invasion|aggression|crackdown|offensive|(?:war|attacks?)\s+(?:on|against))\b"
)
# A state that leads a military campaign: "the Saudi-led air campaign", "a US-led coalition".
_LED_AFTER = re.compile(r"[-‐]led\b")
_EMIGRANTS = re.compile(
    r"\babroad\b|\b(?:labour|seasonal|migrant|guest)\s+(?:workers|migrants)\b|\bfound\s+(?:jobs|work|employment)\b",
    re.IGNORECASE,
)


def people_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with subject mentions that only name the nationality of people who are elsewhere, or a war they
    fled, made BACKGROUND, and a state leading a campaign made ACTOR. A mention changes only while the text
    has a subject in another country (a story about Syrian refugees alone is still about Syria), and a story of
    people going home keeps their nationality (where they return to)."""
    out = list(roles)
    lists = lists_of(text, matches)
    starts: dict[int, int] = {}
    for i, last in enumerate(lists):
        starts.setdefault(last, i)
    changed: dict[int, Role] = {}
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT or m.code is None:
            continue
        if _LED_AFTER.match(text, m.end):
            changed[i] = Role.ACTOR
            continue
        # the words before the list it is in: "the conflicts in Iraq and Syria"
        head, _ = sentence_head(text, matches[starts.get(lists[i], i)].start)
        trouble = (
            _TROUBLE_BEFORE.search(head)
            or (m.kind in ("demonym", "name") and _TROUBLE_AFTER.match(text, m.end))  # "the Syria crisis"
            or (m.kind == "name" and _INVADER_AFTER.match(text, m.end))
        )
        if trouble or (m.kind == "demonym" and _said_of_people(text, matches, lists, starts, i)):
            changed[i] = Role.BACKGROUND
    # Once the text says who these people are ("Syrians under temporary protection", "the Syrian refugee crisis",
    # here or in an earlier pass), its other nationality words of them are the same people ("300 Syrians start
    # small businesses", "met Syrian and Jordanian workers").
    hosted = {matches[i].code for i, r in changed.items() if r is Role.BACKGROUND and matches[i].kind == "demonym"}
    hosted |= {
        m.code
        for i, m in enumerate(matches)
        if out[i] is Role.BACKGROUND
        and m.kind == "demonym"
        and (_TROUBLE_AFTER.match(text, m.end) or _said_of_people(text, matches, lists, starts, i))
    }
    for i, m in enumerate(matches):
        if i not in changed and out[i] is Role.SUBJECT and m.code in hosted and m.kind == "demonym":
            changed[i] = Role.BACKGROUND
    if not changed:
        return out
    elsewhere = {m.code for i, m in enumerate(matches) if out[i] is Role.SUBJECT and i not in changed}
    home = _RETURN.search(text) is not None
    for i, role in changed.items():
        people = (
            matches[i].kind == "demonym" and role is Role.BACKGROUND and not _TROUBLE_AFTER.match(text, matches[i].end)
        )
        if elsewhere - {matches[i].code} and not (people and home):
            out[i] = role
    return out


def _is_plural_demonym(m: PlaceMatch) -> bool:
    return m.kind == "demonym" and m.text.endswith("s") and not m.text.endswith("ss")


def _said_of_people(
    text: str, matches: Sequence[PlaceMatch], lists: Sequence[int], starts: dict[int, int], i: int
) -> bool:
    m = matches[i]
    if _is_plural_demonym(m):  # "Venezuelans", "Afghans"; not "Swiss"
        head, _ = sentence_head(text, m.start)
        return _PLURAL_BEFORE.search(head) is not None or _PLURAL_AFTER.match(text, m.end) is not None
    last = matches[lists[i]]
    nxt = matches[i + 1] if i + 1 < len(matches) else None
    if nxt is not None and nxt.kind == "demonym" and nxt.text.endswith("s") and text[m.end : nxt.start] == " ":
        return True  # "Syrian Armenians"
    if last.kind == "demonym" and _PEOPLE_AFTER.match(text, last.end):
        return True
    first = matches[starts[lists[i]]]
    head, _ = sentence_head(text, first.start)
    return _PEOPLE_BEFORE.search(head) is not None


# One person's nationality: "said a Syrian man", "an undocumented Nigerian told reporters", "a 34-year-old
# Algerian died". Like a nationality in the plural, it says where that person is from, not where the story is.
_ONE_PERSON_BEFORE = re.compile(r"\b(?:a|an)\s+(?:[\w-]+\s+){0,3}?$", re.IGNORECASE)
_ONE_PERSON_AFTER = re.compile(
    r"\s+(?:man|woman|boy|girl|child|national|citizen|migrant|refugee|asylum[\s-]seeker|mother|father|teenager"
    r"|student|broker|smuggler|driver|survivor|victim|journalist)\b"
    r"|[\s,]+(?:who|said|told|was|is|has|had|died)\b"
)


def _one_person(text: str, m: PlaceMatch) -> bool:
    return (
        m.kind == "demonym"
        and not _is_plural_demonym(m)
        and _ONE_PERSON_AFTER.match(text, m.end) is not None
        and _ONE_PERSON_BEFORE.search(text, max(0, m.start - 40), m.start) is not None
    )


def nationality_only_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions of a country named only by its people in the plural ("Venezuelans",
    "Syrians"), never by its name or a place in it, made BACKGROUND while another country is named as where the
    story happens: they are where those people come from ("Colombia's statute for Venezuelans", "Quito Process
    adopts a road map for integrating Venezuelans"). A story of people going home keeps them (where they return
    to), and so does a story told from the emigrants' side ("Venezuelans abroad", "found jobs abroad") or of
    labour migrants (both ends of a corridor), and a nationality said only in the singular ("Venezuelan
    engineers")."""
    out = list(roles)
    placed = {m.code for m, r in zip(matches, roles, strict=True) if r is Role.SUBJECT and m.kind in ("name", "city")}
    if not placed:
        return out
    by_people: dict[str, list[int]] = {}
    for i, (m, r) in enumerate(zip(matches, roles, strict=True)):
        if r is Role.SUBJECT and m.code is not None and m.kind == "demonym" and m.code not in placed:
            by_people.setdefault(m.code, []).append(i)
    people = [
        found
        for found in by_people.values()
        if any(_is_plural_demonym(matches[i]) for i in found) or all(_one_person(text, matches[i]) for i in found)
    ]
    # the whole-text searches only for the few texts that have such people
    if not people or _RETURN.search(text) or _EMIGRANTS.search(text):
        return out
    for found in people:
        for i in found:
            out[i] = Role.BACKGROUND
    return out
