"""Review findings on ingest: odd source text (control characters, lone surrogates) and overlong fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
from sqlalchemy import select

from publisher import pipeline
from publisher.config import Config
from publisher.models import Release
from publisher.store import Store


def _jsonl_config(make_config: Callable[..., Config], tmp_path: Path, rows: list[dict[str, Any]]) -> Config:
    path = tmp_path / "releases.jsonl"
    # ensure_ascii keeps lone surrogates and control characters as JSON escapes, as other tools write them.
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return make_config(sources=[{"name": "j", "kind": "jsonl", "path": str(path)}])


def test_jsonl_lone_surrogate_is_replaced_not_a_crash(
    make_config: Callable[..., Config], store: Store, tmp_path: Path
) -> None:
    cfg = _jsonl_config(
        make_config,
        tmp_path,
        [
            {
                "date": "2025-01-03",
                "id": "s1",
                "title": "Half an emoji \ud83d here",
                "body": "A body with a lone surrogate \udc00 inside. Second sentence.",
            },
        ],
    )
    first = pipeline.run_ingest(cfg, store)
    assert first.results[0].added == 1
    with store.session() as s:
        row = s.scalars(select(Release)).one()
        assert row.title == "Half an emoji \ufffd here"
        assert "\ufffd" in row.body and "\udc00" not in row.body
    again = pipeline.run_ingest(cfg, store)
    assert again.results[0].unchanged == 1 and not again.changed


def test_control_characters_never_reach_store_or_feeds(
    make_config: Callable[..., Config], store: Store, tmp_path: Path
) -> None:
    cfg = _jsonl_config(
        make_config,
        tmp_path,
        [
            {
                "date": "2025-01-02",
                "id": "c1",
                "title": "Bell\x07 and escape\x1b[31m title",
                "body": "Vertical\x0btab, form\x0cfeed, NUL\x00 byte. Second sentence.\n\nTab\tstays.",
                "summary": "Sum\x01mary",
            },
        ],
    )
    pipeline.run_ingest(cfg, store)
    with store.session() as s:
        row = s.scalars(select(Release)).one()
        stored = (row.title, row.summary, row.body)
    for text in stored:
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text), repr(text)
    assert stored[2].startswith("Vertical tab, form feed, NUL byte.") and "Tab\tstays." in stored[2]
    pipeline.build_feeds(cfg, store)
    for name in ("all.atom", "all.rss"):
        d = feedparser.parse((cfg.feeds.dir / name).read_bytes())
        assert d.bozo == 0, (name, d.get("bozo_exception"))
        assert d.entries[0].title == "Bell and escape[31m title"
    assert pipeline.run_ingest(cfg, store).results[0].unchanged == 1


def test_overlong_explicit_title_is_cut_to_fit_the_store(
    make_config: Callable[..., Config], store: Store, tmp_path: Path
) -> None:
    long_title = " ".join(["Ministerial"] * 120)  # 1439 characters; the column holds 400
    cfg = _jsonl_config(
        make_config,
        tmp_path,
        [
            {"date": "2025-01-02", "id": "t1", "title": long_title, "body": "Body. More."},
        ],
    )
    assert pipeline.run_ingest(cfg, store).results[0].added == 1
    with store.session() as s:
        title = s.scalars(select(Release.title)).one()
    assert len(title) <= 400 and title.endswith("…") and title.startswith("Ministerial Ministerial")
    assert pipeline.run_ingest(cfg, store).results[0].unchanged == 1
