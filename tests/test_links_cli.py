"""CLI over a real store: `explain RELEASE`, `projects --discovered`, and what `export` carries for links."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli


def _release(conf: str, capsys: pytest.CaptureFixture[str], contains: str) -> dict:  # type: ignore[type-arg]
    _, out, _ = run_cli(["releases", "--config", conf, "--json"], capsys)
    (row,) = [r for r in map(json.loads, out.splitlines()) if contains in r["body"]]
    return row  # type: ignore[no-any-return]


def test_explain_prints_every_candidate_with_evidence_and_why_losers_lost(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(config_file())
    run_cli(["ingest", "--config", conf], capsys)
    bomca = _release(conf, capsys, "BOMCA 10 has launched")
    code, out, _ = run_cli(["explain", "--config", conf, bomca["guid"]], capsys)
    assert code == 0
    assert "linked 0.82" in out and "Names BOMCA 10" in out  # phase and country; acronyms are no wording
    assert "mention" not in out.split("linked")[0]  # the header comes first
    assert "phase    +0.55  BOMCA 10" in out
    code, out, _ = run_cli(["explain", "--config", conf, "--json", bomca["guid"]], capsys)
    doc = json.loads(out)
    (linked,) = [c for c in doc["candidates"] if c["linked"]]
    assert linked["project"] and linked["evidence"][0] == {"kind": "phase", "weight": 0.55, "detail": "BOMCA 10"}
    assert linked["score"] == pytest.approx(min(1.0, sum(e["weight"] for e in linked["evidence"])), abs=1e-3)
    # A loser says why it lost: by default, that the release does not name it ...
    ukraine = _release(conf, capsys, "Vice Prime Minister")
    _, out, _ = run_cli(["explain", "--config", conf, "--json", ukraine["guid"]], capsys)
    losers = [c for c in json.loads(out)["candidates"] if not c["linked"]]
    assert losers and all(c["why"] == "not named (linking.unnamed is off)" for c in losers)
    # ... and with unnamed links on, that it shares a country with a project that ended years before.
    unnamed = str(config_file(linking={"unnamed": True}))
    _, out, _ = run_cli(["explain", "--config", unnamed, "--json", ukraine["guid"]], capsys)
    losers = [c for c in json.loads(out)["candidates"] if not c["linked"]]
    assert any("outside the project's dates" in c["why"] for c in losers)
    code, _, err = run_cli(["explain", "--config", conf, "no-such-release"], capsys)
    assert code == 1 and "NotFoundError: no release 'no-such-release'" in err


def test_projects_discovered_lists_names_the_list_lacks(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(config_file())
    run_cli(["ingest", "--config", conf], capsys)
    code, out, _ = run_cli(["projects", "--config", conf, "--discovered", "--json"], capsys)
    assert code == 0
    found = {d["name"]: d for d in map(json.loads, out.splitlines())}
    assert {"HEROES", "MoNIS", "PROTECT", "SBS", "EMLINK"} <= set(found)
    assert found["HEROES"]["releases"] == 1 and len(found["HEROES"]["examples"]) == 1
    # Names of listed projects are not "discovered", in any of their forms.
    assert not {"BOMCA", "BOMCA 10", "Prague Process", "RESTART"} & set(found)


def test_export_carries_source_id_body_and_weighted_evidence(
    tmp_path: Path, config_file: Callable[..., Path], sample_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "news.jsonl"
    feed.write_text(
        json.dumps({"id": "news-42", "date": "2025-03", "title": "BOMCA 10 news", "body": "BOMCA 10 met in Bishkek."})
        + "\n"
    )
    sources = [
        {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
        {"name": "feed", "kind": "jsonl", "path": str(feed)},
    ]
    conf = str(config_file(sources=sources))
    run_cli(["ingest", "--config", conf], capsys)
    _, out, _ = run_cli(["export", "--config", conf], capsys)
    (row,) = [r for r in map(json.loads, out.splitlines()) if r["source_id"] == "news-42"]
    assert row["body"] == "BOMCA 10 met in Bishkek." and row["source"] == "feed"
    assert row["date"] == "2025-03-01" and row["date_precision"] == "month"
    (link,) = row["projects"]
    assert link["reasons"] == ["Names BOMCA 10"]
    assert [e["kind"] for e in link["evidence"]][:1] == ["phase"] and all(e["weight"] > 0 for e in link["evidence"])
