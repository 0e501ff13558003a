"""Row dump of first ingests: every row a first ingest writes, to compare before and after a speed change.

Run by hand:  .venv/bin/python -m benchmarks.ingest_dump OUT_DIR [SET ...]
Sets: seed (tests/fixtures releases.txt + projects.txt), dev (tests/fixtures/devset), synthetic (link_bench's
2,000 releases with the 8 sample projects), synthetic1000 (the same releases with 1,000 synthetic projects).
Writes OUT_DIR/<set>.jsonl: the projects, then each release with its topic, region, country and link rows
(scores, reasons, evidence), keyed by release key and project slug; timestamps left out. Compare with `cmp`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.ingest_bench import make_releases
from benchmarks.link_bench import SEED_PROJECTS, make_projects

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SKIP = {"id", "created_at", "updated_at"}


def _sources(name: str, root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if name == "seed":
        return (
            {"name": "projects", "kind": "project-pages", "path": str(FIXTURES / "projects.txt")},
            {"name": "releases", "kind": "release-text", "path": str(FIXTURES / "releases.txt")},
        )
    if name == "dev":
        return (
            {"name": "projects", "kind": "projects-file", "path": str(FIXTURES / "devset" / "projects.toml")},
            {"name": "releases", "kind": "jsonl", "path": str(FIXTURES / "devset" / "releases.jsonl")},
        )
    make_releases(root / "releases.txt", 2000)
    releases = {"name": "releases", "kind": "release-text", "path": str(root / "releases.txt")}
    if name == "synthetic":
        return {"name": "projects", "kind": "project-pages", "path": str(SEED_PROJECTS)}, releases
    make_projects(root / "projects.json", 1000)
    return {"name": "projects", "kind": "projects-file", "path": str(root / "projects.json")}, releases


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, list, dict, type(None))) else str(value)


def dump(name: str, out: Path) -> None:
    import sqlalchemy as sa

    from publisher import pipeline
    from publisher.config import config_from_dict
    from publisher.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        projects, releases = _sources(name, root)
        cfg = config_from_dict({"store": {"url": "sqlite:///dump.db"}, "sources": [projects, releases]}, root=root)
        pipeline.run_ingest(cfg, sources=["projects"])
        pipeline.run_ingest(cfg, sources=["releases"])
        store = Store(cfg.database_url)
        # Raw rows as stored (JSON as its text, dates as SQLite keeps them), not as the column types read them.
        with store.engine.connect() as conn, out.open("w", encoding="utf-8") as fh:

            def rows(sql: str) -> Any:
                return conn.execute(sa.text(sql).columns())

            slugs = {r.id: r.slug for r in rows("SELECT id, slug FROM projects")}
            for r in rows("SELECT * FROM projects ORDER BY slug"):
                fh.write(json.dumps({k: _plain(v) for k, v in r._mapping.items() if k not in SKIP}) + "\n")
            tags: dict[str, dict[int, list[Any]]] = {n: {} for n in TAGS}
            for n in TAGS:
                for r in rows(f"SELECT * FROM {n}"):
                    row = {k: _plain(v) for k, v in r._mapping.items() if k != "release_id"}
                    if "project_id" in row:
                        row["project_id"] = slugs[row["project_id"]]
                    tags[n].setdefault(r.release_id, []).append(row)
            for r in rows("SELECT * FROM releases ORDER BY key"):
                row = {k: _plain(v) for k, v in r._mapping.items() if k not in SKIP}
                for n in TAGS:
                    row[n] = sorted(tags[n].get(r.id, []), key=lambda x: json.dumps(x, sort_keys=True))
                fh.write(json.dumps(row, sort_keys=True) + "\n")
        store.dispose()


TAGS = ("release_topics", "release_regions", "release_countries", "release_projects")
SETS = ("seed", "dev", "synthetic", "synthetic1000")


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:] or SETS:
        dump(name, out / f"{name}.jsonl")
        print(f"{name}: {sum(1 for _ in (out / f'{name}.jsonl').open())} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
