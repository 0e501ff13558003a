"""What readers are told about a link ("Names BOMCA 10", "Both about border management in Uzbekistan")."""

from __future__ import annotations

from collections.abc import Sequence

from publisher.link.profiles import Evidence, EvidenceKind, ProjectProfile

MAX_COUNTRIES_SHOWN = 3


def sentence_case(name: str) -> str:
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def years(p: ProjectProfile) -> str:
    """A project's run in years: "2019–2023", "since 2015", "until 2024"."""
    start = p.start_date.year if p.start_date else None
    end = p.end_date.year if p.end_date else None
    if start and end:
        return str(start) if start == end else f"{start}–{end}"
    return f"since {start}" if start else f"until {end}"


def reader_reasons(mention: Evidence | None, evidence: Sequence[Evidence]) -> tuple[str, ...]:
    """What a reader is told: "Names BOMCA 10", "Same dialogue: Prague Process", "Both about border
    management in Uzbekistan"; display names, never slugs or word lists."""
    if mention is not None:
        if mention.kind is EvidenceKind.FAMILY:
            return (f"Same {mention.detail}",)
        return (f"Names {mention.detail}",)
    by_kind = {e.kind: e for e in evidence}
    place = by_kind.get(EvidenceKind.COUNTRY) or by_kind.get(EvidenceKind.REGION)
    where = ""
    if place is not None:
        countries = place.detail.split(", ")
        where = (
            f" in {place.detail}"
            if len(countries) <= MAX_COUNTRIES_SHOWN
            else f" in {len(countries) + 1} shared countries"
        )
    topic = by_kind.get(EvidenceKind.TOPIC)
    if topic is not None:
        return (f"Both about {topic.detail}{where}",)
    return (f"Similar subject{where}",)
