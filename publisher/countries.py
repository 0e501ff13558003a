"""The one resolver of country and place names given in fields and filters: a name → its ISO code(s)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import pycountry

from publisher.collectives import NUMBER_WORDS
from publisher.config import TaxonomyConfig
from publisher.gazetteer import curated_names

# Kosovo has no ISO 3166-1 code; XK is the user-assigned code the EU, the IMF and most data sets use.
KOSOVO = "XK"
_EXTRA_CODES = {KOSOVO: "Kosovo"}

# A project's (start, end): whom a group's name stands for depends on when.
Period = tuple[dt.date | None, dt.date | None]

# Words that say "no particular country" in a project's country list; "nationwide" says the whole of a country it
# does not name (the project's page names it elsewhere, or not at all).
_GLOBAL = frozenset(
    {"global", "worldwide", "world wide", "world", "all countries", "multi country", "multi-country", "nationwide",
     "countrywide", "country-wide"}
)  # fmt: skip

# "all five Central Asian states", "the six Eastern Partnership countries", "ECOWAS member states"
_QUANTIFIER = re.compile(
    r"^(?:(?:all|each|every|both|of|the|its|their)\s+)*(?:(?:\d+|" + "|".join(NUMBER_WORDS) + r")\s+)?"
)
# "the Member States of IGAD", "Partner States of the EAC" (after `fold`, which drops a leading "the")
_MEMBERS_OF = re.compile(r"^(?:all\s+)?(?:the\s+)?(?:member|partner)\s+(?:states|countries|nations)\s+of\s+(?:the\s+)?")
_COLLECTIVE_NOUN = re.compile(
    r"(?:['’]s)?\s+(?:member\s+states?|member\s+countries|member\s+nations|partner\s+countries|partner\s+states"
    r"|participating\s+states|countries|country|states|nations|republics|region)$"
)


# "West and Central Africa", "South & South-East Asia": one "and" (or "&"), some words either side.
_COORDINATED = re.compile(r"(?:the\s+)?([\w'’.-]+(?:\s+[\w'’.-]+){0,2})\s+(?:and|&)\s+([\w'’.-]+(?:\s+[\w'’.-]+){0,3})")


def fold(name: str) -> str:
    """How names are compared: accents dropped, case folded, one space, no leading "the", no end punctuation."""
    text = unicodedata.normalize("NFKD", name.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text.strip().strip(".;,:")).casefold()
    return text.removeprefix("the ")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Folded country name, alias or code → ISO alpha-2."""
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if not value:
                continue
            forms = {value, re.sub(r"\s*\(.*?\)", "", value)}
            if ", " in value:  # "Korea, Republic of" is written "Republic of Korea" in prose
                head, _, tail = value.partition(", ")
                forms.add(f"{tail} {head}")
            for form in forms:
                out.setdefault(fold(form), c.alpha_2)
    for name, code in curated_names().items():
        out[fold(name)] = code
    out[fold("Kosovo")] = KOSOVO
    out[fold("Republic of Kosovo")] = KOSOVO
    for c in pycountry.countries:
        out[c.alpha_2.casefold()] = c.alpha_2
        out[c.alpha_3.casefold()] = c.alpha_2
    out[KOSOVO.casefold()] = KOSOVO
    out["xkx"] = KOSOVO
    return out


# The status note EU and UN texts put after Kosovo's name ("Kosovo*", "Kosovo under UNSCR 1244/99",
# "Kosovo (UNSC Resolution 1244)"): not part of the name.
_STATUS_NOTE = re.compile(
    r"\s*(?:\*+|[(,]?\s*(?:under\s+)?(?:UNSCR|UNSC\s+Resolution|UN\s+Security\s+Council\s+Resolution"
    r"|Resolution)\s*1244(?:/(?:19)?99)?\s*\)?\*?)$",
    re.IGNORECASE,
)


def resolve_country(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name, short or official name, common alias or alpha-2/alpha-3
    code ("Russia", "Türkiye", "the Netherlands", "Ivory Coast", "DEU"); Kosovo is XK, with or without its
    status note ("Kosovo*", "Kosovo under UNSCR 1244"); None if unknown."""
    names = _names()
    for form in _written_forms(name):
        code = names.get(fold(form))
        if code is not None:
            return code
    return None


def _written_forms(name: str) -> Iterator[str]:
    """The name, then the other ways lists write it: without Kosovo's status note, in UN order ("Iran (Islamic
    Republic of)" → "Islamic Republic of Iran", then "Iran"), ISO's inverted order turned round ("Congo,
    Democratic Republic of the" → "Democratic Republic of the Congo")."""
    yield name
    yield _STATUS_NOTE.sub("", name)
    name = _WHICH_PART.sub("", name)  # "Republic of Moldova, including the Transnistria Region"
    yield name
    note = _TRAILING_NOTE.fullmatch(name.strip())
    if note is not None:
        yield f"{note.group(2)} {note.group(1)}"
        yield note.group(1)
    head, comma, tail = name.partition(",")
    if comma and tail.strip():
        yield f"{tail.strip()} {head.strip()}"
    # "Republic of Marshall Islands": an official form written without its article
    bare = _REPUBLIC_OF.sub("", name)
    if bare != name:
        yield bare


# Which part of the country a list means, after its name: "..., including the Transnistria Region", "... (excluding
# Crimea)", "..., notably the north".
_WHICH_PART = re.compile(
    r"\s*(?:,\s*|\(\s*|\s-\s)(?:including|excluding|except|incl\.|notably|especially|in\s+particular|mainly)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_REPUBLIC_OF = re.compile(r"^\s*(?:the\s+)?Republic\s+of\s+(?:the\s+)?", re.IGNORECASE)
# "Iran (Islamic Republic of)", "Bolivia (Plurinational State of)": a name with a note in brackets
_TRAILING_NOTE = re.compile(r"(.+?)\s*\(([^()]+)\)")


def is_country_code(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 code (or XK for Kosovo)."""
    return code in _EXTRA_CODES or pycountry.countries.get(alpha_2=code) is not None


def country_name(code: str) -> str:
    """The everyday English name of a country code ("Russia" for RU, "Kosovo" for XK); the code if unknown."""
    if code in _EXTRA_CODES:
        return _EXTRA_CODES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def near_countries(name: str, n: int = 5) -> list[str]:
    """Country names that look most like `name`, best first (for "did you mean" messages)."""
    shown = _display_names()
    found: dict[str, None] = {}
    for key in difflib.get_close_matches(fold(name), list(shown), n=n * 2, cutoff=0.75):
        found.setdefault(shown[key], None)
    return list(found)[:n]


@lru_cache(maxsize=1)
def _display_names() -> dict[str, str]:
    """Folded name → the name as written, for every name longer than a code."""
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                out.setdefault(fold(value), value)
    for value in [*curated_names(), "Kosovo"]:
        if len(value) > 3:
            out.setdefault(fold(value), value)
    return out


def _region_index(taxonomy: TaxonomyConfig) -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for slug, region in taxonomy.regions.items():
        members = frozenset(code.upper() for code in region.countries)
        for label in {fold(x) for x in (slug, slug.replace("-", " "), region.name, *region.aliases)}:
            # An alias of two regions ("MENA") stands for both.
            index[label] = index.get(label, frozenset()) | members
    return index


def _group_index(taxonomy: TaxonomyConfig, during: Period) -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for slug, group in taxonomy.groups.items():
        members = group.members_during(*during)
        for label in {fold(x) for x in (slug, group.name, *group.aliases)}:
            index[label] = index.get(label, frozenset()) | members
    return index


def _lookup(name: str, index: dict[str, frozenset[str]]) -> frozenset[str] | None:
    """`name` in `index`, as it is or as a collective phrase of an entry ("all IGAD member states")."""
    key = fold(name)
    if key in index:
        return index[key]
    core = _COLLECTIVE_NOUN.sub("", _QUANTIFIER.sub("", _MEMBERS_OF.sub("", key)))
    return index.get(core) if core else None


def resolve_region(name: str, taxonomy: TaxonomyConfig) -> frozenset[str] | None:
    """Member codes of a region named by slug, name, alias or a collective phrase of one ("all five Central
    Asian states", "the six Eastern Partnership countries"); None if no region."""
    return _lookup(name, _region_index(taxonomy))


def resolve_group(name: str, taxonomy: TaxonomyConfig, during: Period = (None, None)) -> frozenset[str] | None:
    """Member codes of an organisation group named by slug, name, alias or a collective phrase of one ("IGAD
    Member States", "the Member States of ECOWAS", "SADC countries"): those who were members at some time
    `during` (start, end), the current ones without dates; None if no group."""
    return _lookup(name, _group_index(taxonomy, during))


def resolve_places(name: str, taxonomy: TaxonomyConfig, during: Period = (None, None)) -> frozenset[str] | None:
    """The countries one place name stands for: a country → its code; a group, its alias or a collective phrase
    of it → its members `during` a project's (start, end), else its current ones (a name that is both a
    group's and a region's, "ECOWAS", is the group); a
    region, its alias or a collective phrase of it → its member codes; "Global"/"worldwide" → the empty set;
    anything else → None."""
    if fold(name) in _GLOBAL:
        return frozenset()
    found = _resolve_one(name, taxonomy, during)
    if found is None:
        found = _resolve_coordinated(name, taxonomy, during)
    note = _TRAILING_NOTE.fullmatch(name.strip())
    if found is None and note is not None:  # "Latin America and the Caribbean (17 countries)"
        return resolve_places(note.group(1), taxonomy, during)
    return found


def _resolve_one(name: str, taxonomy: TaxonomyConfig, during: Period) -> frozenset[str] | None:
    code = resolve_country(name)
    if code is not None:
        return frozenset({code})
    found = resolve_group(name, taxonomy, during)
    return found if found is not None else resolve_region(name, taxonomy)


def _resolve_coordinated(name: str, taxonomy: TaxonomyConfig, during: Period) -> frozenset[str] | None:
    """Two places joined by "and" or "&", the first one's noun left out as pages write them: "West and Central
    Africa" (West Africa + Central Africa), "East and Horn of Africa", "Iraq and Jordan". Both must be known,
    else None (a name like "Trinidad and Tobago" is a country and never gets here)."""
    parts = _COORDINATED.fullmatch(name.strip())
    if parts is None:
        return None
    first, second = parts.group(1), parts.group(2)
    right = _resolve_one(second, taxonomy, during)
    if right is None:
        return None
    left = _resolve_one(first, taxonomy, during)
    if left is None:
        noun = second.split()[-1]
        left = _resolve_one(f"{first} {noun}", taxonomy, during)
    return None if left is None else left | right
