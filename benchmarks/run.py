"""Run every benchmark at a small size and print one table: `make bench` or `python -m benchmarks.run [NAME ...]`.

A benchmark module in this folder takes part by defining `quick() -> list[dict]`: rows with the keys `case`,
`metric`, `value` and `unit`, measured at a size that takes seconds, not minutes. Each module runs in a fresh
subprocess so its peak memory is its own. The full-size runs stay in each module's own `main` (see README.md).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def discover() -> list[str]:
    """Names of the benchmark modules that define quick(), in name order."""
    names = []
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda i: i.name):
        if info.name in {"run", "__init__"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "quick", None)):
            names.append(info.name)
    return names


def run_one(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = importlib.import_module(f"benchmarks.{name}").quick()
    return rows


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(argv[1])))
        return 0
    names = argv or discover()
    table: list[tuple[str, str, str, str]] = []
    failed = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--one", name], cwd=REPO, capture_output=True, text=True
        )
        if proc.returncode != 0:
            failed.append(name)
            print(proc.stdout[-2000:] + proc.stderr[-4000:], file=sys.stderr)
            continue
        for row in json.loads(proc.stdout.strip().splitlines()[-1]):
            table.append((name, str(row["case"]), str(row["metric"]), f"{_format(row['value'])} {row['unit']}".strip()))
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(HEADER)]
    print("  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


HEADER = ("benchmark", "case", "metric", "value")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
