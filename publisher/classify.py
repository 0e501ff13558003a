"""Tag a text with the countries, regions and topics of a taxonomy, with scores and human-readable reasons."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from publisher.collectives import NUMBER_WORDS, collective_size, place_aliases, split_slugs
from publisher.config import TaxonomyConfig
from publisher.countries import country_name
from publisher.currencies import drop_currencies
from publisher.gazetteer import Gazetteer, PlaceMatch, gazetteer
from publisher.phrasescan import PhraseScan
from publisher.roles.core import FALLBACK, Role, mention_roles
from publisher.roles.donors import donor_roles, foreign_hand_roles, partner_roles
from publisher.roles.figures import figures_roles
from publisher.roles.guests import guest_roles
from publisher.roles.origins import origin_roles
from publisher.roles.past import instance_roles, past_roles
from publisher.roles.people import nationality_only_roles, people_roles
from publisher.roles.salience import salience_roles
from publisher.roles.seats import seat_roles
from publisher.text import collapse_spaces

__all__ = ["Classification", "Classifier", "Tag", "country_name", "normalize_keyword_text"]

# How many distinct reasons a tag keeps: enough to explain it, short enough to show in a feed.
MAX_REASONS = 3
# A repeated keyword adds half its weight per repeat, at most this many repeats: repetition is some
# evidence of focus, but one long text must not reach a threshold on a single word.
MAX_REPEATS = 2
_PREFIX = "\x00"  # marks a keyword ending in "*" inside the trie


@dataclass(frozen=True)
class Tag:
    slug: str  # topic or region slug, or ISO alpha-2 for countries
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    countries: tuple[Tag, ...]
    regions: tuple[Tag, ...]
    topics: tuple[Tag, ...]


# A hyphen between word characters. The class comes first so that `re` skips ahead to the next hyphen in C
# (a leading lookbehind made it try the pattern at every character).
_WORD_HYPHEN = re.compile(r"[-‐‑](?<=\w.)(?=\w)")


def normalize_keyword_text(text: str) -> str:
    """Lower case, hyphens and dashes as spaces, one space between words: how topic keywords are compared."""
    text = _WORD_HYPHEN.sub(" ", text.lower().replace("’", "'"))
    return collapse_spaces(text)


# A pycountry lookup per tagged country was a visible share of classifying; the names never change.
_country_name = functools.cache(country_name)


def _noisy_or(weights: Iterable[float]) -> float:
    """Combine independent pieces of evidence into one 0..1 score."""
    miss = 1.0
    for w in weights:
        miss *= 1.0 - min(max(w, 0.0), 1.0)
    return round(1.0 - miss, 4)


class _KeywordScanner:
    """All topic keywords compiled into two trie regexes (case-insensitive and all-caps)."""

    def __init__(self, taxonomy: TaxonomyConfig) -> None:
        # keyword form -> [(topic, weight, keyword as configured)]
        self._exact: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
        self._caps: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
        self._prefixes: list[tuple[str, list[tuple[str, float, str]]]] = []
        prefix_map: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
        lower_forms: set[str] = set()
        caps_forms: set[str] = set()
        for slug, topic in taxonomy.topics.items():
            for phrase, weight in topic.keywords.items():
                raw = phrase.strip()
                if not raw:
                    continue
                item = (slug, float(weight), raw)
                letters = [c for c in raw if c.isalpha()]
                if len(letters) >= 2 and all(c.isupper() for c in letters):
                    self._caps[raw].append(item)
                    caps_forms.add(raw)
                    caps_forms.add(raw + "s")
                    self._caps[raw + "s"].append(item)
                    continue
                norm = normalize_keyword_text(raw)
                if norm.endswith("*"):
                    stem = norm[:-1]
                    prefix_map[stem].append(item)
                    lower_forms.add(stem + _PREFIX)
                    continue
                for form in (norm, norm + "s", norm + "es"):
                    self._exact[form].append(item)
                    lower_forms.add(form)
        self._prefixes = sorted(prefix_map.items(), key=lambda kv: -len(kv[0]))
        self._lower_re = self._compile(lower_forms)
        self._caps_re = self._compile(caps_forms)

    @staticmethod
    def _compile(forms: set[str]) -> PhraseScan | None:
        return PhraseScan(forms, open_end=_PREFIX) if forms else None

    def scan(self, text: str) -> dict[str, dict[str, int]]:
        """topic -> {keyword: count}, topics and keywords in order of first match."""
        hits: dict[str, dict[str, int]] = {}

        def count(items: list[tuple[str, float, str]]) -> None:
            for slug, _weight, raw in items:
                found = hits.get(slug)
                if found is None:
                    found = hits[slug] = {}
                found[raw] = found.get(raw, 0) + 1

        if self._lower_re is not None:
            for form in self._lower_re.findall(normalize_keyword_text(text)):
                items = self._exact.get(form)
                if items is None:
                    items = next((v for stem, v in self._prefixes if form.startswith(stem)), [])
                count(items)
        if self._caps_re is not None:
            for form in self._caps_re.findall(text):
                count(self._caps.get(form, []))
        return hits


class Classifier:
    """Compiled once from a taxonomy; `classify` is pure and deterministic."""

    def __init__(self, taxonomy: TaxonomyConfig) -> None:
        self.taxonomy = taxonomy
        self._gazetteer: Gazetteer = gazetteer(taxonomy.extra_places, place_aliases(taxonomy))
        self._regions_of: dict[str, list[str]] = defaultdict(list)
        for slug, region in taxonomy.regions.items():
            for code in region.countries:
                self._regions_of[code.upper()].append(slug)
        self._weights: dict[tuple[str, str], float] = {
            (slug, kw.strip()): float(w) for slug, t in taxonomy.topics.items() for kw, w in t.keywords.items()
        }
        self._keywords = _KeywordScanner(taxonomy)
        self._thresholds = {slug: t.threshold for slug, t in taxonomy.topics.items()}

    # -- countries and regions

    def countries_in(self, text: str) -> list[str]:
        """ISO alpha-2 codes mentioned in `text`, in order of first mention (for project country fields)."""
        seen: dict[str, None] = {}
        for m in drop_currencies(text, self._gazetteer.find(text)):
            if m.code is not None:
                seen.setdefault(m.code, None)
        return list(seen)

    def regions_of(self, code: str) -> tuple[str, ...]:
        """Slugs of the regions that list country `code` as a member."""
        return tuple(self._regions_of.get(code.upper(), ()))

    def _places(self, text: str, on: dt.date | None) -> tuple[tuple[Tag, ...], tuple[Tag, ...]]:
        country_ev: dict[str, list[tuple[float, str]]] = defaultdict(list)
        context_ev: dict[Role, dict[str, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
        region_ev: dict[str, list[tuple[float, str]]] = defaultdict(list)
        attendees: dict[str, list[tuple[float, str]]] = defaultdict(list)
        about: set[str] = set()  # regions the text names as its subject, by an alias
        about_groups: list[frozenset[str]] = []  # ... and the members of groups it so names
        matches = drop_currencies(text, self._gazetteer.find(text))
        subject_region = False
        named_groups: set[str] = set()
        roles = mention_roles(text, matches)
        for post in (
            origin_roles,
            seat_roles,
            guest_roles,
            people_roles,
            donor_roles,
        ):  # each turns some subjects into context
            roles = post(text, matches, roles)
        roles = past_roles(text, matches, roles, on)
        roles = instance_roles(text, matches, roles)
        roles = figures_roles(text, matches, roles)
        roles = salience_roles(text, matches, roles)
        roles = partner_roles(text, matches, roles)
        roles = nationality_only_roles(text, matches, roles)
        roles = foreign_hand_roles(text, matches, roles)
        for m, role in zip(matches, roles, strict=True):
            if m.code is not None:
                if role is Role.ATTENDEE:
                    attendees[m.code].append((m.weight, f'mentions "{m.text}"'))
                if role is Role.SUBJECT:
                    country_ev[m.code].append((m.weight, f'mentions "{m.text}"'))
                elif role is not Role.LANGUAGE:
                    context_ev[role][m.code].append((m.weight * 0.5, f'mentions "{m.text}" ({role.value})'))
            region_slugs, group_slugs = split_slugs(m.regions)
            named_groups.update(group_slugs)
            for slug in region_slugs:
                region_ev[slug].append((1.0, f'mentions "{m.text}"'))
                subject_region = subject_region or role is Role.SUBJECT
                if m.code is None and role is Role.SUBJECT and not _NOT_THE_REGION.match(text, m.end):
                    about.add(slug)
            if m.code is None and role is Role.SUBJECT:
                # "the security situation in the G5 Sahel region": an organisation's members are what it is about
                about_groups.extend(frozenset(self.taxonomy.groups[g].members(on)) for g in group_slugs)
            if m.regions and role is not Role.LANGUAGE:
                members = self._collective_members(text, m, region_slugs, group_slugs, on)
                # A whole region attending ("delegates from all six Eastern Partnership countries") is a
                # meeting of that region: its members are the subject.
                target = country_ev if role in (Role.SUBJECT, Role.ATTENDEE) else context_ev[role]
                for code in members:
                    target[code].append((0.9, f'mentions "{m.text}"'))
        for code, reason in self._of_the_region(text, about):
            country_ev[code].append((0.9, reason))
        for code, reason in self._all_members(text, named_groups, on):
            country_ev[code].append((0.9, reason))
        if attendees and (
            self._within_one(about, attendees.keys()) or any(attendees.keys() <= g for g in about_groups)
        ):
            # Attendees all from one region the text is about ("a conference on the Western Balkans brought
            # together experts from Albania, Montenegro and Serbia") are that regional meeting's subject; a
            # course of officers from many regions keeps them as context, and so does a region named only
            # among the attendees ("experts from EU member states Germany and Austria").
            for code, ev in attendees.items():
                country_ev[code].extend(ev)
            context_ev.pop(Role.ATTENDEE, None)
        if not country_ev and not subject_region:
            # Nothing but context: a story about an event in Vienna is still about Austria.
            country_ev = next((context_ev[r] for r in FALLBACK if r in context_ev), country_ev)
        countries: list[Tag] = []
        for code, ev in country_ev.items():
            score = _noisy_or(w for w, _ in ev)
            countries.append(Tag(code, score, _unique(r for _, r in ev)))
            for slug in self._regions_of.get(code, ()):
                # Membership is indirect evidence, so it never counts for more than the country itself.
                region_ev[slug].append((score * 0.9, f"country {_country_name(code)}"))
        regions = [Tag(slug, _noisy_or(w for w, _ in ev), _unique(r for _, r in ev)) for slug, ev in region_ev.items()]
        return tuple(sorted(countries, key=lambda t: t.slug)), tuple(sorted(regions, key=lambda t: t.slug))

    def _of_the_region(self, text: str, about: set[str]) -> list[tuple[str, str]]:
        """ "all five countries of the region": every member of the one region the text names as its subject
        that has that many members (none if no region, or more than one, fits)."""
        found = _OF_THE_REGION.search(text) if about else None
        if found is None:
            return []
        n = found.group("n").lower()
        size = int(n) if n.isdigit() else NUMBER_WORDS.index(n)
        fits = [s for s in about if len(self.taxonomy.regions[s].countries) == size]
        if len(fits) != 1:
            return []
        reason = f'mentions "{found.group().strip()}"'
        return [(c.upper(), reason) for c in sorted(self.taxonomy.regions[fits[0]].countries)]

    def _all_members(self, text: str, groups: set[str], on: dt.date | None) -> list[tuple[str, str]]:
        """ "experts from all member states": every member of the one organisation the text names (none if it
        names none or several)."""
        found = _ALL_MEMBERS.search(text) if len(groups) == 1 else None
        if found is None:
            return []
        members = sorted(self.taxonomy.groups[next(iter(groups))].members(on))
        reason = f'mentions "{found.group().strip()}"'
        return [(c, reason) for c in members] if len(members) <= MAX_COLLECTIVE else []

    def _within_one(self, regions: Iterable[str], codes: Iterable[str]) -> bool:
        """Whether every country of `codes` belongs to one of `regions`."""
        wanted = set(codes)
        return any(wanted <= {c.upper() for c in self.taxonomy.regions[slug].countries} for slug in regions)

    def _collective_members(
        self, text: str, m: PlaceMatch, regions: tuple[str, ...], groups: tuple[str, ...], on: dt.date | None
    ) -> list[str]:
        """The member countries a collective phrase of a group or region stands for, or none. A name that is
        both ("ECOWAS") expands through the group: an organisation's members are not its region's countries.
        A group's members are those of the text's date `on` (without one, the current list)."""
        size = collective_size(text, m, group=bool(groups))
        if size is None:
            return []
        if groups:
            members = sorted({c for slug in groups for c in self.taxonomy.groups[slug].members(on)})
        else:
            members = sorted({c.upper() for slug in regions for c in self.taxonomy.regions[slug].countries})
        # "three Central Asian countries" is some of them, and which ones the text must say; and no story is about
        # every member of a continent's union ("with the help of African Union member states"): its region stays.
        if len(members) > MAX_COLLECTIVE:
            return []
        return members if size in (0, len(members)) else []

    # -- topics

    def _topics(self, text: str) -> tuple[Tag, ...]:
        hits = self._keywords.scan(text)
        tags: list[Tag] = []
        for slug, found in hits.items():
            score = 0.0
            parts: list[tuple[float, str, int]] = []
            for raw, count in found.items():
                weight = self._weights[(slug, raw)]
                contribution = weight * (1 + 0.5 * min(count - 1, MAX_REPEATS))
                score += contribution
                parts.append((contribution, raw, count))
            # Most topics touched stay below their threshold: their reasons are never written out.
            if score >= self._thresholds[slug] and score > 0:
                ranked = [(c, f'matched "{raw}" ×{n}' if n > 1 else f'matched "{raw}"') for c, raw, n in parts]
                ranked.sort(key=lambda cr: (-cr[0], cr[1]))
                tags.append(Tag(slug, round(score, 4), tuple(r for _, r in ranked[:MAX_REASONS])))
        return tuple(sorted(tags, key=lambda t: t.slug))

    def classify(self, text: str, on: dt.date | None = None) -> Classification:
        """Tags of `text`; `on`, the text's date, decides who belonged to an organisation then."""
        countries, regions = self._places(text, on)
        return Classification(countries=countries, regions=regions, topics=self._topics(text))


MAX_COLLECTIVE = 16  # the members a collective phrase may stand for (SADC's sixteen; not the EU's or AU's)
# A collective phrase that names its region only elsewhere in the text: "among all five countries of the region".
_OF_THE_REGION = re.compile(
    r"\b(?:all\s+(?:the\s+)?|the\s+)(?P<n>\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\s+(?:countries|states|nations"
    r"|republics)\s+(?:of|in)\s+(?:the|this|our)\s+region\b",
    re.IGNORECASE,
)
# Every member of the organisation the text names elsewhere: "technical experts from all member states".
_ALL_MEMBERS = re.compile(
    r"\ball\s+(?:of\s+)?(?:the\s+|its\s+|their\s+)?(?:member|partner)\s+(?:states|countries)\b", re.I
)
# A region's adjective that starts an organisation's name ("the European Border and Coast Guard", "the West
# African Police Chiefs Committee") says who acts, not what the text is about.
# A region's adjective that does not make the region the subject: inside a name ("the European Union", "the
# African Development Bank"), or said of laws, policies and institutions ("European standards", "closer to European
# law", "the European relocation scheme"), not of the region's places or people ("European countries").
_NOT_THE_REGION = re.compile(
    r"(?<=an|rn)\s+(?:[A-Z][a-z]|(?:[a-z-]+\s+){0,2}?(?:laws?|legislation|standards?|practices?|institutions?"
    r"|polic(?:y|ies)|values|norms|rules|acquis|funds?|funding|systems?|framework|integration|relocation|level"
    r"|agenda|path|perspective|model|approach)\b)"
)


def _unique(reasons: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in reasons:
        seen.setdefault(r, None)
    return tuple(seen)[:MAX_REASONS]
