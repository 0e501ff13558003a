"""Feeds benchmark: full build vs. one-release incremental rebuild over N synthetic releases (run by hand).

Run:  .venv/bin/python -m benchmarks.feeds_bench 10000 100000
Rows are bulk-inserted with SQLAlchemy core into a SQLite store in a temp dir; tags are drawn from the
default taxonomy (cfg.taxonomy), ~1-3 topics, 0-2 regions, 1-3 countries and 0-2 project links per release.
Each size runs in a fresh subprocess so peak RSS is that run's own.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
N_PROJECTS = 60
BATCH = 5000


def populate(store: object, cfg: object, n: int, seed: int = 11) -> None:
    from sqlalchemy import insert

    from publisher.ingest import sync_taxonomy
    from publisher.models import Project, Release, ReleaseCountry, ReleaseProject, ReleaseRegion, ReleaseTopic

    rng = random.Random(seed)
    now = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)
    topics = sorted(cfg.taxonomy.topics)  # type: ignore[attr-defined]
    regions = sorted(cfg.taxonomy.regions)  # type: ignore[attr-defined]
    countries = sorted({c for r in cfg.taxonomy.regions.values() for c in r.countries})  # type: ignore[attr-defined]
    words = ("border migration labour return asylum training conference study dialogue partnership capacity "
             "integration data smuggling trafficking policy regional cooperation support launch").split()
    with store.session() as s:  # type: ignore[attr-defined]
        sync_taxonomy(s, cfg.taxonomy)  # type: ignore[attr-defined]
        s.execute(insert(Project), [
            dict(id=p, slug=f"project-{p}", source="bench", name=f"Project {p}", acronym=f"P{p}",
                 url=f"https://www.example.org/projects/{p}", content_hash=f"p{p}", countries=[], topics=[],
                 regions=[], specific_objectives=[], agencies=[], donors=[], created_at=now, updated_at=now)
            for p in range(1, N_PROJECTS + 1)
        ])
    for start in range(1, n + 1, BATCH):
        ids = range(start, min(n, start + BATCH - 1) + 1)
        rels, rt, rr, rc, rp = [], [], [], [], []
        for i in ids:
            day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3800))
            title = " ".join(rng.choice(words) for _ in range(8)).capitalize() + f" {i}"
            body = "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(3))
            rels.append(dict(id=i, key=f"k{i}", guid=f"tag:bench.example.org,{day}:news/r-{i}", slug=f"r-{i}",
                             source="bench", published=day, title=title, summary=body[:280], body=body,
                             url=f"https://news.example.org/news/r-{i}.html", content_hash=f"h{i}",
                             created_at=now, updated_at=now))
            rt += [dict(release_id=i, topic=t, score=1.0, reasons=[]) for t in rng.sample(topics, rng.randint(1, 3))]
            rr += [dict(release_id=i, region=r, score=1.0, reasons=[]) for r in rng.sample(regions, rng.randint(0, 2))]
            rc += [dict(release_id=i, country=c, score=1.0, reasons=[])
                   for c in rng.sample(countries, rng.randint(1, 3))]
            rp += [dict(release_id=i, project_id=p, score=round(rng.uniform(0.5, 1), 3), reasons=["same country"])
                   for p in rng.sample(range(1, N_PROJECTS + 1), rng.randint(0, 2))]
        with store.session() as s:  # type: ignore[attr-defined]
            s.execute(insert(Release), rels)
            for model, rows in ((ReleaseTopic, rt), (ReleaseRegion, rr), (ReleaseCountry, rc), (ReleaseProject, rp)):
                if rows:
                    s.execute(insert(model), rows)


def run_one(n: int) -> dict[str, float]:
    from sqlalchemy import update

    from publisher import pipeline
    from publisher.config import config_from_dict
    from publisher.models import Release, ReleaseProject, ReleaseRegion, ReleaseTopic
    from publisher.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = config_from_dict(
            {"site": {"base_url": "https://news.example.org/"}, "store": {"url": f"sqlite:///{root}/bench.db"},
             "feeds": {"dir": "feeds"}},
            root=root,
        )
        store = Store(cfg.database_url)
        store.migrate()
        t = time.perf_counter()
        populate(store, cfg, n)
        t_populate = time.perf_counter() - t

        t, c = time.perf_counter(), time.process_time()
        full = pipeline.build_feeds(cfg, store, full=True)
        t_full, c_full = time.perf_counter() - t, time.process_time() - c

        t, c = time.perf_counter(), time.process_time()
        noop = pipeline.build_feeds(cfg, store)
        t_noop, c_noop = time.perf_counter() - t, time.process_time() - c

        # One new release, newest of all (as an ingest adds it: tagged and linked), then a plain build:
        # it enters "all", two topic feeds, a region feed and a project feed, and gets its page.
        later = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
        with store.session() as s:
            s.add(Release(id=n + 1, key="new", guid="tag:bench.example.org,2026-01-01:news/new", slug="new",
                          source="bench", published=dt.date(2026, 1, 1), title="New release", summary="New.",
                          body="New release text.", url="https://news.example.org/news/new.html",
                          content_hash="new", created_at=later, updated_at=later))
            s.flush()
            topics = sorted(cfg.taxonomy.topics)[:2]
            s.add_all([ReleaseTopic(release_id=n + 1, topic=t, score=1.0, reasons=[]) for t in topics])
            s.add(ReleaseRegion(release_id=n + 1, region=sorted(cfg.taxonomy.regions)[0], score=1.0, reasons=[]))
            s.add(ReleaseProject(release_id=n + 1, project_id=1, score=0.9, reasons=["named"]))
        t, c = time.perf_counter(), time.process_time()
        inc = pipeline.build_feeds(cfg, store)
        t_inc, c_inc = time.perf_counter() - t, time.process_time() - c

        # One old release edited (new text, hash and update time): only its page is stale.
        with store.session() as s:
            s.execute(update(Release).where(Release.id == n // 2).values(
                title="Edited headline", content_hash="edited", updated_at=later))
        t, c = time.perf_counter(), time.process_time()
        edit = pipeline.build_feeds(cfg, store)
        t_edit, c_edit = time.perf_counter() - t, time.process_time() - c
        manifest_kb = (cfg.feeds.dir / ".publisher-feeds.json").stat().st_size // 1024
        store.dispose()
        return {
            "releases": n, "populate_s": round(t_populate, 2),
            "full_s": round(t_full, 2), "full_cpu_s": round(c_full, 2), "full_files": len(full.written),
            "noop_s": round(t_noop, 2), "noop_cpu_s": round(c_noop, 2), "noop_files": len(noop.written),
            "new_release_s": round(t_inc, 2), "new_release_cpu_s": round(c_inc, 2),
            "new_release_files": len(inc.written),
            "old_edit_s": round(t_edit, 2), "old_edit_cpu_s": round(c_edit, 2), "old_edit_files": len(edit.written),
            "full_over_incremental_wall": round(t_full / t_inc, 1),
            "full_over_incremental_cpu": round(c_full / c_inc, 1),
            "manifest_kb": manifest_kb,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(argv[1]))))
        return
    for n in [int(a) for a in argv] or [10_000, 100_000]:
        out = subprocess.run([sys.executable, "-m", "benchmarks.feeds_bench", "--one", str(n)], cwd=REPO,
                             capture_output=True, text=True, check=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
