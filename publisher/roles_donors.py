"""Keep a donor a donor: once a text says a country pays, its other mentions are context too."""

from __future__ import annotations

from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles import Role


def donor_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions of a country that the text also names as a donor made DONOR, while
    another country is a subject. A press release names its donor several times ("Paid for by the Government
    of Japan ... 'Japan has worked with IOM for five years', said Japan's ambassador"); only the first says who
    pays, the others read like the subject. A country that pays for work at home ("co-funded by Moldova" in a
    story about Moldova alone) stays: nothing else is the subject."""
    out = list(roles)
    donors = {m.code for m, role in zip(matches, roles, strict=True) if role is Role.DONOR and m.code}
    if not donors:
        return out
    subjects = {m.code for m, role in zip(matches, roles, strict=True) if role is Role.SUBJECT and m.code}
    if not subjects - donors:
        return out
    for i, m in enumerate(matches):
        if out[i] is Role.SUBJECT and m.code in donors:
            out[i] = Role.DONOR
    return out
