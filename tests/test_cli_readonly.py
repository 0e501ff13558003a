"""Operator commands that read the store never create one, and unknown filter values are errors, not "0 found"."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PG_ENV, run_cli

from publisher.config import DATABASE_URL_ENV

# Every command that only reads the store (a mistyped store.url must not leave a new store behind).
READ_ONLY = [
    ["releases"],
    ["releases", "--json"],
    ["projects"],
    ["projects", "--discovered"],
    ["export"],
    ["explain", "some-release"],
    ["subscribers", "list"],
    ["jobs", "list"],
    ["jobs", "history"],
    ["ingest-history"],
    ["feeds", "list"],
    ["digest", "list"],
    ["digest", "preview", "--period", "2025-03"],
]

sqlite_only = pytest.mark.skipif(bool(os.environ.get(PG_ENV)), reason="file paths are SQLite's")


def _config_at(config_file: Callable[..., Path], url: str) -> str:
    return str(config_file(store={"url": url}))


@sqlite_only
@pytest.mark.parametrize("argv", READ_ONLY, ids=lambda a: " ".join(a))
def test_read_only_commands_do_not_create_a_missing_store(
    argv: list[str], tmp_path: Path, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "mistyped" / "publisher.db"
    conf = _config_at(config_file, f"sqlite:///{missing}")
    code, out, err = run_cli([*argv, "--config", conf], capsys)
    assert code == 1, (out, err)
    assert err.startswith("StoreError: "), err
    assert str(missing) in err and "store.url" in err and "publisher ingest" in err
    assert not missing.exists() and not missing.parent.exists()


@sqlite_only
def test_the_environment_variable_is_named_when_it_chose_the_store(
    tmp_path: Path,
    config_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = str(config_file())
    missing = tmp_path / "elsewhere.db"
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{missing}")
    code, _, err = run_cli(["releases", "--config", conf], capsys)
    assert code == 1 and DATABASE_URL_ENV in err and str(missing) in err
    assert not missing.exists()


@sqlite_only
@pytest.mark.parametrize("content", [b"", b"not a database at all\n"], ids=["empty", "foreign"])
def test_an_existing_file_that_is_no_store_is_an_error_and_left_alone(
    content: bytes, tmp_path: Path, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "blank.db"
    path.write_bytes(content)
    conf = _config_at(config_file, f"sqlite:///{path}")
    code, _, err = run_cli(["releases", "--config", conf], capsys)
    assert code == 1 and err.startswith("StoreError: ") and str(path) in err
    assert "not a publisher store" in err and ("publisher ingest" in err)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("blank")) == ["blank.db"]


def test_an_unmigrated_database_is_an_error_not_zero_releases(
    empty_db_url: str, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import create_engine, inspect, text

    from publisher.store import normalise_url

    engine = create_engine(normalise_url(empty_db_url))
    with engine.begin() as conn:  # a real database, but not a publisher store
        conn.execute(text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    conf = _config_at(config_file, empty_db_url)
    code, _, err = run_cli(["releases", "--config", conf], capsys)
    assert code == 1 and err.startswith("StoreError: ") and "not a publisher store" in err
    engine = create_engine(normalise_url(empty_db_url))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables == {"unrelated"}  # nothing migrated into it


@sqlite_only
def test_write_commands_still_create_the_store(
    tmp_path: Path, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "new" / "publisher.db"
    conf = _config_at(config_file, f"sqlite:///{fresh}")
    code, out, _ = run_cli(["ingest", "--config", conf], capsys)
    assert code == 0 and "releases: 25 added" in out and fresh.is_file()
    code, out, err = run_cli(["releases", "--config", conf], capsys)
    assert code == 0 and "25 releases" in err


@sqlite_only
def test_check_config_creates_nothing(
    tmp_path: Path, config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "not-yet" / "publisher.db"
    conf = _config_at(config_file, f"sqlite:///{missing}")
    code, out, _ = run_cli(["check-config", "--config", conf], capsys)
    assert code == 0 and "not created yet" in out
    assert not missing.parent.exists()


# ---- unknown filter values --------------------------------------------------------------------------


@pytest.fixture
def ingested_conf(config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> str:
    conf = str(config_file())
    code, _, _ = run_cli(["ingest", "--config", conf], capsys)
    assert code == 0
    return conf


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("--topic", "border-managment", "border-management"),
        ("--region", "central-asai", "central-asia"),
        ("--project", "bomca-99", "border-management-programme-in-central-asia-phase-9"),
    ],
)
def test_unknown_filter_values_are_errors_listing_the_valid_ones(
    option: str, value: str, valid: str, ingested_conf: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["releases", "--config", ingested_conf, option, value], capsys)
    assert code == 1 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"UsageError: {option}: unknown ") and repr(value) in first
    assert valid in err


def test_known_filter_values_still_filter(ingested_conf: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["releases", "--config", ingested_conf, "--topic", "border-management", "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows and all("border-management" in r["topics"] for r in rows)
    code, out, _ = run_cli(["projects", "--config", ingested_conf, "--json"], capsys)
    slug = json.loads(out.splitlines()[0])["slug"]
    code, _, err = run_cli(["releases", "--config", ingested_conf, "--project", slug], capsys)
    assert code == 0 and err.strip().endswith("releases")


def test_unknown_country_is_an_error_like_the_others(ingested_conf: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["releases", "--config", ingested_conf, "--country", "Atlantis"], capsys)
    assert code == 1 and err.startswith("UsageError: --country: unknown country 'Atlantis'")
    assert "ISO" in err
    for name in ("Türkiye", "Turkey", "TR"):
        code, _, err = run_cli(["releases", "--config", ingested_conf, "--country", name], capsys)
        assert code == 0, err
