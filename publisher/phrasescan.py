"""Find many fixed phrases in text at once, as whole words, with one trie-shaped regex."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

_WORD_CHAR = re.compile(r"\w")


def trie_pattern(phrases: Iterable[str], open_end: str | None = None, lead: str = "") -> str:
    """One regex alternation of `phrases` structured as a trie, so `re` branches per character instead of
    trying every phrase at every position; greedy optional groups make the longest phrase win.
    A phrase ending in the `open_end` character matches any rest of the word there. `lead` (an assertion)
    goes right after the first character of every phrase."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        if not phrase:
            continue
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any], after: str = "") -> str:
        end = "" in node
        alts = [
            re.escape(ch) + after + build(child)
            for ch, child in sorted((k, v) for k, v in node.items() if k not in ("", open_end))
        ]
        if open_end is not None and open_end in node:
            # Last, so that a longer literal phrase sharing this stem gets the first chance to match.
            alts.append(r"\w*")
        if not alts:
            return ""
        if len(alts) == 1 and not end:
            return alts[0]
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if end else body

    return build(root, lead)


# At most this many phrases starting with a lower-case letter let PhraseScan scan from their first characters.
_FEW_LOWER = 16


class PhraseScan:
    r"""Finds `phrases` where they stand as whole words, left to right, longest first: the spans finditer of
    r"(?<!\w)(?:phrases)(?!\w)" gives, at a fraction of the cost. That pattern is tried at every character;
    this one starts with the character before a phrase, r"\W", so `re` skips in C from one non-word character
    to the next and tries the phrases only there. Such a match takes one character more, so a phrase at the very
    start, and one starting right where the last one ended (possible only when that one ends with a non-word
    character, "U.S.", and the next starts with one), are looked for apart.

    Phrases that mostly start with capitals or punctuation (place names, acronyms) are found faster still from
    their first characters: the pattern starts with the set of them, "(?<!\w)" is asserted after that character,
    and `re` skips in C to the next character of the set. A few phrases starting in lower case ("in French")
    would stop it at most letters: they are left out of that pattern, and a text that holds one of them at all
    (a substring test) is scanned the first way."""

    def __init__(self, phrases: Iterable[str], open_end: str | None = None) -> None:
        phrases = [p for p in phrases if p]
        trie = trie_pattern(phrases, open_end=open_end)
        self._at = re.compile(r"(?<!\w)(?:" + trie + r")(?!\w)")
        self._after = re.compile(r"\W(" + trie + r")(?!\w)")
        stems = [p[:-1] if open_end and p.endswith(open_end) else p for p in phrases]
        self._word_ends = all(_WORD_CHAR.fullmatch(p[-1:]) for p in stems)
        lower = [i for i, p in enumerate(stems) if p[:1].islower()]
        self._first: re.Pattern[str] | None = None
        self._lower = tuple(stems[i] for i in lower)
        if len(lower) <= _FEW_LOWER and len(lower) < len(phrases) and all(stems):
            skip = set(lower)
            rest = [p for i, p in enumerate(phrases) if i not in skip]
            self._first = re.compile(trie_pattern(rest, open_end=open_end, lead=r"(?<!\w.)") + r"(?!\w)")

    def _fast(self, text: str) -> re.Pattern[str] | None:
        """The first-character pattern, when it finds all there is in `text`."""
        if self._first is None or any(p in text for p in self._lower):
            return None
        return self._first

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every phrase found."""
        fast = self._fast(text)
        if fast is not None:
            for hit in fast.finditer(text):
                yield hit.span()
            return
        at = self._at.match
        m = at(text, 0)
        pos = 0
        if self._word_ends:  # no phrase can start where another ended: one C scan after the first
            if m is not None:
                pos = m.end()
                yield m.span()
            for after in self._after.finditer(text, pos):
                yield after.span(1)
            return
        while True:
            if m is not None:
                start, pos = m.span()
            else:
                found = self._after.search(text, pos)
                if found is None:
                    return
                start, pos = found.span(1)
            yield start, pos
            m = at(text, pos) if not _WORD_CHAR.match(text, pos - 1) else None

    def findall(self, text: str) -> list[str]:
        """Every phrase found, as written."""
        fast = self._fast(text)
        if fast is not None:
            return fast.findall(text)
        if not self._word_ends:
            return [text[a:b] for a, b in self.spans(text)]
        m = self._at.match(text, 0)
        if m is None:
            return self._after.findall(text)
        return [m.group(), *self._after.findall(text, m.end())]
