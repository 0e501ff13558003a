"""Collective phrases of regions and organisation groups ("all five Central Asian states", "the IGAD Member States")."""

from __future__ import annotations

import functools
import re

from publisher.config import TaxonomyConfig
from publisher.gazetteer import PlaceMatch

# Group aliases travel through the gazetteer with the region aliases (one scan, one longest match for a name
# that is both, such as "ECOWAS"), under slugs no region can have: region slugs are lower-case words and '-'.
_GROUP = "group:"

NUMBER_WORDS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    *("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"),
)
_NUMBERS = {w: i for i, w in enumerate(NUMBER_WORDS)}

_REGION_NOUNS = r"member\s+states|member\s+countries|partner\s+countries|participating\s+states|countries|states"
_REGION_NOUNS += (
    r"|nations|republics|partners|economies|jurisdictions"  # "the six Western Balkan partners", "... economies"
)
# An organisation's members go by more names ("the EAC Partner States"), and a possessive is still the whole.
_GROUP_NOUNS = r"member\s+states|member\s+countries|member\s+nations|partner\s+states|countries|states|nations"
# "the G5 Sahel heads of state met", "SADC ministers adopt recommendations": its members' leaders
_GROUP_NOUNS += r"|heads\s+of\s+state|presidents|leaders|ministers"
_REGION_AFTER = re.compile(r"[\s-]+(?P<noun>" + _REGION_NOUNS + r")\b", re.IGNORECASE)
_GROUP_AFTER = re.compile(r"(?:['’]s)?[\s-]+(?P<noun>" + _GROUP_NOUNS + r")\b", re.IGNORECASE)
# A collective named by its count, capitalised: "the Western Balkan Six", "the Central Asian Five".
_COUNT_AFTER = re.compile(
    r"[\s-]+(?P<n>"
    + "|".join(w.capitalize() for w in NUMBER_WORDS)
    + r")\b(?!\s+(?:months?|years?|weeks?|days?|hours?)\b)"
)
_BEFORE = re.compile(
    r"\b(?:(?P<all>all|each\s+of|every\s+one\s+of|both)\s+(?:of\s+)?(?:the\s+|its\s+|their\s+)?)?"
    r"(?:(?P<n>\d+|" + "|".join(_NUMBERS) + r")\s+)?$",
    re.IGNORECASE,
)
# Words that make "IGAD countries" some of them, or others ("several IGAD countries", "non-ECOWAS states").
_SOME_BEFORE = re.compile(
    r"(?:\b(?:some|several|many|most|few|other|certain|various|selected|individual|neighbouring|neighboring)\s+"
    r"|\bnon[-‐]\s*)$",
    re.IGNORECASE,
)
_OF_THE_BEFORE = re.compile(
    r"(?<!\bone\s)(?<!\bsome\s)(?<!\bmany\s)(?<!\bmost\s)(?<!\bfew\s)(?<!\bnone\s)(?<!\bany\s)(?<!\beach\s)"
    r"(?<!\btwo\s)(?<!\bthree\s)(?<!\bfour\s)(?<!\bfive\s)(?<!\bseveral\s)"
    r"\b(?:(?:of|among|amongst|for|between)|of\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}?\s+and)\s+the\s+$",
    re.IGNORECASE,
)
_SOME_AFTER = re.compile(
    r"\s+(?:that|which|who|whose|where|participating|concerned|involved|affected|represented|present|attending"
    r"|taking|covered|selected|of\b|in\s+(?:the\s+)?(?:project|programme|initiative))",
    re.IGNORECASE,
)
# "the Member States and the Commission of ECOWAS"
_REGION_MEMBERS_OF = re.compile(r"\bmember\s+states\s+(?:and\s+(?:the\s+)?\w+\s+)?of\s+(?:the\s+)?$", re.IGNORECASE)
# "the six countries of the Western Balkans", "all countries of Central Asia": a number or "all" says it is every
# member ("the countries of the region" may be some of them).
_NUMBER = r"(?:\d+|" + "|".join(_NUMBERS) + r")"
_COUNTED_OF = re.compile(
    rf"\b(?:(?P<all>all)(?:\s+of)?(?:\s+the)?(?:\s+(?P<n1>{_NUMBER}))?|(?:the\s+)?(?P<n>{_NUMBER}))"
    r"\s+(?:countries|states|nations|republics|partners|economies)\s+of\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# "the Partner States of the EAC", "the member countries of SADC", "the countries of the G5 Sahel" (an
# organisation's countries are its members; "some countries of" is no such phrase)
_GROUP_MEMBERS_OF = re.compile(
    r"\b(?:(?:member|partner)\s+(?:states|countries|nations)|(?<!\w)the\s+(?:countries|states|nations)"
    # "the five presidents of the G5 Sahel", "the heads of state of ECOWAS": the leaders of all its members
    r"|(?<!\w)the\s+(?:\w+\s+)?(?:presidents|heads\s+of\s+state(?:\s+and\s+government)?|leaders))"
    r"\s+(?:and\s+(?:the\s+)?\w+\s+)?of\s+(?:the\s+)?$",
    re.IGNORECASE,
)


_AMONG_BEFORE = re.compile(
    r"\b(?:cooperation|co-operation|coordination|collaboration|solidarity|trust|dialogue|exchanges?)\s+(?:among|between)"
    r"\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)


def collective_size(text: str, m: PlaceMatch, *, group: bool = False) -> int | None:
    """For a region or group name used as a collective phrase ("all five Central Asian states", "the six
    Eastern Partnership countries", "ECOWAS member states"): the number of members it gives, 0 for "all of
    them". None when it is no such phrase; the caller checks a number against the members, so "three Central
    Asian countries" (some of them) expands to nobody. Of a `group`, the plain plural ("IGAD countries") is
    all its members, as an organisation's countries are its members; of a region it is not."""
    if _AMONG_BEFORE.search(text, max(0, m.start - 60), m.start):
        return None  # "closer cooperation among IGAD member states": a framework, not whom the story is about
    if (_GROUP_MEMBERS_OF if group else _REGION_MEMBERS_OF).search(text, max(0, m.start - 50), m.start):
        return 0
    counted = _COUNTED_OF.search(text, max(0, m.start - 50), m.start)
    if counted:
        n = counted.group("n") or counted.group("n1")
        return 0 if n is None else int(n) if n.isdigit() else _NUMBERS[n.lower()]
    after = (_GROUP_AFTER if group else _REGION_AFTER).match(text, m.end, m.end + 40)
    if after is None:
        count = _COUNT_AFTER.match(text, m.end, m.end + 12)
        return _NUMBERS[count.group("n").lower()] if count else None
    before = _BEFORE.search(text, max(0, m.start - 40), m.start)
    if before and before.group("all"):
        return 0  # "all fifteen ECOWAS member states" means every member, however the region counts them
    number = before.group("n") if before else None
    if number:
        return int(number) if number.isdigit() else _NUMBERS[number.lower()]
    if group:
        return None if _SOME_BEFORE.search(text, max(0, m.start - 30), m.start) else 0
    if after.group("noun").lower().startswith("member"):
        return 0
    # "the ministers of the Central Asian countries", "for the benefit of the Western Balkan states": the
    # definite plural after a preposition is all of them, unless a word before picks one or some ("one of the
    # Eastern Partnership countries") or a clause after does ("the Central Asian states that signed"). Where
    # people go ("asylum in the Schengen states") is no such phrase.
    if _OF_THE_BEFORE.search(text, max(0, m.start - 40), m.start) and not _SOME_AFTER.match(text, after.end()):
        return 0
    return None


def place_aliases(taxonomy: TaxonomyConfig) -> dict[str, tuple[str, ...]]:
    """Region slug → aliases, plus one marked slug per group → its aliases: what the gazetteer scans for."""
    out = {slug: tuple(r.aliases) for slug, r in taxonomy.regions.items()}
    for slug, g in taxonomy.groups.items():
        out[_GROUP + slug] = tuple(g.aliases)
    return out


@functools.cache
def split_slugs(slugs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A match's slugs from `place_aliases` as (region slugs, group slugs)."""
    regions = tuple(s for s in slugs if not s.startswith(_GROUP))
    groups = tuple(s.removeprefix(_GROUP) for s in slugs if s.startswith(_GROUP))
    return regions, groups
