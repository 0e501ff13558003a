"""The taxonomy sections of the config: regions, organisation groups and topics, with their documentation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from publisher.config.fields import Range, _doc


@dataclass(frozen=True)
class RegionConfig:
    name: str = _doc("Display name.")
    countries: tuple[str, ...] = _doc("ISO 3166-1 alpha-2 codes of member countries.", default=())
    aliases: tuple[str, ...] = _doc("Phrases that name the region in text.", default=())


@dataclass(frozen=True)
class GroupConfig:
    """An organisation of states (ECOWAS, IGAD): it has members, where a region has geography. Its collective
    phrases ("IGAD Member States") stand for its members; naming it alone tags no country."""

    name: str = _doc("Display name.")
    countries: tuple[str, ...] = _doc(
        "ISO 3166-1 alpha-2 codes of its members, including former ones given in `left` (XK for Kosovo).",
        default=(),
    )
    aliases: tuple[str, ...] = _doc(
        "Names and acronyms of the organisation in text (case-sensitive, whole words, longest match wins).",
        default=(),
    )
    joined: dict[str, dt.date] = _doc(
        'Member code → date it joined (TOML date or "YYYY-MM-DD"): a release dated before it does not count it.',
        default_factory=dict,
    )
    left: dict[str, dt.date] = _doc(
        "Member code → date its membership ended: a release dated on or after it does not count it, and neither "
        "does a text without a date (a project's country field): the list without them is the current one.",
        default_factory=dict,
    )

    def members(self, on: dt.date | None = None) -> frozenset[str]:
        """Member codes on date `on`; without a date, the current members (everyone who has not left)."""
        joined = {c.upper(): d for c, d in self.joined.items()}
        left = {c.upper(): d for c, d in self.left.items()}
        out = set()
        for code in (c.upper() for c in self.countries):
            start, end = joined.get(code), left.get(code)
            if on is None:
                if end is None:
                    out.add(code)
            elif (start is None or start <= on) and (end is None or on < end):
                out.add(code)
        return frozenset(out)

    def members_during(self, start: dt.date | None, end: dt.date | None) -> frozenset[str]:
        """Codes of those who were members at some time from `start` to `end` (a project's run; an open end
        is unbounded); with neither, the current members."""
        if start is None and end is None:
            return self.members()
        joined = {c.upper(): d for c, d in self.joined.items()}
        left = {c.upper(): d for c, d in self.left.items()}
        out = set()
        for code in (c.upper() for c in self.countries):
            began, ended = joined.get(code), left.get(code)
            if (began is None or end is None or began <= end) and (ended is None or start is None or start < ended):
                out.add(code)
        return frozenset(out)


@dataclass(frozen=True)
class TopicConfig:
    name: str = _doc("Display name.")
    keywords: dict[str, float] = _doc(
        "Phrase → weight; a topic is assigned when the summed weight of matched phrases reaches the threshold.",
        default_factory=dict,
    )
    threshold: float = _doc(
        "Minimum summed weight to assign this topic.", default=2.0, range=Range(0, 1000, above=True)
    )


@dataclass(frozen=True)
class TaxonomyConfig:
    regions: dict[str, RegionConfig] = _doc("Regions by slug.", default_factory=dict)
    groups: dict[str, GroupConfig] = _doc(
        "Organisations of states by slug (their members are not a region's): giving the table replaces the "
        "default groups.",
        default_factory=dict,
    )
    topics: dict[str, TopicConfig] = _doc("Topics by slug.", default_factory=dict)
    extra_places: dict[str, str] = _doc(
        "Extra place names, cities or demonyms → ISO alpha-2 code, added to the built-in gazetteer.",
        default_factory=dict,
    )
