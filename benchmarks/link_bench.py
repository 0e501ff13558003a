"""Linking benchmark: ingest rate with 8 vs 1,000 projects, and first ingest against a bare Core insert.

Run by hand:  .venv/bin/python -m benchmarks.link_bench [RELEASES] [PROJECTS] [REPEATS]
(defaults 2000, 1000, 3). Targets: the release rate at 1,000 projects stays ≥ 0.5× the 8-project rate, and a
first ingest takes ≤ 3× a bare SQLAlchemy Core insert of the same rows, given against the release rows alone and
against all the rows it writes (releases, topics, regions, countries, project links). Medians of REPEATS runs.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.ingest_bench import make_releases

REPO = Path(__file__).resolve().parent.parent
SEED_PROJECTS = REPO / "data" / "projects.txt"
COUNTRIES = ["Armenia", "Azerbaijan", "Georgia", "Moldova", "Ukraine", "Kazakhstan", "Kyrgyzstan", "Tajikistan",
             "Uzbekistan", "Turkmenistan", "Nigeria", "Ghana", "Senegal", "Tunisia", "Morocco", "Iraq", "Pakistan",
             "Afghanistan", "Jordan", "Lebanon", "Serbia", "Albania", "North Macedonia", "Bosnia and Herzegovina",
             "Türkiye", "Egypt", "Libya", "Niger", "Mali", "Ethiopia"]  # fmt: skip
WORDS = ["Border", "Migration", "Mobility", "Return", "Asylum", "Labour", "Diaspora", "Protection", "Integration",
         "Governance", "Dialogue", "Capacity", "Security", "Partnership", "Reintegration", "Skills"]  # fmt: skip


def make_projects(path: Path, n: int, seed: int = 11) -> None:
    """n projects in the projects-file format: distinct names and acronyms, one to three countries, objectives
    recombined from the sample releases so classification and wording have work to do."""
    rng = random.Random(seed)
    text = (REPO / "data" / "releases.txt").read_text()
    sentences = [s.strip() + "." for s in text.split(". ") if 40 < len(s) < 300 and "Released" not in s]
    items = []
    for i in range(n):
        words = rng.sample(WORDS, 3)
        start = rng.randint(2012, 2024)
        items.append(
            {
                "name": f"{words[0]} and {words[1]} {words[2]} Action {i}",
                "acronym": "".join(w[0] for w in words) + f"X{i}",
                "objective": " ".join(rng.sample(sentences, 3)),
                "countries": rng.sample(COUNTRIES, rng.randint(1, 3)),
                "start": f"{start}-01-01",
                "end": f"{start + rng.randint(1, 4)}-12-31",
            }
        )
    path.write_text(json.dumps({"projects": items}), encoding="utf-8")


def _config(root: Path, projects: dict[str, Any]) -> Any:
    from publisher.config import config_from_dict

    return config_from_dict(
        {
            "store": {"url": "sqlite:///bench.db"},
            "sources": [projects, {"name": "releases", "kind": "release-text", "path": str(root / "releases.txt")}],
        },
        root=root,
    )


def release_rate(n_releases: int, n_projects: int) -> float:
    """Releases per second of a first release ingest into a store holding n_projects projects."""
    from publisher import pipeline

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_releases(root / "releases.txt", n_releases)
        if n_projects == 8:
            src = {"name": "projects", "kind": "project-pages", "path": str(SEED_PROJECTS)}
        else:
            make_projects(root / "projects.json", n_projects)
            src = {"name": "projects", "kind": "projects-file", "path": str(root / "projects.json")}
        cfg = _config(root, src)
        pipeline.run_ingest(cfg, sources=["projects"])
        t0 = time.perf_counter()
        summary = pipeline.run_ingest(cfg, sources=["releases"])
        took = time.perf_counter() - t0
        assert summary.results[0].added == n_releases
        return n_releases / took


# The rows a first release ingest writes: the releases and their tag and link rows (parents first).
TAG_TABLES = ("release_topics", "release_regions", "release_countries", "release_projects")


def _insert_all(engine: Any, tables: list[tuple[Any, list[dict[str, Any]]]]) -> float:
    """Seconds a bare Core insert of these rows takes: one transaction, 500 rows per executemany."""
    import sqlalchemy as sa

    t0 = time.perf_counter()
    with engine.begin() as conn:
        for table, rows in tables:
            for i in range(0, len(rows), 500):
                conn.execute(sa.insert(table), rows[i : i + 500])
    return time.perf_counter() - t0


def ingest_vs_core(n_releases: int) -> tuple[float, float, float, float]:
    """(first ingest s, bare Core insert of its release rows s, bare Core insert of all its rows s, CPU s of the
    first ingest), 8 projects.

    The floors insert exactly what the ingest stored, read back from that store before it is emptied again, so
    they pay for no parsing, tagging or linking: the release rows alone (as the issue measured), and the release
    rows with every topic, region, country and project-link row (what a first ingest really writes)."""
    import sqlalchemy as sa

    from publisher import pipeline
    from publisher.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_releases(root / "releases.txt", n_releases)
        cfg = _config(root, {"name": "projects", "kind": "project-pages", "path": str(SEED_PROJECTS)})
        pipeline.run_ingest(cfg, sources=["projects"])
        t0, c0 = time.perf_counter(), time.process_time()
        pipeline.run_ingest(cfg, sources=["releases"])
        ingest, cpu = time.perf_counter() - t0, time.process_time() - c0
        store = Store(cfg.database_url)
        meta = sa.MetaData()
        names = ("releases", *TAG_TABLES)
        tables = [sa.Table(name, meta, autoload_with=store.engine) for name in names]
        # Keep the ids: the tag rows point at them, as the ingest's did.
        with store.engine.connect() as conn:
            saved = [(t, [dict(r._mapping) for r in conn.execute(sa.select(t))]) for t in tables]

        def empty() -> None:
            with store.engine.begin() as conn:
                for t in reversed(tables):
                    conn.execute(sa.delete(t))

        # Release rows without their ids, as the floor inserted them.
        releases_only = [(tables[0], [{k: v for k, v in r.items() if k != "id"} for r in saved[0][1]])]
        empty()
        core = _insert_all(store.engine, releases_only)
        empty()
        core_all = _insert_all(store.engine, saved)
        store.dispose()
        return ingest, core, core_all, cpu


def measure(n_releases: int = 2000, n_projects: int = 1000, repeats: int = 3) -> dict[str, float]:
    # Interleaved, so a change in machine load hits both sizes alike (the machine is shared).
    pairs_rate = [(release_rate(n_releases, 8), release_rate(n_releases, n_projects)) for _ in range(repeats)]
    small = statistics.median(p[0] for p in pairs_rate)
    large = statistics.median(p[1] for p in pairs_rate)
    runs = [ingest_vs_core(n_releases) for _ in range(repeats)]
    return {
        "rate_8": small,
        "rate_large": large,
        "scaling": statistics.median(p[1] / p[0] for p in pairs_rate),
        "ingest_s": statistics.median(r[0] for r in runs),
        "core_s": statistics.median(r[1] for r in runs),
        "core_all_s": statistics.median(r[2] for r in runs),
        # CPU time of the first ingest (this process): under load it swings less than the wall clock.
        "ingest_cpu_s": statistics.median(r[3] for r in runs),
        # Each ratio within its own run (same load), then the median of the runs.
        "ingest_over_core": statistics.median(r[0] / r[1] for r in runs),
        "ingest_over_core_all": statistics.median(r[0] / r[2] for r in runs),
    }


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 2000
    p = int(argv[1]) if len(argv) > 1 else 1000
    k = int(argv[2]) if len(argv) > 2 else 3
    m = measure(n, p, k)
    print(f"{n} releases, medians of {k} runs")
    print(f"  8 projects:      {m['rate_8']:>7.0f} releases/s")
    print(
        f"  {p} projects: {m['rate_large']:>7.0f} releases/s   ({m['scaling']:.2f}× the 8-project rate; target ≥ 0.5)"
    )
    print(
        f"  first ingest {m['ingest_s']:.2f} s vs bare Core insert of the release rows {m['core_s']:.3f} s: "
        f"{m['ingest_over_core']:.1f}× (target ≤ 3)"
    )
    print(
        f"  first ingest {m['ingest_s']:.2f} s vs bare Core insert of all its rows {m['core_all_s']:.3f} s: "
        f"{m['ingest_over_core_all']:.1f}× (target ≤ 3)"
    )
    cpu = m["ingest_cpu_s"]
    print(f"  first ingest CPU time {cpu:.2f} s ({cpu / n * 1e6:.0f} µs per release)")
    print(f"  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def quick() -> list[dict[str, object]]:
    """Small-size figures for benchmarks.run."""
    m = measure(500, 1000, 1)
    return [
        {"case": "500 releases", "metric": "rate, 1000 vs 8 projects", "value": m["scaling"], "unit": "×"},
        {
            "case": "500 releases",
            "metric": "first ingest / bare Core insert of the release rows",
            "value": m["ingest_over_core"],
            "unit": "×",
        },
        {
            "case": "500 releases",
            "metric": "first ingest / bare Core insert of all its rows",
            "value": m["ingest_over_core_all"],
            "unit": "×",
        },
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
