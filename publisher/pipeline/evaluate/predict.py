"""The one adapter between the evaluation and the tagging/linking steps: what the pipeline decided per release."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from publisher.classify import Classifier, Tag
from publisher.config import Config
from publisher.ingest import clean_record
from publisher.link import Evidence as LinkEvidence
from publisher.link import build_project_profile, linker_for, release_profile
from publisher.sources.base import ProjectRecord, ReleaseRecord
from publisher.text import derive_title, tagged_text


@dataclass(frozen=True)
class Evidence:
    """A score and the reasons behind it, as the tagger or linker gave them."""

    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """Everything the pipeline decided about one release."""

    countries: Mapping[str, Evidence]
    regions: Mapping[str, Evidence]
    topics: Mapping[str, Evidence]
    links: Mapping[str, Evidence]  # the links it kept, by project key
    candidates: Mapping[str, Evidence] = field(default_factory=dict)  # every project's score, kept or not


Predictor = Callable[[Config, Sequence[ReleaseRecord], Sequence[ProjectRecord]], list[Prediction]]


def project_key(record: ProjectRecord) -> str:
    """How gold rows name a project: its acronym, or its name when it has none."""
    return record.acronym or record.name


def _tags(tags: Iterable[Tag]) -> dict[str, Evidence]:
    return {t.slug: Evidence(t.score, tuple(t.reasons)) for t in tags}


def _evidence(e: LinkEvidence) -> str:
    return f"{e.kind} {e.weight:+.2f} {e.detail}"


def predict(cfg: Config, releases: Sequence[ReleaseRecord], projects: Sequence[ProjectRecord]) -> list[Prediction]:
    """Tag and link each release the way ingest does. The only place that knows the classify/link API, so changes
    to those steps touch this function and nothing else of the evaluation."""
    classifier = Classifier(cfg.taxonomy)
    profiles = [build_project_profile(project_key(p), clean_record(p), classifier) for p in projects]
    linker = linker_for(cfg, profiles)
    out = []
    for raw in releases:
        rec = clean_record(raw)
        title = rec.title.strip() or derive_title(rec.body)
        cls = classifier.classify(tagged_text(title, rec.body), rec.published)
        profile = release_profile(title, rec.body, rec.published, cls)
        links = {r.key: Evidence(r.score, (*r.reasons, *map(_evidence, r.evidence))) for r in linker.link(profile)}
        candidates = {c.key: Evidence(c.score, (c.why, *map(_evidence, c.evidence))) for c in linker.explain(profile)}
        out.append(Prediction(_tags(cls.countries), _tags(cls.regions), _tags(cls.topics), links, candidates))
    return out
