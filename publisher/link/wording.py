"""Distinctive wording: content words weighted against a real background frequency list (wordfreq)."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

from wordfreq import zipf_frequency

from publisher.config import default_taxonomy_data
from publisher.gazetteer import gazetteer

# A word as common as "need" or "role" in general English (Zipf ≥ COMMON_ZIPF, i.e. more than about once in
# 30,000 words) says nothing about a subject; the weight grows linearly to 1 at RARE_ZIPF ("readmission").
COMMON_ZIPF = 5.3
RARE_ZIPF = 3.0
# Only words above this background weight are distinctive (Zipf below about 4.1): "visa", "asylum",
# "readmission" are; "aimed", "institution", "role", "need" (and "border", which the topics cover) are not.
MIN_TERM_WEIGHT = 0.5

# Latin letters with their accents and the Latin Extended blocks ("şanlıurfa", "adaševci" are one word each, not
# "anl" and "urfa"); a character class, which re matches far faster than \w's Unicode categories.
_WORD = re.compile(r"[a-zß-öø-ÿĀ-ɏ][a-zß-öø-ÿĀ-ɏ'’-]+[a-zß-öø-ÿĀ-ɏ]")
# Function words plus words every text in this domain uses; they say nothing about which project.
_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "ours",
        "within",
        "well",
        "new",
        "year",
        "years",
        "one",
        "two",
        "three",
        "first",
        "second",
        "also",
        "including",
        "icmpd",
        "international",
        "centre",
        "center",
        "migration",
        "policy",
        "development",
        "project",
        "projects",
        "programme",
        "program",
        "initiative",
        "action",
        "objective",
        "objectives",
        "specific",
        "overall",
        "aim",
        "support",
        "activities",
        "implementation",
        "implement",
        "implemented",
        "through",
        "area",
        "areas",
        "level",
        "national",
        "partner",
        "partners",
        "partnership",
        "government",
        "country",
        "countries",
        "ministry",
        "state",
        "states",
        "organisation",
        "organisations",
        "organization",
        "based",
        "further",
        "mr",
        "ms",
        "held",
        "took",
        "place",
        "launched",
        "launch",
        "launches",
        "hosted",
        "organised",
        "organized",
        "published",
        "announced",
        "opened",
        "presented",
        "discussed",
        "gathered",
        "met",
        "today",
        "week",
        "month",
        "participant",
        "participants",
        "representative",
        "representatives",
        "event",
    ]
)


def place_words() -> frozenset[str]:
    """The one-word place names (countries, cities, demonyms), case-folded."""
    return gazetteer().place_words()


@functools.cache
def _place_words() -> frozenset[str]:
    """Country, city and demonym names, and the rare words of longer place names ("Salvador", "Herzegovina")
    and of the default taxonomy's region and group names ("Balkans", "Sahel", "Maghreb", "ECOWAS"): geography
    is scored as shared places, and "balkan" in a project and a release about different things is no shared
    subject. Common words of those names ("Eastern Partnership", "Central Asia", "United") stay terms; their
    weight is low anyway."""
    places = [n for n in gazetteer().place_names() if not n.isalpha()]
    regions: list[str] = []
    for table in ("regions", "groups"):
        for entry in default_taxonomy_data().get(table, {}).values():
            regions += [entry.get("name", ""), *entry.get("aliases", ())]
    rare = {w for n in places for w in _WORD.findall(n.lower()) if zipf_frequency(w, "en") < _RARE_COUNTRY_WORD}
    rare |= {w for n in regions for w in _WORD.findall(n.lower()) if zipf_frequency(w, "en") < _RARE_PLACE_WORD}
    return gazetteer().place_words() | rare | {w[:-1] for w in rare if w.endswith("s")}


_RARE_PLACE_WORD = 4.0  # Zipf frequency below which a word of a region's name is only a place name
# ... and of a country's or city's name: "Sri" (4.1) says Sri Lanka, while "United" or "Coast" are words too
_RARE_COUNTRY_WORD = 4.5


def terms(text: str) -> list[str]:
    """Content words for similarity. Place names are left out: geography is scored once, as shared countries,
    and "Azerbaijan" in both texts says nothing more about whether they share a subject. So are acronyms in
    capitals ("IOM", "UNODC"): who runs or pays for the work, not what it is about (a project's own acronym
    is a mention, scored as one)."""
    if len(_TERMS) > _TERMS_MAX:
        _TERMS.clear()
    found = _WORD.findall(text.lower())
    # a word in a headline or dateline in capitals ("BORDER", "DAKAR") is a word, not an acronym
    acronyms = {low for a in _ACRONYM.findall(text) if _rare(low := a.lower())}
    if acronyms:
        found = [w for w in found if w not in acronyms]
    return list(filter(None, map(_TERMS.__getitem__, found)))


_ACRONYM = re.compile(r"\b[A-Z]{2,}(?:[-'’][A-Z]+)?s?\b")
_ACRONYM_ZIPF = 4.0


@functools.cache
def _rare(word: str) -> bool:
    return zipf_frequency(word, "en") < _ACRONYM_ZIPF


class _TermCache(dict[str, str]):
    """word → _term(word), filled on first look-up: the same words recur in every release, and a dict look-up
    from C is cheaper than a call through lru_cache."""

    def __missing__(self, word: str) -> str:
        term = self[word] = _term(word)
        return term


_TERMS = _TermCache()
_TERMS_MAX = 200_000  # distinct words kept; past that the cache starts again


def _term(word: str) -> str:
    """The term a written word counts as ("" for none)."""
    w = word.replace("’", "'").strip("'-")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) < 3 or w in _STOP or w in _place_words():
        return ""
    # A light plural fold: enough for "borders"/"border", harmless elsewhere.
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    return "" if w in _STOP else w


def _forms(word: str) -> Iterable[str]:
    """The word and its likely base forms ("fostering" → "foster"), so a rare inflection of a common verb
    does not pass for a rare word."""
    yield word
    for suffix in ("ing", "ed", "ment", "ation"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            yield stem
            yield stem + "e"


@functools.cache
def background_weight(word: str) -> float:
    """0 for words common in general English, rising to 1 for rare ones (wordfreq's Zipf scale)."""
    zipf = max(zipf_frequency(f, "en") for f in _forms(word))
    return max(0.0, min(1.0, (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)))


class TermSpace:
    """Term weights over a set of project texts: background rarity × rarity among the projects, so a word is
    distinctive only when it is rare in English and does not appear in every project of the list."""

    def __init__(self, docs: Iterable[Counter[str]]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for d in docs:
            df.update(d.keys())
            n += 1
        # Smoothed IDF: with few projects, a word in all of them still carries a little weight.
        self._weight = {
            t: (math.log((n + 1) / (c + 0.5)) + 0.1) * background_weight(t)
            for t, c in df.items()
            if background_weight(t) >= MIN_TERM_WEIGHT
        }

    def vector(self, counts: Counter[str]) -> dict[str, float]:
        w = self._weight
        return {t: (1 + math.log(c)) * w[t] for t, c in counts.items() if t in w}


def norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def shared(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """term -> product of weights, for the terms both vectors have."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return {t: w * large[t] for t, w in small.items() if t in large}


def distinctive(terms_shared: dict[str, float]) -> list[str]:
    """The shared terms, strongest first (vectors hold distinctive terms only)."""
    return sorted(terms_shared, key=lambda t: (-terms_shared[t], t))


def keyword_terms(keywords: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The terms of a topic's keywords, and the stems of its prefix keywords ("smuggl*")."""
    exact: set[str] = set()
    stems: list[str] = []
    for phrase in keywords:
        for word in phrase.lower().split():
            if word.endswith("*"):
                stems.append(word.rstrip("*"))
            else:
                exact.update(terms(word))
    return frozenset(exact), tuple(stems)


def without_keywords(words: list[str], keywords: tuple[frozenset[str], tuple[str, ...]] | None) -> list[str]:
    """`words` less those that are one of `keywords` (as from keyword_terms) or start with one of its stems."""
    if not keywords:
        return words
    exact, stems = keywords
    # a compound is the keyword's too: "counter-trafficking" of "traffick*"
    return [w for w in words if not any(p in exact or p.startswith(stems) for p in (w, *w.split("-")))]
