"""Feeds benchmark: full build vs. one-release incremental rebuilds over N synthetic releases (run by hand).

Incremental rebuilds are measured both ways: with the touched keys an ingest returns (what `publisher run` and the
scheduler pass: the fast path) and without them (a separate `publisher feeds build`: whole-catalog fingerprints).

Run:  .venv/bin/python -m benchmarks.feeds_bench 10000 100000
Rows are bulk-inserted with SQLAlchemy core into a SQLite store in a temp dir; tags are drawn from the
default taxonomy (cfg.taxonomy), ~1-3 topics, 0-2 regions, 1-3 countries and 0-2 project links per release.
Each size runs in a fresh subprocess so peak RSS is that run's own.
"""

from __future__ import annotations

import dataclasses
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
    words = [
        "border",
        "migration",
        "labour",
        "return",
        "asylum",
        "training",
        "conference",
        "study",
        "dialogue",
        "partnership",
        "capacity",
        "integration",
        "data",
        "smuggling",
        "trafficking",
        "policy",
        "regional",
        "cooperation",
        "support",
        "launch",
    ]
    with store.session() as s:  # type: ignore[attr-defined]
        sync_taxonomy(s, cfg.taxonomy)  # type: ignore[attr-defined]
        s.execute(
            insert(Project),
            [
                dict(
                    id=p,
                    slug=f"project-{p}",
                    source="bench",
                    name=f"Project {p}",
                    acronym=f"P{p}",
                    url=f"https://www.example.org/projects/{p}",
                    content_hash=f"p{p}",
                    countries=[],
                    topics=[],
                    regions=[],
                    specific_objectives=[],
                    agencies=[],
                    donors=[],
                    created_at=now,
                    updated_at=now,
                )
                for p in range(1, N_PROJECTS + 1)
            ],
        )
    for start in range(1, n + 1, BATCH):
        ids = range(start, min(n, start + BATCH - 1) + 1)
        rels, rt, rr, rc, rp = [], [], [], [], []
        for i in ids:
            day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3800))
            title = " ".join(rng.choice(words) for _ in range(8)).capitalize() + f" {i}"
            body = "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(3))
            rels.append(
                dict(
                    id=i,
                    key=f"k{i}",
                    guid=f"tag:bench.example.org,{day}:news/r-{i}",
                    slug=f"r-{i}",
                    source="bench",
                    published=day,
                    title=title,
                    summary=body[:280],
                    body=body,
                    url=f"https://news.example.org/news/r-{i}.html",
                    content_hash=f"h{i}",
                    created_at=now,
                    updated_at=now,
                )
            )
            rt += [dict(release_id=i, topic=t, score=1.0, reasons=[]) for t in rng.sample(topics, rng.randint(1, 3))]
            rr += [dict(release_id=i, region=r, score=1.0, reasons=[]) for r in rng.sample(regions, rng.randint(0, 2))]
            rc += [
                dict(release_id=i, country=c, score=1.0, reasons=[]) for c in rng.sample(countries, rng.randint(1, 3))
            ]
            rp += [
                dict(release_id=i, project_id=p, score=round(rng.uniform(0.5, 1), 3), reasons=["same country"])
                for p in rng.sample(range(1, N_PROJECTS + 1), rng.randint(0, 2))
            ]
        with store.session() as s:  # type: ignore[attr-defined]
            s.execute(insert(Release), rels)
            for model, rows in ((ReleaseTopic, rt), (ReleaseRegion, rr), (ReleaseCountry, rc), (ReleaseProject, rp)):
                if rows:
                    s.execute(insert(model), rows)


def add_release(store: object, cfg: object, rid: int, when: dt.datetime) -> set[str]:
    """A new release tagged and linked as ingest stores it, with its ingest run; returns ingest's touched keys."""
    from publisher.models import IngestRun, Release, ReleaseProject, ReleaseRegion, ReleaseTopic, RunStatus

    topics = sorted(cfg.taxonomy.topics)[:2]  # type: ignore[attr-defined]
    region = min(cfg.taxonomy.regions)  # type: ignore[attr-defined]
    slug = f"new-{rid}"
    with store.session() as s:  # type: ignore[attr-defined]
        s.add(
            Release(
                id=rid,
                key=slug,
                guid=f"tag:bench.example.org,2026-01-01:news/{slug}",
                slug=slug,
                source="bench",
                published=dt.date(2026, 1, 1) + dt.timedelta(days=rid % 7),
                title="New release",
                summary="New.",
                body="New release text.",
                url=f"https://news.example.org/news/{slug}.html",
                content_hash=slug,
                created_at=when,
                updated_at=when,
            )
        )
        s.flush()
        s.add_all([ReleaseTopic(release_id=rid, topic=t, score=1.0, reasons=[]) for t in topics])
        s.add(ReleaseRegion(release_id=rid, region=region, score=1.0, reasons=[]))
        s.add(ReleaseProject(release_id=rid, project_id=1, score=0.9, reasons=["named"]))
        run = IngestRun(source="bench", started_at=when, finished_at=when, status=RunStatus.OK, added=1, details={})
        s.add(run)
        s.flush()
        run_id = run.id
    return {
        "all",
        *(f"topic:{t}" for t in topics),
        f"region:{region}",
        "project:project-1",
        f"release:{slug}",
        f"run:{run_id}",
    }


def edit_release(store: object, rid: int, when: dt.datetime) -> set[str]:
    """Edit an old release's text as ingest does (new hash and update time, run recorded); returns touched keys."""
    from sqlalchemy import select, update

    from publisher.models import IngestRun, Project, Release, ReleaseProject, ReleaseRegion, ReleaseTopic, RunStatus

    with store.session() as s:  # type: ignore[attr-defined]
        s.execute(
            update(Release)
            .where(Release.id == rid)
            .values(title=f"Edited headline {rid}", content_hash=f"edited-{rid}", updated_at=when)
        )
        keys = {"all", f"release:{s.scalar(select(Release.slug).where(Release.id == rid))}"}
        keys |= {f"topic:{t}" for t in s.scalars(select(ReleaseTopic.topic).where(ReleaseTopic.release_id == rid))}
        keys |= {f"region:{r}" for r in s.scalars(select(ReleaseRegion.region).where(ReleaseRegion.release_id == rid))}
        keys |= {
            f"project:{p}"
            for p in s.scalars(
                select(Project.slug)
                .join(ReleaseProject, ReleaseProject.project_id == Project.id)
                .where(ReleaseProject.release_id == rid)
            )
        }
        run = IngestRun(source="bench", started_at=when, finished_at=when, status=RunStatus.OK, updated=1, details={})
        s.add(run)
        s.flush()
        keys.add(f"run:{run.id}")
    return keys


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_one(n: int) -> dict[str, float]:
    from publisher import pipeline
    from publisher.config import config_from_dict
    from publisher.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = config_from_dict(
            {
                "site": {"base_url": "https://news.example.org/"},
                "store": {"url": f"sqlite:///{root}/bench.db"},
                "feeds": {"dir": "feeds"},
            },
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

        def timed(**kw: object) -> tuple[float, float, object]:
            t, c = time.perf_counter(), time.process_time()
            out = pipeline.build_feeds(cfg, store, **kw)  # type: ignore[arg-type]
            return time.perf_counter() - t, time.process_time() - c, out

        # One new release, newest of all, stored as an ingest stores it (tagged, linked, its run recorded): it enters
        # "all", two topic feeds, a region feed and a project feed, and gets its page.
        later = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
        touched_new = add_release(store, cfg, n + 1, later)
        # What `publisher run` / the scheduler do: pass the ingest's touched keys (fast path).
        t_fast, c_fast, fast = timed(touched=touched_new)
        assert fast.touched_only, "the fast path was not taken"
        # What a separate `publisher feeds build` does: no keys, so the whole catalog is fingerprinted.
        add_release(store, cfg, n + 2, later)
        t_inc, c_inc, inc = timed()

        # One old release edited (new text, hash and update time): its page, and its feeds (which the ingest names).
        touched_edit = edit_release(store, n // 2, later)
        t_fedit, c_fedit, fedit = timed(touched=touched_edit)
        assert fedit.touched_only
        edit_release(store, n // 2 + 1, later)
        t_edit, c_edit, edit = timed()

        manifest_kb = (cfg.feeds.dir / ".publisher-feeds.json").stat().st_size // 1024
        peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # before the check below
        # The fast path must leave exactly what a full build writes.
        fresh = dataclasses.replace(cfg, feeds=dataclasses.replace(cfg.feeds, dir=root / "fresh"))
        pipeline.build_feeds(fresh, store, full=True)
        assert tree(cfg.feeds.dir) == tree(root / "fresh"), "fast path output differs from a full build"
        store.dispose()
        return {
            "releases": n,
            "populate_s": round(t_populate, 2),
            "full_s": round(t_full, 2),
            "full_cpu_s": round(c_full, 2),
            "full_files": len(full.written),
            "noop_s": round(t_noop, 2),
            "noop_cpu_s": round(c_noop, 2),
            "noop_files": len(noop.written),
            "fast_new_release_s": round(t_fast, 3),
            "fast_new_release_cpu_s": round(c_fast, 3),
            "fast_new_release_files": len(fast.written),
            "fast_old_edit_s": round(t_fedit, 3),
            "fast_old_edit_cpu_s": round(c_fedit, 3),
            "fast_old_edit_files": len(fedit.written),
            "new_release_s": round(t_inc, 2),
            "new_release_cpu_s": round(c_inc, 2),
            "new_release_files": len(inc.written),
            "old_edit_s": round(t_edit, 2),
            "old_edit_cpu_s": round(c_edit, 2),
            "old_edit_files": len(edit.written),
            "full_over_fast_wall": round(t_full / t_fast, 1),
            "full_over_fast_cpu": round(c_full / c_fast, 1),
            "full_over_incremental_wall": round(t_full / t_inc, 1),
            "manifest_kb": manifest_kb,
            "peak_rss_mb": peak_rss_mb,
        }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(argv[1]))))
        return
    for n in [int(a) for a in argv] or [10_000, 100_000]:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.feeds_bench", "--one", str(n)],
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
        {"case": case, "metric": "full build", "value": r["full_s"], "unit": "s"},
        {"case": case, "metric": "no-op build", "value": r["noop_s"], "unit": "s"},
        {"case": case, "metric": "touched-only build, one new release", "value": r["fast_new_release_s"], "unit": "s"},
        {"case": case, "metric": "full / touched-only (wall)", "value": r["full_over_fast_wall"], "unit": "x"},
        {"case": case, "metric": "peak RSS", "value": r["peak_rss_mb"], "unit": "MB"},
    ]
