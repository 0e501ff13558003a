"""Find countries (by name, short name, demonym or city) and region aliases in text, as ISO alpha-2 codes."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pycountry

from publisher.phrasescan import PhraseScan

DATA_PATH = Path(__file__).with_name("gazetteer_data.toml")

# Match strength by kind: a country's own name is certain, a city or demonym is slightly weaker evidence
# that the text is about that country (a conference in Brussels, a Georgian start-up).
KIND_WEIGHT: dict[str, float] = {"name": 1.0, "extra": 0.9, "city": 0.8, "demonym": 0.7, "region": 1.0}

# pycountry names that are mostly something else in English prose.
_SKIP_PYCOUNTRY = {"Jersey"}

# Words that may follow a person-name-like country and still mean the country.
_PLACE_FOLLOWERS = {
    "Valley",
    "River",
    "Basin",
    "Lake",
    "Government",
    "Ministry",
    "Armed",
    "Army",
    "Police",
    "Red",
    "Compact",
    "Response",
    "Plan",
    "Office",
    "Mission",
    "Delegation",
    "Embassy",
    "Border",
    "National",
    "Immigration",
    "Country",
    "Programme",
    "Program",
    "Project",
    "Migration",
    "State",
    "Republic",
    "EU",
    "Action",
    "Visa",
    "Investment",
    "Strategy",
    "Team",
    "Joint",
}
# Capitalised words that may precede such a country without making it a surname.
_PLACE_PRECEDERS = {
    "In",
    "From",
    "To",
    "And",
    "Of",
    "For",
    "With",
    "By",
    "Lake",
    "Kingdom",
    "Republic",
    "Hashemite",
    "The",
    "Visit",
    "Visiting",
    "Across",
    "Including",
    "Both",
    "Between",
    "Via",
    "On",
    "At",
    "EU",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Central",
    "Rural",
    "Neighbouring",
}
_WORD_BEFORE = re.compile(r"([A-Z][\w’'-]*)\s+$")
_WORD_AFTER = re.compile(r"^\s+([A-Z][a-z][\w’'-]*+)(?!\s+[A-Z])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“(]\s*)$")
# A person's post in apposition: "Steven Monaco, officer in charge", "..., head of the Centre".
_POST_AFTER = re.compile(
    r",\s+(?:the\s+|a\s+|an\s+)?(?:officer|head|director|chief|deputy|acting|representative|coordinator|manager"
    r"|minister|ambassador|adviser|advisor|expert|spokes\w+|president|chair\w*|secretary|commissioner)\b"
)


class PlaceMatch(NamedTuple):
    """One place phrase found in text (a named tuple: a text has many, and a frozen dataclass took several times
    as long to make)."""

    text: str  # as written
    start: int
    end: int
    kind: str  # name, extra, city, demonym or region
    code: str | None  # ISO alpha-2; None for a pure region alias
    regions: tuple[str, ...] = ()  # region slugs this phrase is an alias of

    @property
    def weight(self) -> float:
        return KIND_WEIGHT.get(self.kind, 1.0)


@dataclass
class _Entry:
    kind: str
    code: str | None = None
    regions: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    with DATA_PATH.open("rb") as fh:
        return tomllib.load(fh)


def curated_names() -> dict[str, str]:
    """The curated short and common country names ("Russia", "Türkiye", "Ivory Coast") → ISO alpha-2."""
    return dict(_data()["names"])


def _pycountry_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if not value or "," in value:
                continue  # "Korea, Republic of" never appears in prose in that order
            value = re.sub(r"\s*\(.*?\)", "", value).strip()
            if value and value not in _SKIP_PYCOUNTRY:
                names.setdefault(value, c.alpha_2)
    return names


class Gazetteer:
    """A compiled place scanner; build once, then call `find`/`countries` on any number of texts."""

    def __init__(
        self,
        extra_places: Mapping[str, str] | None = None,
        region_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        data = _data()
        entries: dict[str, _Entry] = {}

        def add(phrase: str, entry: _Entry) -> None:
            phrase = phrase.strip()
            if not phrase:
                return
            variants = {phrase}
            if len(phrase) >= 4 and not phrase.isupper():
                variants.add(phrase.upper())  # headlines and acronyms-style emphasis
            for v in variants:
                old = entries.get(v)
                if old is None or old.kind == "ignore":
                    entries[v] = _Entry(entry.kind, entry.code, entry.regions)
                elif entry.kind == "ignore":
                    continue  # a real place name always beats a false-friend phrase
                elif entry.kind == "region":
                    old.regions = old.regions + entry.regions
                elif old.kind == "region" or entry.kind == "extra":
                    # operator-given places override built-ins; a region alias keeps its regions
                    entries[v] = _Entry(entry.kind, entry.code, old.regions + entry.regions)

        for name, code in _pycountry_names().items():
            add(name, _Entry("name", code))
        for name, code in data["names"].items():
            add(name, _Entry("name", code))
        for name, code in data["demonyms"].items():
            add(name, _Entry("demonym", code))
        for name, code in data["cities"].items():
            add(name, _Entry("city", code))
        for phrase in data["rules"]["ignore"]:
            add(phrase, _Entry("ignore"))
        for name, code in (extra_places or {}).items():
            add(name, _Entry("extra", code.upper()))
        for slug, aliases in (region_aliases or {}).items():
            for alias in aliases:
                add(alias, _Entry("region", None, (slug,)))

        self._entries = entries
        self._scan = PhraseScan(entries)
        doc_words = data["rules"]["city_document_words"]
        self._doc_after = re.compile(r"\s+(?:" + "|".join(re.escape(w) for w in doc_words) + r")\b")
        self._person_names = frozenset(data["rules"]["person_names"])
        self._homonyms = {v: tuple(codes) for k, codes in data["rules"]["homonyms"].items() for v in (k, k.upper())}
        self._by_name = {k.casefold(): v.code for k, v in entries.items() if v.code is not None}

    def place_words(self) -> frozenset[str]:
        """Single-word place names (countries, demonyms, cities), case-folded: geography, not subject."""
        return frozenset(name for name in self._by_name if name.isalpha())

    def place_names(self) -> frozenset[str]:
        """Every place name (countries, demonyms, cities), case-folded, single words and longer ones."""
        return frozenset(self._by_name)

    def find(self, text: str) -> list[PlaceMatch]:
        """Every place phrase in `text`, left to right, longest match first, false friends dropped."""
        out: list[PlaceMatch] = []
        entries = self._entries
        for start, end in self._scan.spans(text):
            phrase = text[start:end]
            entry = entries[phrase]
            if entry.kind == "ignore":
                continue
            if entry.kind == "city" and self._doc_after.match(text, end):
                continue
            if entry.kind == "name" and text.endswith("New ", 0, start):
                continue  # "New Ireland", "New Mexico", "New Guinea": other places, named after the country
            if phrase in self._person_names and self._looks_like_person(text, start, end):
                continue
            out.append(PlaceMatch(phrase, start, end, entry.kind, entry.code, entry.regions))
        return self._resolve_homonyms(out) if any(m.text in self._homonyms for m in out) else out

    def _resolve_homonyms(self, found: list[PlaceMatch]) -> list[PlaceMatch]:
        """A name of several countries reads as the one of them the text's other places name, when just one."""
        named = {m.code for m in found if m.text not in self._homonyms}
        out = []
        for m in found:
            hits = [c for c in self._homonyms.get(m.text, ()) if c in named]
            out.append(m._replace(code=hits[0]) if len(hits) == 1 else m)
        return out

    @staticmethod
    def _looks_like_person(text: str, start: int, end: int) -> bool:
        if start and text[start - 1] in "-–/":
            return False  # "EU-Georgia", "Syria/Jordan" are compounds of places
        # "Chad Johnson said": one capitalised word after, then lower case. A longer run of capitalised
        # words ("Georgia Financing Agreement") is a title, where the country reading is the right one.
        after = _WORD_AFTER.match(text[end : end + 40])
        if after and after.group(1) not in _PLACE_FOLLOWERS:
            return True
        head = text[max(0, start - 40) : start]
        before = _WORD_BEFORE.search(head)
        if before and before.group(1) not in _PLACE_PRECEDERS:
            prefix = head[: before.start()]
            # A capitalised word at the start of a sentence says nothing, unless a post follows ("Steven Monaco,
            # officer in charge of ..."); one mid-sentence is a given name.
            if not _SENTENCE_START.search(prefix) or _POST_AFTER.match(text, end):
                return True
        return False

    def countries(self, text: str) -> list[str]:
        """ISO codes of the countries `text` mentions, in order of first mention, without duplicates."""
        seen: dict[str, None] = {}
        for m in self.find(text):
            if m.code is not None:
                seen.setdefault(m.code, None)
        return list(seen)

    def resolve(self, name: str) -> str | None:
        """The ISO code for one place name as written in a field ("Kyrgyzstan", "the Netherlands"), or None."""
        key = re.sub(r"\s+", " ", name.strip().strip(".;,")).casefold()
        key = key.removeprefix("the ")
        return self._by_name.get(key) or self._by_name.get("the " + key)


@lru_cache(maxsize=8)
def _cached(extra: tuple[tuple[str, str], ...], aliases: tuple[tuple[str, tuple[str, ...]], ...]) -> Gazetteer:
    return Gazetteer(dict(extra), {k: v for k, v in aliases})


def gazetteer(
    extra_places: Mapping[str, str] | None = None, region_aliases: Mapping[str, Sequence[str]] | None = None
) -> Gazetteer:
    """A shared compiled Gazetteer for these settings (compiling costs ~50 ms, so reuse it)."""
    extra = tuple(sorted((extra_places or {}).items()))
    aliases = tuple(sorted((k, tuple(v)) for k, v in (region_aliases or {}).items()))
    return _cached(extra, aliases)
