"""CLI: content commands over a real store, error formatting and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent


def test_ingest_then_query(config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(config_file())
    code, out, _ = run_cli(["ingest", "--config", conf], capsys)
    assert code == 0
    assert "releases: 25 added, 0 updated, 0 unchanged, 0 skipped" in out
    code, out, _ = run_cli(["--config", conf, "ingest"], capsys)
    assert "releases: 0 added, 0 updated, 25 unchanged" in out

    code, out, err = run_cli(["releases", "--config", conf, "--country", "tj", "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and all("TJ" in r["countries"] for r in rows)
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)

    code, out, err = run_cli(["releases", "--config", conf, "--since", "2025-03-01", "--until", "2025-03-31"], capsys)
    assert code == 0 and "releases" in err
    assert all(line.startswith("2025-03") for line in out.splitlines() if line[:1].isdigit())

    code, out, _ = run_cli(["projects", "--config", conf, "--json"], capsys)
    projects = [json.loads(line) for line in out.splitlines()]
    assert len(projects) == 8 and all(p["slug"] and p["name"] for p in projects)


def test_export_jsonl_shape(
    tmp_path: Path, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(config_file())
    run_cli(["ingest", "--config", conf], capsys)
    out_file = tmp_path / "export.jsonl"
    code, _, err = run_cli(["export", "--config", conf, "--format", "jsonl", "-o", str(out_file)], capsys)
    assert code == 0 and "exported 25 releases" in err
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert len(rows) == 25
    for r in rows:
        assert {"guid", "date", "title", "url", "topics", "countries", "regions", "projects"} <= set(r)
        for p in r["projects"]:
            assert set(p) >= {"name", "score", "reasons"} and p["reasons"]


def test_check_config(config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(config_file())
    code, out, _ = run_cli(["check-config", "--config", conf], capsys)
    assert code == 0 and out.rstrip().endswith(": OK")
    bad = config_file(feeds={"max_entries": "many"})
    code, out, err = run_cli(["check-config", "--config", str(bad)], capsys)
    assert code == 1
    assert err.strip() == f"ConfigError: {bad}: feeds.max_entries: expected an integer, got 'many'"


def test_errors_print_name_and_message(
    config_file: Callable[..., Path], sample_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = sample_dir / "releases.txt"
    f.write_text(f.read_text().rstrip("\n") + "\nReleased 31 February 2025\nNope.\n")
    conf = str(config_file())
    code, _, err = run_cli(["ingest", "--config", conf, "--source", "releases"], capsys)
    assert code == 1
    assert err.strip() == f"SourceError: {f}:51: impossible date '31 February 2025'"
    code, out, err = run_cli(["ingest", "--config", conf, "--source", "releases", "--skip-invalid"], capsys)
    assert code == 0 and "25 added" in out and "skipped" in err
    code, _, err = run_cli(["ingest", "--config", conf, "--source", "nope"], capsys)
    assert code == 1 and err.startswith("ConfigError: ") and "no source named 'nope'" in err


def test_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "publisher", "--help"], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    for command in ("ingest", "releases", "projects", "export", "check-config"):
        assert command in out
