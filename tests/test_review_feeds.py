"""Review findings on feeds: what the touched-only fast path must not miss."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from publisher import pipeline
from publisher.config import Config, default_taxonomy_data
from publisher.store import Store


def _feed_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_retag_is_seen_by_the_next_touched_only_feeds_build(
    make_config: Callable[..., Config], ingested: Store, sample_dir: Path, tmp_path: Path
) -> None:
    cfg = make_config()
    pipeline.build_feeds(cfg, ingested, full=True)
    # The operator makes a topic stricter (same names: the feeds' context fingerprint does not change) and retags.
    topics = copy.deepcopy(default_taxonomy_data()["topics"])
    topics["border-management"]["threshold"] = 1000.0
    stricter = make_config(taxonomy={"topics": topics})
    changed, _ = pipeline.retag(stricter, ingested)
    assert changed
    # The next cycle ingests one new release and rebuilds the feeds it touched.
    with (sample_dir / "releases.txt").open("a", encoding="utf-8") as fh:
        fh.write(
            "\nReleased 01 March 2025\nICMPD opened a new office in Tunis on Monday. It will coordinate "
            "labour migration projects.\n"
        )
    ingest = pipeline.run_ingest(stricter, ingested)
    assert ingest.changed
    pipeline.build_feeds(stricter, ingested, touched=ingest.touched_feeds)
    # What is on disk must equal a full build from scratch.
    fresh_dir = tmp_path / "fresh"
    fresh = make_config(taxonomy={"topics": topics}, feeds={"dir": str(fresh_dir), "formats": list(cfg.feeds.formats)})
    pipeline.build_feeds(fresh, ingested, full=True)
    built, expected = _feed_files(cfg.feeds.dir), _feed_files(fresh_dir)
    assert set(built) == set(expected)
    stale = sorted(k for k in expected if built[k] != expected[k])
    assert stale == []
