"""The forms a project's name may be written in: its acronyms, aliases, mixed-case spellings and short forms."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from publisher.link.names import _PHASE_WORDS, _ROMAN, _phase_split, tokens
from publisher.link.ordinals import numbered
from publisher.text import SMALL_WORDS, looks_like_acronym

# Separators between several acronyms of one project: "MIEUX / MIEUX+", "MPF, MPF II".
_ACRONYM_SPLIT = re.compile(r"\s*(?:/|,|;|\bor\b|\baka\b)\s*")
_PAREN = re.compile(r"\((?P<inner>[^()]{2,40})\)")


def split_acronyms(text: str) -> list[str]:
    """ "MIEUX / MIEUX+" → ["MIEUX", "MIEUX+"]; one acronym stays one."""
    return [a for a in (p.strip() for p in _ACRONYM_SPLIT.split(text.strip())) if a]


def _initials(words: Iterable[str]) -> str:
    return "".join(w[0].upper() for w in words if w and w.lower() not in SMALL_WORDS and w[0].isalpha())


def _capitals(text: str) -> str:
    return "".join(c for c in text if c.isupper())


def mixed_case_acronym(name: str) -> str:
    """ "MIgration EU eXpertise" → "MIEUX": a name whose words carry capitals inside them spells its acronym.
    Empty unless at least two words do so (one "McAllister" is a surname, not a spelling)."""
    words = [w for w in tokens(name) if w.isalpha()]
    marked = [w for w in words if any(c.isupper() for c in w[1:]) and not w.isupper()]
    if len(marked) < 2:
        return ""
    acronym = _capitals(" ".join(words))
    return acronym if len(acronym) >= 3 else ""


# A parenthesis closing the name, perhaps followed by a kind word: "... Returnees (RESTART) project".
_END_PAREN = re.compile(
    r"\((?P<inner>[^()]{2,40})\)\s*(?:project|programme|program|initiative|action|facility)?\s*$", re.IGNORECASE
)


def name_forms(
    name: str, acronym: str = "", aliases: Sequence[str] = (), acronyms: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """(acronyms, names) a release may use for a project.

    Acronyms come from the acronym field (several may be given, "MIEUX / MIEUX+"), the acronyms and aliases
    fields, a parenthesised acronym closing the name or abbreviating the whole of it ("Migration Partnership
    Facility (MPF) Phase II"), and a mixed-case spelling ("MIgration EU eXpertise"). A parenthesis that
    abbreviates only the words before it ("Eastern Partnership (EaP) Integrated Border Management ...") gives
    another name instead, written with the short form."""
    found_acr = [*split_acronyms(acronym), *(x for a in acronyms for x in split_acronyms(a))]
    found_names: list[str] = []
    for alias in aliases:
        (found_acr if looks_like_acronym(alias) else found_names).append(alias.strip())
    name = numbered(re.sub(r"\s+", " ", name).strip())
    end = _END_PAREN.search(name)
    if end and looks_like_acronym(end.group("inner")) and end.start() > 0:
        found_acr.extend(split_acronyms(end.group("inner")))
        name = name[: end.start()].rstrip(" -–—:,")
    inner_acronyms = [m for m in _PAREN.finditer(name) if looks_like_acronym(m.group("inner"))]
    plain = _PAREN.sub(lambda m: " " if looks_like_acronym(m.group("inner")) else m.group(), name)
    plain = re.sub(r"\s+", " ", plain).strip(" -–—:,")
    whole = _initials(_strip_phase_words(tokens(plain)))
    for m in inner_acronyms:
        inner = m.group("inner").strip()
        caps = _capitals(inner)
        if caps == whole:
            found_acr.append(inner)
            continue
        before = tokens(_PAREN.sub(" ", name[: m.start()]))
        k, seen = len(before), 0
        while k > 0 and seen < len(caps):
            k -= 1
            seen += before[k].lower() not in SMALL_WORDS
        if caps and seen == len(caps) and _initials(before[k:]) == caps:
            after = tokens(_PAREN.sub(" ", name[m.end() :]))
            found_names.append(" ".join([*before[:k], inner, *after]))
    found_names.insert(0, plain)
    derived = mixed_case_acronym(plain)
    if derived:
        found_acr.append(derived)
    return _unique(found_acr), _unique(found_names)


# A name ending in where the project works ("... for the Asia-Pacific", "... in Georgia"); releases often drop it.
_WHERE_TAIL = re.compile(r"\s+(?:for|in)\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+(?:and\s+(?:the\s+)?)?[A-Z][\w’'-]*)*\s*$")


def short_names(names: Sequence[str], places: Collection[str] = ()) -> list[str]:
    """For each name, the name without where the project works ("Regional Cooperation Support Office" of "...
    Office for the Asia-Pacific", "Safe Employment Programme III" of "Safe Employment Programme Nepal III";
    `places` are the case-folded one-word place names), or "": only when at least three words are left and no
    other name of the list shortens to the same (siblings that differ only by their country: the short form
    names neither) and it is no other project's whole name (then it names that one). A phase number stays."""
    heads = []
    for name in names:
        toks = tokens(name)
        _, phase = _phase_split(toks)
        body = name[: name.rstrip().rfind(phase)].rstrip() if phase else name
        tail = _WHERE_TAIL.search(body)
        if tail:
            head = body[: tail.start()].strip(" ,-–")
        else:
            last = body.rsplit(" ", 1)
            head = last[0].strip(" ,-–") if len(last) == 2 and last[1].lower() in places else ""
        if head and phase:
            head = f"{head} {phase}"
        heads.append(head if sum(t.lower() not in SMALL_WORDS for t in tokens(head)) >= 3 else "")
    seen = Counter(h.lower() for h in heads if h)
    whole = {n.lower() for n in names}
    return [h if h and seen[h.lower()] == 1 and h.lower() not in whole else "" for h in heads]


def _strip_phase_words(words: list[str]) -> list[str]:
    out = list(words)
    while len(out) >= 2 and (out[-1].isdigit() or _ROMAN.match(out[-1])):
        out.pop()
        if out and out[-1] in _PHASE_WORDS:
            out.pop()
    return out


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
