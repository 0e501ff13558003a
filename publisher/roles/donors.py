"""Find donors: a country the text says pays, in all its mentions, and one that does the work with an agency abroad."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role


def donor_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions of a country that the text also names as a donor made DONOR, while
    another country is a subject. A press release names its donor several times ("Paid for by the Government
    of Japan ... 'Japan has worked with IOM for five years', said Japan's ambassador"); only the first says who
    pays, the others read like the subject. A country that pays for work at home ("co-funded by Moldova" in a
    story about Moldova) stays: nothing else is the subject, or it is named far more often than anything else."""
    out = list(roles)
    donors = {m.code for m, role in zip(matches, roles, strict=True) if role is Role.DONOR and m.code}
    if not donors:
        return out
    subjects = Counter(m.code for m, role in zip(matches, roles, strict=True) if role is Role.SUBJECT and m.code)
    others = [n for code, n in subjects.items() if code not in donors]
    if not others:
        return out
    # A donor named as a subject more than twice as often as any other country is the story's own country,
    # paying for work at home ("a survey in Armenia ... funded by Armenia's State Committee of Science").
    home = {code for code in donors if subjects[code] > 2 * max(others)}
    for i, m in enumerate(matches):
        if out[i] is Role.SUBJECT and m.code in donors and m.code not in home:
            out[i] = Role.DONOR
    return out


# A country paired with an international organisation: "Japan and IOM sign ...", "the ILO and Switzerland launch
# ...", "UNHCR and the Government of Honduras signed ...". The partner is an acronym (or the UN) that names no place.
_WITH_ORG_AFTER = re.compile(r"\s+and\s+(?:the\s+)?(?P<org>[A-Z]{2,7}|UN|United\s+Nations)\b")
_WITH_ORG_BEFORE = re.compile(
    r"\b(?P<org>[A-Z]{2,7}|UN|United\s+Nations)\s+and\s+(?:the\s+)?(?:[Gg]overnment\s+of\s+(?:the\s+)?)?$"
)
_OWN_INSTITUTION = re.compile(
    r"(?:’s|'s)\s+(?:[a-z]+\s+){0,2}(?:ministry|agency|department|government|embassy|office|service)\b"
)
_PLACE_BEFORE = re.compile(r"\b(?:in|to|from|for|of|at)\s+(?:the\s+)?$", re.IGNORECASE)  # "in Ethiopia and IGAD"


def partner_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with a country named as the subject only beside an international organisation ("Japan and IOM
    launch a project for young returnees in Guatemala") made DONOR while another country is named as where the
    work is: a government that does the work with an agency abroad pays for it. A government doing it at home
    is named so too ("UNHCR and the Government of Honduras signed ..."), but the text names its country again,
    or names no other place."""
    out = list(roles)
    spans = [(m.start, m.end) for m in matches]

    def org(start: int, end: int) -> bool:  # an acronym, not a place the gazetteer knows ("UAE", "EU")
        return not any(s < end and start < e for s, e in spans)

    paired: set[int] = set()
    for i, (m, role) in enumerate(zip(matches, roles, strict=True)):
        if m.kind != "name" or m.code is None or role is not Role.SUBJECT:
            continue
        after = _WITH_ORG_AFTER.match(text, m.end)
        if (
            after
            and org(after.start("org"), after.end("org"))
            and not _PLACE_BEFORE.search(text, max(0, m.start - 20), m.start)
        ):
            paired.add(i)
            continue
        begin = max(0, m.start - 60)
        before = _WITH_ORG_BEFORE.search(text, begin, m.start)
        if before and org(before.start("org"), before.end("org")):
            paired.add(i)
    if not paired:
        return out
    placed = {m.code for m, r in zip(matches, roles, strict=True) if r is Role.SUBJECT and m.kind in ("name", "city")}
    # its own institutions speaking of the work are the same partner: "a director of Canada's immigration ministry"
    own = {i for i, m in enumerate(matches) if m.kind == "name" and _OWN_INSTITUTION.match(text, m.end)}
    for code in {matches[i].code for i in paired}:
        alone = all(
            i in paired or i in own
            for i, (m, r) in enumerate(zip(matches, roles, strict=True))
            if m.code == code and r is Role.SUBJECT
        )
        if alone and placed - {code, None}:
            for i in paired | own:
                if matches[i].code == code and out[i] is Role.SUBJECT:
                    out[i] = Role.DONOR
    return out


def foreign_hand_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions of a country named only by its adjective ("German", "Swedish"), never
    by its name or a city, made ACTOR when one of them is its aid agency, ministry or money at work ("the German
    development ministry", "Swedish cooperation", "the German-funded centres") while another country is named
    as where the work is: the other adjectives ("the German programme", "the German-supported component") are
    the same hand."""
    out = list(roles)
    named = {m.code for m in matches if m.kind != "demonym"}
    foreign = {
        m.code
        for m, r in zip(matches, roles, strict=True)
        if m.kind == "demonym"
        and m.code not in named
        and (
            r is Role.DONOR
            or (
                r is Role.ACTOR
                and _AID_AFTER.match(text, m.end)
                and not _PAIR_BEFORE.search(text, max(0, m.start - 6), m.start)
            )
        )
    }
    if not foreign:
        return out
    placed = {m.code for m, r in zip(matches, roles, strict=True) if r is Role.SUBJECT and m.kind in ("name", "city")}
    if not placed - foreign:
        return out
    for i, m in enumerate(matches):
        if (  # a code in `foreign` is named by nothing but demonyms
            out[i] is Role.SUBJECT
            and m.code in foreign
            and not m.text.endswith("s")
            and not _PEOPLE_AFTER.match(text, m.end)
        ):
            out[i] = Role.ACTOR
    return out


# The aid side of a state, said by its adjective (its embassy or mission abroad also serves its own people).
_AID_AFTER = re.compile(
    r"\s+(?:federal\s+)?(?:development\s+(?:minist\w+|agency|bank)|(?:development\s+)?cooperation"
    r"(?!\s+(?:with|between|among)\b)|international\s+development|agency\s+for|foreign\s+office|foundation"
    r"|political\s+foundation|special\s+initiative|aid\s+(?:agency|programme))\b",
    re.IGNORECASE,
)
# Two states' work together ("Polish–Montenegrin cooperation") is both at home.
_PAIR_BEFORE = re.compile(r"(?:[-‐–/]|\s+and\s+)$")
# A nationality said of people stays what it is ("German nationals asking for onward travel"): see roles.people.
_PEOPLE_AFTER = re.compile(r"\s+(?:nationals|citizens|people|tourists|refugees|migrants|families|children)\b")
