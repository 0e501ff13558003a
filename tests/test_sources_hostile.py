"""Hostile source input: absurdly deep JSON or TOML gives `file:line` errors and leaves the store unchanged, and
random bytes in any source kind give records or SourceErrors, never another exception (issue 11, item 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
from sqlalchemy import func, select

import publisher.sources  # noqa: F401  (registers every kind)
from publisher.config import Config, SourceConfig
from publisher.errors import SourceError
from publisher.ingest import ingest_source
from publisher.models import IngestRun, Release, RunStatus
from publisher.sources.base import Skipped, make_source
from publisher.store import Store

DEEP = 100_000
GOOD = '{"date": "2025-03-01", "body": "A release that is fine."}\n'


def _read(kind: str, path: Path, *, skip: bool = False) -> tuple[list[Any], list[Skipped]]:
    skipped: list[Skipped] = []
    src = SourceConfig(name="s", kind=kind, path=path)
    return list(make_source(src, Config()).read(skipped.append if skip else None)), skipped


def test_deep_jsonl_line_is_an_error_at_its_line(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(GOOD + "[" * DEEP + "]" * DEEP + "\n" + GOOD, encoding="utf-8")
    with pytest.raises(SourceError, match=r"r\.jsonl:2: invalid JSON: nested too deeply"):
        _read("jsonl", f)
    records, skipped = _read("jsonl", f, skip=True)
    assert len(records) == 2 and [s.where for s in skipped] == [f"{f}:2"]


def test_deep_object_in_a_jsonl_field_is_an_error_too(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"date": "2025-03-01", "body": "x", "extra": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}\n")
    with pytest.raises(SourceError, match=r"r\.jsonl:1: invalid JSON: nested too deeply"):
        _read("jsonl", f)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("p.json", '{"projects": [\n{"name": "A"},\n' + "[" * DEEP + "]" * DEEP + "\n]}", 3),
        ("p.toml", '[[projects]]\nname = "A"\n\n[[projects]]\nname = "B"\nx = ' + "[" * DEEP + "]" * DEEP + "\n", 6),
    ],
)
def test_deep_projects_file_is_an_error_naming_file_and_line(tmp_path: Path, name: str, text: str, line: int) -> None:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=rf"{re.escape(name)}:{line}: invalid (JSON|TOML): nested too deeply"):
        _read("projects-file", f)


def test_deep_json_leaves_the_store_unchanged(make_config: Callable[..., Config], store: Store, tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    cfg = make_config(sources=[{"name": "wire", "kind": "jsonl", "path": str(f)}])
    f.write_text(GOOD, encoding="utf-8")
    ingest_source(store, cfg, make_source(cfg.sources[0], cfg))
    f.write_text(
        GOOD.replace("fine", "edited") + '{"date": "2025-03-02", "body": "new"}\n' + "[" * DEEP + "\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"r\.jsonl:3: invalid JSON: nested too deeply"):
        ingest_source(store, cfg, make_source(cfg.sources[0], cfg))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 1
        assert session.scalar(select(Release.body)) == "A release that is fine."
        last = session.scalars(select(IngestRun).order_by(IngestRun.id.desc())).first()
        assert last is not None and last.status is RunStatus.FAILED and "nested too deeply" in last.error


# ---------------------------------------------------------------- fuzzing every source kind

KINDS = [
    ("release-text", "r.txt"),
    ("project-pages", "p.txt"),
    ("projects-file", "p.toml"),
    ("projects-file", "p.json"),
    ("jsonl", "r.jsonl"),
    ("feed", "f.atom"),
]
# Fragments of each format, so random documents get past the first character often enough to be interesting.
FRAGMENTS = st.sampled_from(
    [
        "Released 3 March 2025\n",
        "Duration: January 2020 – 2019\n",
        "Objective: \n",
        "Countries: Atlantis, Uzbekistan\n",
        "[[projects]]\nname = ",
        '"x"\n',
        '{"date": "2025-02-30", "body": ',
        '{"projects": [{"name": ',
        "[",
        "]",
        "{",
        "}",
        '"\\ud800"',
        "<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>",
        "<published>2025-13-01</published>",
        "</entry></feed>",
        "<![CDATA[",
        "\x00",
        "\r\n",
        "\n\n",
    ]
)
DOCUMENTS = st.one_of(
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=30)), max_size=30).map("".join).map(str.encode),
    st.binary(max_size=400),
)


@pytest.mark.parametrize(("kind", "name"), KINDS, ids=[f"{k}:{n}" for k, n in KINDS])
@hypothesis.settings(
    max_examples=120, deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
@hypothesis.given(data=DOCUMENTS, skip=st.booleans())
def test_any_bytes_give_records_or_source_errors(tmp_path: Path, kind: str, name: str, data: bytes, skip: bool) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    try:
        _read(kind, f, skip=skip)
    except SourceError as exc:
        assert str(exc).startswith(str(f)), str(exc)
