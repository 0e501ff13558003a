"""Feeds end to end: ingest the sample, build, re-ingest an edit, rebuild only what it touched; the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from publisher import pipeline
from publisher.cli import main
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
    # Every entry link resolves to a page we wrote (release.url defaults to {base_url}news/{slug}.html).
    d = feedparser.parse((cfg.feeds.dir / "all.atom").read_bytes())
    for e in d.entries:
        assert (cfg.feeds.dir / e.link.removeprefix(cfg.site.base_url)).is_file(), e.link

    # Edit one release in the source file and re-ingest: only the feeds it belongs to are rewritten.
    text = (sample_dir / "releases.txt").read_text("utf-8")
    old = "hosted the seventh International Border Management Conference"
    assert old in text
    (sample_dir / "releases.txt").write_text(text.replace(old, "hosted the 7th International Border Management "
                                                                  "Conference"), "utf-8")
    ingest = pipeline.run_ingest(cfg, ingested)
    assert ingest.changed and "all" in ingest.touched_feeds
    rebuilt = pipeline.build_feeds(cfg, ingested, touched=ingest.touched_feeds)
    feed_files = {p.relative_to(cfg.feeds.dir).as_posix() for p in rebuilt.written} - {"index.html", "feeds.opml"}
    expected = {f"{info.paths[f].relative_to(cfg.feeds.dir).as_posix()}"
                for info in infos if info.key in ingest.touched_feeds for f in info.paths}
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


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_build_dry_run_list(tmp_path: Path, cfg: Config, feed_store: Store,
                                capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(_write_config(tmp_path, cfg))
    code, out, _ = run(["feeds", "build", "--dry-run", "--config", conf], capsys)
    assert code == 0
    assert "would write feeds/all.atom" not in out  # paths are shown in full
    assert f"would write {tmp_path / 'feeds' / 'all.atom'}" in out
    assert "dry run (incremental build): would write 25 files" in out
    assert not (tmp_path / "feeds").exists()

    code, out, _ = run(["feeds", "build", "--config", conf], capsys)
    assert code == 0 and "incremental build: wrote 25 files, removed 0, 0 unchanged" in out
    code, out, _ = run(["feeds", "build", "--full", "--config", conf], capsys)
    assert code == 0 and "full build: wrote 0 files, removed 0, 25 unchanged (25 rendered)" in out

    code, out, _ = run(["feeds", "list", "--config", conf], capsys)
    assert code == 0
    assert "topic:border-management  ICMPD News: Border Management  2/2 entries  updated 2025-03-01T09:30:00+00:00" in out
    assert "atom: https://news.example.org/topics/border-management.atom" in out
    code, out, _ = run(["feeds", "list", "--json", "--config", conf], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["key"] for r in rows][:2] == ["all", "topic:border-management"]
    assert all(r["built"] for r in rows)


def test_cli_reports_feed_errors_plainly(tmp_path: Path, cfg: Config, feed_store: Store,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(_write_config(tmp_path, cfg))
    (tmp_path / "feeds").write_text("a file where the folder should be")
    code, _, err = run(["feeds", "build", "--config", conf], capsys)
    assert code == 1
    assert err.startswith("FeedError: cannot create feeds folder")
