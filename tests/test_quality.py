"""Quality bar of classification and linking over the 25 seed releases and their gold labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.classify import Classification, Classifier
from publisher.config import Config, SourceConfig, config_from_dict
from publisher.link import Linker, build_project_profile, build_release_profile
from publisher.sources.base import ProjectRecord, ReleaseRecord
from publisher.sources.project_pages import ProjectPagesSource
from publisher.sources.release_text import ReleaseTextSource

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Case:
    gold: dict  # type: ignore[type-arg]
    release: ReleaseRecord
    classification: Classification
    links: frozenset[str]


def project_key(record: ProjectRecord) -> str:
    """The gold names projects by acronym ("BOMCA 9", "PP DATA") or, without one, by name ("Prague Process")."""
    return record.acronym or record.name


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    cfg = config_from_dict({}, root=FIXTURES)
    clf = Classifier(cfg.taxonomy)
    releases = list(
        ReleaseTextSource(
            SourceConfig(name="seed-releases", kind="release-text", path=FIXTURES / "releases.txt"), Config()
        ).read()
    )
    projects = list(
        ProjectPagesSource(
            SourceConfig(name="seed-projects", kind="project-pages", path=FIXTURES / "projects.txt"), cfg
        ).read()
    )
    profiles = [build_project_profile(project_key(p), p, clf) for p in projects]
    assert len({p.key for p in profiles}) == len(profiles)
    linker = Linker(profiles, cfg.linking)
    out = []
    for line in (FIXTURES / "seed_gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        (rec,) = [r for r in releases if r.published.isoformat() == gold["date"] and gold["contains"] in r.body]
        profile = build_release_profile(rec.title, rec.body, rec.published, clf)
        links = frozenset(r.key for r in linker.link(profile))
        out.append(Case(gold, rec, clf.classify(rec.body), links))
    assert len(out) == 25
    return out


def prf(pairs: list[tuple[set[str], set[str]]]) -> tuple[float, float]:
    tp = sum(len(pred & want) for pred, want in pairs)
    npred = sum(len(pred) for pred, _ in pairs)
    nwant = sum(len(want) for _, want in pairs)
    return (tp / npred if npred else 1.0), (tp / nwant if nwant else 1.0)


def test_every_required_country_found_and_few_extra(cases: list[Case]) -> None:
    extra = total = 0
    for c in cases:
        found = {t.slug for t in c.classification.countries}
        missing = set(c.gold["countries"]) - found
        assert not missing, f"{c.gold['date']}: missing {missing}"
        extra += len(found - set(c.gold["countries"]) - set(c.gold["countries_optional"]))
        total += len(found)
    assert extra <= 0.05 * total, f"{extra} extra countries of {total}"


def test_links(cases: list[Case]) -> None:
    produced = good = 0
    for c in cases:
        must, ok = set(c.gold["projects_must"]), set(c.gold["projects_ok"])
        assert must <= c.links, f"{c.gold['date']}: missing links {must - c.links}"
        produced += len(c.links)
        good += len(c.links & (must | ok))
    assert produced and good / produced >= 0.9, f"{good}/{produced} links acceptable"


def test_region_precision_recall(cases: list[Case]) -> None:
    p, r = prf([({t.slug for t in c.classification.regions}, set(c.gold["regions"])) for c in cases])
    # Measured on the seed: P 0.93, R 1.00 (the misses are regions of optional donor countries).
    assert p >= 0.85 and r >= 0.9, (p, r)


def test_topic_precision_recall(cases: list[Case]) -> None:
    p, r = prf([({t.slug for t in c.classification.topics}, set(c.gold["topics"])) for c in cases])
    # Measured on the seed: P 0.85, R 0.85; some gold topics are world knowledge, not in the text
    # ("BOMCA" implies border management), and list-like releases name topics they are not about.
    assert p >= 0.8 and r >= 0.8, (p, r)
