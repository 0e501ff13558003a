"""Ingest benchmark: time and peak memory of ingesting N synthetic releases (streaming check).

Run by hand:  .venv/bin/python -m benchmarks.ingest_bench 10000 50000
Each size runs in a fresh subprocess so peak RSS (ru_maxrss) is that run's own.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "releases.txt"
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def make_releases(path: Path, n: int, seed: int = 7) -> int:
    """Write n releases in the seed text format, bodies recombined from the seed so tagging has work to do."""
    rng = random.Random(seed)
    bodies = [line for line in SEED.read_text().splitlines() if line and not line.startswith("Released")]
    sentences = [s.strip() + "." for b in bodies for s in b.split(". ") if len(s) > 30]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(2015, 2025)
            body = f"Release {i}: " + " ".join(rng.sample(sentences, 4))
            fh.write(f"Released {day:02d} {month} {year}\n{body}\n")
    return path.stat().st_size


def run_one(n: int) -> dict[str, float]:
    from publisher import pipeline
    from publisher.config import config_from_dict

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = make_releases(root / "releases.txt", n)
        cfg = config_from_dict(
            {
                "store": {"url": "sqlite:///store/bench.db"},
                "sources": [
                    {"name": "projects", "kind": "project-pages", "path": str(REPO / "data" / "projects.txt")},
                    {"name": "releases", "kind": "release-text", "path": str(root / "releases.txt")},
                ],
            },
            root=root,
        )
        t0 = time.perf_counter()
        summary = pipeline.run_ingest(cfg)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        pipeline.run_ingest(cfg)
        again = time.perf_counter() - t0
        added = summary.results[-1].added
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "file_mb": size / 1e6,
        "added": added,
        "ingest_s": first,
        "reingest_s": again,
        "peak_rss_mb": peak_mb,
    }


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        print(json.dumps(run_one(int(argv[1]))))
        return
    sizes = [int(a) for a in argv] or [10_000, 50_000]
    print(f"{'releases':>9} {'file MB':>8} {'ingest s':>9} {'rel/s':>7} {'re-ingest s':>11} {'peak RSS MB':>11}")
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.ingest_bench", "--one", str(n)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['n']:>9} {r['file_mb']:>8.1f} {r['ingest_s']:>9.1f} {r['n'] / r['ingest_s']:>7.0f} "
            f"{r['reingest_s']:>11.1f} {r['peak_rss_mb']:>11.0f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])


def quick() -> list[dict[str, object]]:
    """Small-size figures for benchmarks.run."""
    r = run_one(1000)
    case = f"{r['n']} releases"
    return [
        {"case": case, "metric": "first ingest", "value": r["n"] / r["ingest_s"], "unit": "releases/s"},
        {"case": case, "metric": "re-ingest, nothing changed", "value": r["reingest_s"], "unit": "s"},
        {"case": case, "metric": "peak RSS", "value": r["peak_rss_mb"], "unit": "MB"},
    ]
