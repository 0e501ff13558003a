"""Ingest: idempotent, transactional per source, updates keep GUIDs, tags and links recomputed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from publisher import pipeline
from publisher.config import Config
from publisher.errors import SourceError
from publisher.ingest import ingest_source
from publisher.models import IngestRun, Project, Release, ReleaseProject, RunStatus
from publisher.store import Store
from publisher.text import TITLE_LONG
from tests.conftest import FIXED_NOW


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _source(cfg: Config, name: str):
    (src,) = pipeline.configured_sources(cfg, [name])
    return src


def test_sample_ingest_then_reingest_changes_nothing(cfg: Config, ingested: Store) -> None:
    assert _count(ingested, Release) == 25
    n_projects = _count(ingested, Project)
    assert n_projects == 8
    with ingested.session() as s:
        before = {r.guid: (r.updated_at, r.content_hash) for r in s.scalars(select(Release))}
        links_before = s.scalar(select(func.count()).select_from(ReleaseProject))
    summary = pipeline.run_ingest(cfg, ingested)
    assert [(r.added, r.updated, r.removed) for r in summary.results] == [(0, 0, 0), (0, 0, 0)]
    assert summary.results[1].unchanged == 25
    assert not summary.changed and summary.touched_feeds == set()
    with ingested.session() as s:
        after = {r.guid: (r.updated_at, r.content_hash) for r in s.scalars(select(Release))}
        assert s.scalar(select(func.count()).select_from(ReleaseProject)) == links_before
    assert after == before
    assert _count(ingested, Project) == n_projects


def test_guids_are_tag_uris_and_no_page_url_is_stored(ingested: Store) -> None:
    with ingested.session() as s:
        rows = s.scalars(select(Release)).all()
    assert len({r.guid for r in rows}) == 25
    for r in rows:
        assert r.guid.startswith(f"tag:news.example.org,{r.published.isoformat()}:news/")
        assert r.url == ""  # no link of its own: outputs link news/<slug>.html under the base_url of the build
        assert len(r.title) <= TITLE_LONG and r.summary


def test_changed_body_updates_row_and_keeps_guid(cfg: Config, ingested: Store, sample_dir: Path) -> None:
    f = sample_dir / "releases.txt"
    text = f.read_text()
    old = "immerse them in the country’s dynamic entrepreneurial ecosystem"
    assert old in text
    f.write_text(text.replace(old, "immerse them in Belgium’s lively start-up scene"))
    with ingested.session() as s:
        row = s.scalars(select(Release).where(Release.body.contains(old))).one()
        guid, slug = row.guid, row.slug
    later = FIXED_NOW + dt.timedelta(days=1)
    result = ingest_source(ingested, cfg, _source(cfg, "releases"), now=later)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 24)
    assert "all" in result.touched_feeds
    with ingested.session() as s:
        row = s.scalars(select(Release).where(Release.guid == guid)).one()
        assert "lively start-up scene" in row.body
        assert row.slug == slug and row.updated_at == later and row.created_at == FIXED_NOW


def test_repeated_release_in_one_file_is_stored_once(cfg: Config, store: Store, sample_dir: Path) -> None:
    f = sample_dir / "releases.txt"
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines + lines[2:4]) + "\n")
    result = ingest_source(store, cfg, _source(cfg, "releases"), now=FIXED_NOW)
    assert (result.added, result.duplicates) == (25, 1)
    assert _count(store, Release) == 25


def test_any_date_order(cfg: Config, store: Store, sample_dir: Path) -> None:
    f = sample_dir / "releases.txt"
    lines = f.read_text().splitlines()
    pairs = [lines[i : i + 2] for i in range(0, len(lines), 2)]
    f.write_text("\n".join(x for p in reversed(pairs) for x in p) + "\n")
    result = ingest_source(store, cfg, _source(cfg, "releases"), now=FIXED_NOW)
    assert result.added == 25


def test_bad_record_fails_with_file_line_and_leaves_store_unchanged(
    cfg: Config, ingested: Store, sample_dir: Path
) -> None:
    f = sample_dir / "releases.txt"
    good_new = "Released 01 April 2025\nA brand new release about border management in Uzbekistan.\n"
    f.write_text(f.read_text().rstrip("\n") + "\n" + good_new + "Released 31 February 2025\nImpossible.\n")
    with ingested.session() as s:
        before = s.scalar(select(func.count()).select_from(Release))
    with pytest.raises(SourceError, match=rf"{f}:53: impossible date '31 February 2025'"):
        ingest_source(ingested, cfg, _source(cfg, "releases"))
    assert _count(ingested, Release) == before
    with ingested.session() as s:
        run = s.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(1)).one()
    assert run.status is RunStatus.FAILED and "impossible date" in run.error


def test_skip_invalid_ingests_the_rest(cfg: Config, store: Store, sample_dir: Path) -> None:
    f = sample_dir / "releases.txt"
    f.write_bytes(
        f.read_bytes().rstrip(b"\n") + b"\nReleased 31 February 2025\nImpossible.\nReleased 02 April 2025\nCaf\xe9\n"
    )
    result = ingest_source(store, cfg, _source(cfg, "releases"), skip_invalid=True)
    assert result.added == 25
    assert [s.where for s in result.skipped] == [f"{f}:51", f"{f}:54"]
    with store.session() as s:
        run = s.scalars(select(IngestRun)).one()
    assert run.status is RunStatus.OK and run.skipped == 2


def test_links_carry_scores_and_reasons(ingested: Store) -> None:
    with ingested.session() as s:
        links = s.scalars(select(ReleaseProject)).all()
    assert links
    for link in links:
        assert 0 < link.score <= 1 and link.reasons and all(isinstance(r, str) and r for r in link.reasons)


PROJECTS_TOML = """
[[projects]]
name = "Border Management Programme in Central Asia"
acronym = "BOMCA"
objective = "Strengthen border management capacities and cross-border cooperation in Central Asia."
countries = ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"]
start = "2022-01-01"
end = "2026-12-31"

[[projects]]
name = "Migrant Resource Centres in Iraq"
objective = "Inform prospective migrants and returnees about safe and legal migration and reintegration."
countries = ["Iraq"]
"""

RELEASES_JSONL = (
    '{"date": "2025-03-01", "id": "r1", "body": "BOMCA 10 trained border guards of Uzbekistan and Tajikistan '
    'in Tashkent on integrated border management and cross-border cooperation in Central Asia."}\n'
)


def test_removed_project_drops_its_links(make_config, store: Store, tmp_path: Path) -> None:
    projects = tmp_path / "projects.toml"
    releases = tmp_path / "releases.jsonl"
    projects.write_text(PROJECTS_TOML)
    releases.write_text(RELEASES_JSONL)
    cfg = make_config(
        sources=[
            {"name": "projects", "kind": "projects-file", "path": str(projects)},
            {"name": "releases", "kind": "jsonl", "path": str(releases)},
        ]
    )
    pipeline.run_ingest(cfg, store)
    with store.session() as s:
        (link,) = s.scalars(select(ReleaseProject)).all()
        assert link.project.acronym == "BOMCA"
        assert any("BOMCA" in r for r in link.reasons)
    projects.write_text(
        PROJECTS_TOML.split("[[projects]]")[0] + "[[projects]]" + PROJECTS_TOML.split("[[projects]]")[2]
    )
    result = ingest_source(store, cfg, _source(cfg, "projects"))
    assert result.removed == 1
    assert "project:border-management-programme-in-central-asia" in result.touched_feeds
    assert result.relinked == 1
    assert _count(store, ReleaseProject) == 0


def test_a_release_about_kosovo_is_stored_and_tagged_xk(cfg: Config, store: Store, sample_dir: Path) -> None:
    """XK is not in ISO 3166-1 (pycountry), but tagging produces it: the countries table must know it, also in a
    store whose countries were filled before (the next ingest adds what is missing)."""
    from sqlalchemy import delete

    from publisher.models import Country, ReleaseCountry

    ingest_source(store, cfg, _source(cfg, "releases"), now=FIXED_NOW)  # fills the countries table
    with store.session() as s:
        s.execute(delete(Country).where(Country.code == "XK"))  # as a store made by an older version
    f = sample_dir / "releases.txt"
    f.write_text(
        f.read_text()
        + "\nReleased 3 March 2025\nBorder police officers in Kosovo completed a training on document fraud in Pristina.\n"
    )
    result = ingest_source(store, cfg, _source(cfg, "releases"), now=FIXED_NOW)
    assert result.added == 1
    with store.session() as s:
        assert s.scalar(select(Country.name).where(Country.code == "XK")) == "Kosovo"
        assert s.scalar(select(func.count()).select_from(ReleaseCountry).where(ReleaseCountry.country == "XK")) == 1


def test_insert_rows_stores_what_a_core_insert_stores(store: Store) -> None:
    """The tuple executemany binds each value as Core does: JSON, dates, times, enums and floats are stored as the
    same text."""
    from sqlalchemy import insert, text

    from publisher.ingest.bulk import insert_rows
    from publisher.ingest.tagging import release_table
    from publisher.models import BodyFormat, DatePrecision, ReleaseTopic

    when = dt.datetime(2024, 5, 3, 12, 30, tzinfo=dt.UTC)
    release = dict(
        source="src", external_id="", published=dt.date(2024, 5, 1), published_precision=DatePrecision.MONTH,
        title="Tïtle “q”", summary="s", body="b", body_format=BodyFormat.HTML, body_html="<p>x</p>", url="",
        content_hash="h", created_at=when, updated_at=when,
    )  # fmt: skip
    reasons = ['matched "asylum" ×2', 'quote " and \\ and é']
    columns = ("key", "slug", "guid", *release)
    with store.session() as s:
        s.execute(text("INSERT INTO topics (slug, name) VALUES ('t', 'T')"))
        s.execute(insert(release_table()), [{"key": "core", "slug": "core", "guid": "core", **release}])
        insert_rows(s, release_table(), columns, [("rows", "rows", "rows", *release.values())])
        ids = {key: rid for key, rid in s.execute(select(Release.key, Release.id))}
        topics = ReleaseTopic.__table__
        s.execute(insert(topics), [{"release_id": ids["core"], "topic": "t", "score": 0.25, "reasons": reasons}])
        insert_rows(s, topics, ("release_id", "topic", "score", "reasons"), [(ids["rows"], "t", 0.25, reasons)])
        s.commit()
        stored = {
            key: rest
            for key, *rest in s.execute(
                text(
                    "SELECT r.key, CAST(r.published AS TEXT), r.published_precision, r.body_format,"
                    " CAST(r.created_at AS TEXT), r.title, t.score, CAST(t.reasons AS TEXT)"
                    " FROM releases r JOIN release_topics t ON t.release_id = r.id"
                )
            )
        }
    assert stored["rows"] == stored["core"]
    assert stored["core"][1:3] == ["month", "html"] and "asylum" in stored["core"][-1]
