"""What the linker knows about a project and a release, the evidence it weighs, and the builders of both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from publisher.classify import Classification, Classifier
from publisher.sources.base import ProjectRecord
from publisher.text import tagged_text

# A project topic is "core" when it scores at least this share of the project's strongest topic:
# long project texts touch many topics in passing, and those must not drive links.
CORE_TOPIC_SHARE = 0.35


@dataclass(frozen=True)
class ProjectProfile:
    key: str  # the project's slug (stable id)
    name: str
    acronym: str
    text: str  # objective + description etc.
    countries: frozenset[str]
    regions: frozenset[str]
    topics: frozenset[str]
    start_date: dt.date | None
    end_date: dt.date | None
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()  # besides `acronym`

    @property
    def display(self) -> str:
        """How a reader knows the project: its acronym, else its name."""
        return self.acronym or self.name

    def days_from(self, day: dt.date) -> int:
        """Days between `day` and the project's run; 0 inside it; undated projects are far from everything."""
        if self.start_date is None and self.end_date is None:
            return 10**6
        if self.start_date is not None and day < self.start_date:
            return (self.start_date - day).days
        if self.end_date is not None and day > self.end_date:
            return (day - self.end_date).days
        return 0


@dataclass(frozen=True)
class ReleaseProfile:
    title: str
    text: str
    published: dt.date
    countries: frozenset[str]
    regions: frozenset[str]
    topics: frozenset[str]


class EvidenceKind(StrEnum):
    MENTION = "mention"  # the release names the project (name, acronym, alias)
    PHASE = "phase"  # ... or another phase of it ("BOMCA 10" for "BOMCA 9")
    FAMILY = "family"  # ... or a project whose name is part of this one's (a dialogue and its support project)
    COUNTRY = "country"  # shares countries
    REGION = "region"  # shares only a region
    TOPIC = "topic"  # shares core topics
    WORDING = "wording"  # shares distinctive words
    DATES = "dates"  # published while the project ran (or within the grace)


@dataclass(frozen=True)
class Evidence:
    kind: EvidenceKind
    weight: float
    detail: str  # display text: what was named, country names, topic names, or the shared words

    def as_dict(self) -> dict[str, object]:
        return {"kind": str(self.kind), "weight": self.weight, "detail": self.detail}


@dataclass(frozen=True)
class LinkResult:
    key: str
    score: float  # 0..1, rounded to 4 decimals
    reasons: tuple[str, ...]  # for readers: "Names BOMCA 10"
    evidence: tuple[Evidence, ...] = ()  # for machines: every piece with its weight


@dataclass(frozen=True)
class Candidate:
    """One project considered for a release, with the verdict: linked, or why not."""

    key: str
    name: str
    score: float
    evidence: tuple[Evidence, ...]
    linked: bool
    why: str  # for a link: its reasons; for a loser: why it lost


# ---------------------------------------------------------------- building profiles


def project_text(record: ProjectRecord) -> str:
    """The words of a project that describe what it is about (for classification and similarity)."""
    parts = [record.name, record.objective, *record.specific_objectives, record.description]
    return "\n\n".join(p for p in parts if p)


def core_topics(classification: Classification) -> frozenset[str]:
    """Topics that are central to a long text, not merely touched on."""
    if not classification.topics:
        return frozenset()
    top = max(t.score for t in classification.topics)
    return frozenset(t.slug for t in classification.topics if t.score >= CORE_TOPIC_SHARE * top)


def build_project_profile(key: str, record: ProjectRecord, classifier: Classifier) -> ProjectProfile:
    """A project's profile: countries from its Country field, else from its text; regions and core topics
    from classifying its text."""
    text = project_text(record)
    cls = classifier.classify(text)
    countries = frozenset(record.countries) or frozenset(t.slug for t in cls.countries)
    regions = set(t.slug for t in cls.regions)
    for code in countries:  # the Country field's countries place the project in their regions too
        regions.update(classifier.regions_of(code))
    return ProjectProfile(
        key=key,
        name=record.name,
        acronym=record.acronym,
        text=text,
        countries=countries,
        regions=frozenset(regions),
        topics=core_topics(cls),
        start_date=record.start_date,
        end_date=record.end_date,
        aliases=record.aliases,
        acronyms=record.acronyms,
    )


def build_release_profile(title: str, text: str, published: dt.date, classifier: Classifier) -> ReleaseProfile:
    return release_profile(title, text, published, classifier.classify(tagged_text(title, text), published))


def release_profile(title: str, text: str, published: dt.date, cls: Classification) -> ReleaseProfile:
    """A release's profile from its already computed classification."""
    return ReleaseProfile(
        title=title,
        text=text,
        published=published,
        countries=frozenset(t.slug for t in cls.countries),
        regions=frozenset(t.slug for t in cls.regions),
        topics=frozenset(t.slug for t in cls.topics),
    )
