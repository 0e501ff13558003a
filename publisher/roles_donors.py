"""Keep a donor a donor: once a text says a country pays, its other mentions are context too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles import Role


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
