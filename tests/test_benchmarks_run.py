"""`make bench` finds every benchmark that offers a small-size run."""

from __future__ import annotations

from benchmarks import run


def test_bench_runner_discovers_every_quick_benchmark() -> None:
    found = set(run.discover())
    assert {"ingest_bench", "feeds_bench", "digest_bench"} <= found
    assert "run" not in found
