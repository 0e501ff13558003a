"""Phases written as ordinals: "the third phase of <name>" in a release, "<name>, third phase" in a project."""

from __future__ import annotations

import re

ORDINALS = {
    w: i
    for i, w in enumerate(
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"], start=1
    )
}
ROMANS = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_ORDINAL = r"(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|(?P<num>\d{1,2})(?:st|nd|rd|th))"
# A phase written out at the end of a name: "..., third phase", "... (second phase)".
_ORDINAL_NAME = re.compile(r"[\s,–—:(-]+" + _ORDINAL + r"\s+phase\)?\s*$", re.IGNORECASE)
# "the third phase of the <name>": which phase a release means by a name without a number.
ORDINAL_BEFORE = re.compile(r"\b" + _ORDINAL + r"\s+phase\s+of\s+(?:the\s+|its\s+)?$", re.IGNORECASE)


def ordinal_number(m: re.Match[str]) -> int:
    """The number of a match of ORDINAL_BEFORE: "third" → 3, "3rd" → 3."""
    return int(m.group("num")) if m.group("num") else ORDINALS[m.group("ord").lower()]


def numbered(name: str) -> str:
    """ "Safe Employment Programme, third phase" → "Safe Employment Programme III": the phase as a number, the
    way phases are matched ("BOMCA 9", "MIEUX Phase IV")."""
    m = _ORDINAL_NAME.search(name)
    n = ordinal_number(m) if m else 0
    return f"{name[: m.start()]} {ROMANS[n]}" if m and 0 < n < len(ROMANS) else name
