"""The held-out sets written by other hands (holdout3 to holdout18, holdout20 to holdout38): well-formed, and
their provenance new and not the excluded organisation's. They measure; no test here reads their figures (each
README has them)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from publisher.config import config_from_dict
from publisher.pipeline.evaluate import read_records
from tests.conftest import fixture_jsonl, fixture_projects, on_excluded_site

FIXTURES = Path(__file__).parent / "fixtures"
# The sets in the order they were written (the first three by the rules' hand), and each held-out set's least
# size: its pages and project names must be new to every set written before it.
ORDER = [
    "devset",
    "holdout",
    "holdout2",
    *(f"holdout{n}" for n in range(3, 19)),
    "holdout20",
    "holdout22",
    "holdout21",
    "holdout23",
    "holdout24",
    "holdout25",
    "holdout26",
    "holdout27",
    "holdout29",
    "holdout28",
    "holdout30",
    "holdout33",
    "holdout31",
    "holdout32",
    "holdout34",
    "holdout35",
    "holdout36",
    "holdout37",
    "holdout38",
]
LEAST = {"holdout3": (30, 10), "holdout4": (40, 12)}  # the later ones: 45 releases, 15 projects
SETS = [
    pytest.param(name, tuple(ORDER[:k]), LEAST.get(name, (45, 15)), id=name)
    for k, name in enumerate(ORDER)
    if k >= ORDER.index("holdout3")
]
NAMES = [pytest.param(p.values[0], id=p.id) for p in SETS]


@pytest.mark.parametrize(("name", "earlier", "size"), SETS)
def test_size(name: str, earlier: tuple[str, ...], size: tuple[int, int]) -> None:
    assert len(fixture_jsonl(FIXTURES / name, "releases.jsonl")) >= size[0]
    assert len(fixture_projects(FIXTURES / name)) >= size[1]


@pytest.mark.parametrize("name", NAMES)
def test_every_gold_row_has_its_release_and_provenance(name: str) -> None:
    folder = FIXTURES / name
    releases, gold = fixture_jsonl(folder, "releases.jsonl"), fixture_jsonl(folder, "gold.jsonl")
    assert [r["id"] for r in releases] == [g["id"] for g in gold]
    assert len({r["id"] for r in releases}) == len(releases)
    for r, g in zip(releases, gold, strict=True):
        assert g["provenance"] == r["url"], r["id"]
        assert g["note"].strip(), r["id"]
        assert not set(g["countries"]) & set(g["countries_optional"]), r["id"]


@pytest.mark.parametrize("name", NAMES)
def test_every_project_named_in_gold_is_in_the_projects_file(name: str) -> None:
    known = {p.get("acronym") or p["name"] for p in fixture_projects(FIXTURES / name)}
    for g in fixture_jsonl(FIXTURES / name, "gold.jsonl"):
        named = set(g["projects_must"]) | set(g["projects_ok"])
        assert named <= known, (g["id"], named - known)
        assert not set(g["projects_must"]) & set(g["projects_ok"]), g["id"]


def _urls(folder: Path) -> tuple[list[str], list[str]]:
    return [r["url"] for r in fixture_jsonl(folder, "releases.jsonl")], [p["url"] for p in fixture_projects(folder)]


@pytest.mark.parametrize(("name", "earlier", "size"), SETS)
def test_provenance_is_unique_new_and_not_the_excluded_organisations(
    name: str, earlier: tuple[str, ...], size: tuple[int, int]
) -> None:
    releases, projects = _urls(FIXTURES / name)
    # A project may be modelled on the page one of its releases is (as in the dev set); nothing else repeats.
    assert len(set(releases)) == len(releases)
    assert len(set(projects)) == len(projects)
    before = {u for e in earlier for urls in _urls(FIXTURES / e) for u in urls}
    for url in releases + projects:
        parsed = urlparse(url)
        assert parsed.scheme in ("http", "https") and parsed.netloc, url
        assert not on_excluded_site(parsed.netloc.lower()), url
        assert url not in before, url


@pytest.mark.parametrize("name", NAMES)
def test_the_readers_accept_every_record_and_date(name: str) -> None:
    folder = FIXTURES / name
    cfg = config_from_dict({}, root=FIXTURES)
    assert len(read_records(cfg, folder / "projects.toml", None, projects=True)) == len(fixture_projects(folder))
    releases = read_records(cfg, folder / "releases.jsonl", None, projects=False)
    assert {r.external_id: r.published.isoformat() for r in releases} == {
        g["id"]: g["published"] for g in fixture_jsonl(folder, "gold.jsonl")
    }


def _names(path: Path) -> set[str]:
    cfg = config_from_dict({}, root=FIXTURES)
    return {w.casefold() for p in read_records(cfg, path, None, projects=True) for w in (p.name, p.acronym) if w}


@pytest.mark.parametrize(("name", "earlier", "size"), SETS)
def test_project_names_are_new(name: str, earlier: tuple[str, ...], size: tuple[int, int]) -> None:
    before: set[str] = set()
    for path in (FIXTURES / "projects.txt", *(FIXTURES / e / "projects.toml" for e in earlier)):
        if path.exists():
            before |= _names(path)
    assert not _names(FIXTURES / name / "projects.toml") & before
