"""The fourth held-out set: well-formed, and its provenance new and not the excluded organisation's (no figures)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from publisher.config import config_from_dict
from publisher.pipeline.evaluate import read_records
from tests.conftest import fixture_jsonl, fixture_projects, on_excluded_site

HOLDOUT4 = Path(__file__).parent / "fixtures" / "holdout4"
FIXTURES = HOLDOUT4.parent
# The sets written before this one: its pages and project names must be new to all of them.
EARLIER = ("devset", "holdout", "holdout2", "holdout3")
# This set measures; it sets no target, so no test here reads its figures (README.md has them).


def test_size() -> None:
    assert len(fixture_jsonl(HOLDOUT4, "releases.jsonl")) >= 40
    assert len(fixture_projects(HOLDOUT4)) >= 12


def test_every_gold_row_has_its_release_and_provenance() -> None:
    releases, gold = fixture_jsonl(HOLDOUT4, "releases.jsonl"), fixture_jsonl(HOLDOUT4, "gold.jsonl")
    assert [r["id"] for r in releases] == [g["id"] for g in gold]
    assert len({r["id"] for r in releases}) == len(releases)
    for r, g in zip(releases, gold, strict=True):
        assert g["provenance"] == r["url"], r["id"]
        assert g["note"].strip(), r["id"]
        assert not set(g["countries"]) & set(g["countries_optional"]), r["id"]


def test_every_project_named_in_gold_is_in_the_projects_file() -> None:
    known = set()
    for p in fixture_projects(HOLDOUT4):
        known.add(p.get("acronym") or p["name"])
    for g in fixture_jsonl(HOLDOUT4, "gold.jsonl"):
        named = set(g["projects_must"]) | set(g["projects_ok"])
        assert named <= known, (g["id"], named - known)
        assert not set(g["projects_must"]) & set(g["projects_ok"]), g["id"]


def _release_urls(folder: Path) -> list[str]:
    return [r["url"] for r in fixture_jsonl(folder, "releases.jsonl")]


def _project_urls(folder: Path) -> list[str]:
    return [p["url"] for p in fixture_projects(folder)]


def test_provenance_is_unique_new_and_not_the_excluded_organisations() -> None:
    releases, projects = _release_urls(HOLDOUT4), _project_urls(HOLDOUT4)
    # A project may be modelled on the page one of its releases is (as in the dev set); nothing else repeats.
    assert len(set(releases)) == len(releases)
    assert len(set(projects)) == len(projects)
    earlier = {u for name in EARLIER for u in _release_urls(FIXTURES / name) + _project_urls(FIXTURES / name)}
    for url in releases + projects:
        parsed = urlparse(url)
        assert parsed.scheme in ("http", "https") and parsed.netloc, url
        host = parsed.netloc.lower()
        assert not on_excluded_site(host), url
        assert url not in earlier, url


def test_the_readers_accept_every_record_and_date() -> None:
    cfg = config_from_dict({}, root=FIXTURES)
    assert len(read_records(cfg, HOLDOUT4 / "projects.toml", None, projects=True)) == len(fixture_projects(HOLDOUT4))
    releases = read_records(cfg, HOLDOUT4 / "releases.jsonl", None, projects=False)
    assert {r.external_id: r.published.isoformat() for r in releases} == {
        g["id"]: g["published"] for g in fixture_jsonl(HOLDOUT4, "gold.jsonl")
    }


def test_project_names_are_new() -> None:
    cfg = config_from_dict({}, root=FIXTURES)
    earlier: set[str] = set()
    for path in (FIXTURES / "projects.txt", *(FIXTURES / d / "projects.toml" for d in EARLIER)):
        if path.exists():
            earlier |= {
                w.casefold() for p in read_records(cfg, path, None, projects=True) for w in (p.name, p.acronym) if w
            }
    ours = {
        w.casefold()
        for p in read_records(cfg, HOLDOUT4 / "projects.toml", None, projects=True)
        for w in (p.name, p.acronym)
        if w
    }
    assert not ours & earlier
