"""Feeds end to end: ingest the sample, build, re-ingest an edit, rebuild only what it touched; the CLI commands."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import run_cli

from publisher import pipeline
from publisher.config import Config
from publisher.store import Store


def test_sample_builds_valid_feeds_and_an_edit_rebuilds_only_touched_feeds(
    cfg: Config, ingested: Store, sample_dir: Path
) -> None:
    first = pipeline.build_feeds(cfg, ingested)
    assert first.written and not first.removed
    infos = pipeline.list_feeds(cfg, ingested)
    all_info = next(i for i in infos if i.key == "all")
    assert all_info.entries == all_info.total == 25
    for info in infos:
        assert info.built
        for path in info.paths.values():
            d = feedparser.parse(path.read_bytes())
            assert d.bozo == 0, (path, d.get("bozo_exception"))
            assert len(d.entries) == info.entries
    # Every entry link resolves to a page we wrote (a release without a link of its own links its page).
    d = feedparser.parse((cfg.feeds.dir / "all.atom").read_bytes())
    for e in d.entries:
        assert (cfg.feeds.dir / e.link.removeprefix(cfg.site.base_url)).is_file(), e.link

    # Edit one release in the source file and re-ingest: only the feeds it belongs to are rewritten.
    text = (sample_dir / "releases.txt").read_text("utf-8")
    old = "hosted the seventh International Border Management Conference"
    assert old in text
    (sample_dir / "releases.txt").write_text(
        text.replace(old, "hosted the 7th International Border Management Conference"), "utf-8"
    )
    ingest = pipeline.run_ingest(cfg, ingested)
    assert ingest.changed and "all" in ingest.touched_feeds
    rebuilt = pipeline.build_feeds(cfg, ingested, touched=ingest.touched_feeds)
    # Feed files and release pages only (the feed index, OPML and the site's pages and sitemap are checked
    # elsewhere).
    feed_files = {
        rel
        for rel in (p.relative_to(cfg.feeds.dir).as_posix() for p in rebuilt.written)
        if rel.startswith("news/") or not rel.endswith((".html", ".css", ".opml", ".xml"))
    }
    expected = {
        f"{info.paths[f].relative_to(cfg.feeds.dir).as_posix()}"
        for info in infos
        if info.key in ingest.touched_feeds
        for f in info.paths
    }
    pages = {p for p in feed_files if p.startswith("news/")}
    assert feed_files - pages == expected
    assert len(pages) == 1 and len(expected) < sum(len(i.paths) for i in infos)
    assert "the 7th International" in (cfg.feeds.dir / next(iter(pages))).read_text("utf-8")


def _write_config(tmp_path: Path, cfg: Config) -> Path:
    f = tmp_path / "config.toml"
    f.write_text(f"""
[site]
base_url = "https://news.example.org/"
tag_authority = "news.example.org"
[store]
url = "{cfg.store.url}"
[feeds]
dir = "feeds"
""")
    return f


def test_cli_build_dry_run_list(
    tmp_path: Path, cfg: Config, feed_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(_write_config(tmp_path, cfg))
    code, out, _ = run_cli(["feeds", "build", "--dry-run", "--config", conf], capsys)
    assert code == 0
    assert "would write feeds/all.atom" not in out  # paths are shown in full
    assert f"would write {tmp_path / 'feeds' / 'all.atom'}" in out
    # 34 feed files and release pages, 20 site files (home, lists, directories, archive, stylesheet, sitemap).
    assert "dry run (incremental build): would write 54 files" in out
    assert not (tmp_path / "feeds").exists()

    code, out, _ = run_cli(["feeds", "build", "--config", conf], capsys)
    assert code == 0 and "incremental build: wrote 54 files, removed 0, 0 unchanged" in out
    code, out, _ = run_cli(["feeds", "build", "--full", "--config", conf], capsys)
    assert code == 0 and "full build: wrote 0 files, removed 0, 54 unchanged (54 rendered)" in out

    code, out, _ = run_cli(["feeds", "list", "--config", conf], capsys)
    assert code == 0
    assert (
        "topic:border-management  ICMPD News: Border Management  2/2 entries  updated 2025-02-03T12:00:02+00:00" in out
    )
    assert "atom: https://news.example.org/topics/border-management.atom" in out
    code, out, _ = run_cli(["feeds", "list", "--json", "--config", conf], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["key"] for r in rows][:2] == ["all", "topic:border-management"]
    assert all(r["built"] for r in rows)


def test_cli_reports_feed_errors_plainly(
    tmp_path: Path, cfg: Config, feed_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(_write_config(tmp_path, cfg))
    (tmp_path / "feeds").write_text("a file where the folder should be")
    code, _, err = run_cli(["feeds", "build", "--config", conf], capsys)
    assert code == 1
    assert err.startswith("FeedError: cannot create feeds folder")


# ---------------------------------------------------------------- the touched-only fast path


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (dot-files too: the manifest must match as well), by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_same_as_full_build(cfg: Config, store: Store, fresh: Path) -> None:
    fresh_cfg = dataclasses.replace(cfg, feeds=dataclasses.replace(cfg.feeds, dir=fresh))
    shutil.rmtree(fresh, ignore_errors=True)
    pipeline.build_feeds(fresh_cfg, store, full=True)
    got, want = _tree(cfg.feeds.dir), _tree(fresh)
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert differ == []


NEW_RELEASE = """Released 15 March 2026
ICMPD and the Ministry of Interior of Tunisia opened a new border management training centre in Tunis for \
border guards from Tunisia and Libya.
"""


def test_touched_only_builds_match_a_full_build_after_a_series_of_ingests(
    cfg: Config, ingested: Store, sample_dir: Path, tmp_path: Path
) -> None:
    first = pipeline.build_feeds(cfg, ingested)
    assert not first.touched_only
    fresh = tmp_path / "fresh"
    releases, projects = sample_dir / "releases.txt", sample_dir / "projects.txt"

    def ingest_and_build(expect_fast: bool = True) -> set[str]:
        ing = pipeline.run_ingest(cfg, ingested)
        assert ing.changed
        summary = pipeline.build_feeds(cfg, ingested, touched=ing.touched_feeds)
        assert summary.touched_only is expect_fast
        _assert_same_as_full_build(cfg, ingested, fresh)
        return {p.relative_to(cfg.feeds.dir).as_posix() for p in summary.written}

    # 1. An edited release: its page and its feeds.
    text = releases.read_text("utf-8")
    releases.write_text(text.replace("hosted the seventh International", "hosted the 7th International"), "utf-8")
    written = ingest_and_build()
    assert "all.atom" in written and len([w for w in written if w.startswith("news/")]) == 1

    # 2. A new release, newest of all: it enters "all" and its topic, region and project feeds; index counts move.
    releases.write_text(releases.read_text("utf-8") + NEW_RELEASE, "utf-8")
    written = ingest_and_build()
    new_pages = [w for w in written if w.startswith("news/")]
    assert len(new_pages) == 1 and "index.html" in written
    assert "training centre" in (cfg.feeds.dir / new_pages[0]).read_text("utf-8")

    # 3. A project's description edited: its feed, and every release whose links moved (relink).
    ptext = projects.read_text("utf-8")
    old = "culminating in the signature of the Prague Process Joint Declaration in April 2009."
    assert old in ptext
    projects.write_text(ptext.replace(old, old + " It supports labour migration and return in Central Asia."), "utf-8")
    ingest_and_build()

    # 4. An ingest whose changes no build saw (a separate `publisher ingest`), then another one: the second
    # build's keys do not account for the first run, so it checks every feed instead of trusting them.
    releases.write_text(
        releases.read_text("utf-8").replace("new border management training centre", "new training centre"), "utf-8"
    )
    assert pipeline.run_ingest(cfg, ingested).changed
    releases.write_text(
        releases.read_text("utf-8").replace("opened a new training", "opened a modern training"), "utf-8"
    )
    ingest_and_build(expect_fast=False)
    # ...after which the fast path is trusted again.
    releases.write_text(releases.read_text("utf-8").replace("opened a modern training", "opened a training"), "utf-8")
    ingest_and_build()


def test_touched_only_build_repairs_a_missing_file_and_removes_a_deleted_release_page(
    cfg: Config, feed_store: Store
) -> None:
    from sqlalchemy import delete

    from publisher.models import Release

    pipeline.build_feeds(cfg, feed_store)
    (cfg.feeds.dir / "regions/north-africa.rss").unlink()
    with feed_store.session() as s:
        s.execute(delete(Release).where(Release.id == 5))
    summary = pipeline.build_feeds(cfg, feed_store, touched={"all", "release:release-5", "release:no-such"})
    assert summary.touched_only
    assert {p.relative_to(cfg.feeds.dir).as_posix() for p in summary.written} == {
        "all.atom",
        "all.rss",
        "regions/north-africa.rss",
        "index.html",
        "feeds/index.html",
        "archive/index.html",
        "sitemap.xml",  # release-5's page is gone from it
    }
    assert [p.name for p in summary.removed] == ["release-5.html"]
    _assert_same_as_full_build(cfg, feed_store, cfg.feeds.dir.parent / "fresh")
