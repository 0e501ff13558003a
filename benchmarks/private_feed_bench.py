"""Private feed benchmark: one GET's work (token check, selection, entries, Atom bytes) over N releases (by hand).

Run:  .venv/bin/python -m benchmarks.private_feed_bench 10000 100000
The store is feeds_bench's synthetic one (SQLite in a temp dir, default taxonomy tags). Each selection shape is
timed with `pipeline.private_feed` (what the web route calls), median of 7 calls after one warm-up:
no preferences, one topic, three topics, one topic and one region, and a rare pair of one topic and one region.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.feeds_bench import populate

REPO = Path(__file__).resolve().parent.parent
RUNS = 7


def run_one(n: int) -> dict[str, object]:
    import datetime as dt

    from publisher import pipeline
    from publisher import subscribers as subs
    from publisher.config import config_from_dict
    from publisher.models.mail import Frequency, Subscriber, SubscriberStatus
    from publisher.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = config_from_dict(
            {
                "site": {"base_url": "https://news.example.org/"},
                "store": {"url": f"sqlite:///{root}/bench.db"},
                "feeds": {"dir": "feeds"},
                "digest": {"secret_key": "benchmark-secret-not-for-production"},
            },
            root=root,
        )
        store = Store(cfg.database_url)
        store.migrate()
        populate(store, cfg, n)
        topics, regions = sorted(cfg.taxonomy.topics), sorted(cfg.taxonomy.regions)
        shapes = {
            "everything": ([], []),
            "one topic": (topics[:1], []),
            "three topics": (topics[:3], []),
            "topic + region": (topics[:1], regions[:1]),
            "rare pair": (topics[-1:], regions[-1:]),
        }
        now = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
        tokens: dict[str, str] = {}
        with store.session() as s:
            for i, (name, (t, r)) in enumerate(shapes.items()):
                sub = Subscriber(
                    email=f"bench{i}@example.org",
                    status=SubscriberStatus.ACTIVE,
                    frequency=Frequency.WEEKLY,
                    topics=t,
                    regions=r,
                    created_at=now,
                    confirmed_at=now,
                    updated_at=now,
                )
                s.add(sub)
                s.flush()
                tokens[name] = subs.feed_token(cfg, sub)
        out: dict[str, object] = {"releases": n}
        for name, token in tokens.items():
            body = pipeline.private_feed(cfg, token, "atom", store)  # warm-up
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                pipeline.private_feed(cfg, token, "atom", store)
                times.append(time.perf_counter() - t0)
            out[name] = {"median_ms": round(statistics.median(times) * 1000, 1), "bytes": len(body)}
        store.dispose()
        return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(argv[1]))))
        return
    for n in [int(a) for a in argv] or [10_000, 100_000]:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.private_feed_bench", "--one", str(n)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])


def quick() -> list[dict[str, object]]:
    """Small-size figures for benchmarks.run."""
    r = run_one(2000)
    case = f"{r['releases']} releases"
    return [
        {"case": case, "metric": f"private feed, {name}", "value": v["median_ms"], "unit": "ms"}  # type: ignore[index]
        for name, v in r.items()
        if name != "releases"
    ]
