"""Writing the feeds folder: atomic files, one build at a time (a lock), the manifest of the last build."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from publisher import fsio
from publisher.errors import FeedError
from publisher.feeds.model import PAGES_DIR, FeedsSummary
from publisher.progress import Progress

log = logging.getLogger(__name__)

# Bump when the output changes for the same data, so a non-full build knows every file is stale.
OUTPUT_VERSION = "2"
MANIFEST_NAME = ".publisher-feeds.json"
LOCK_NAME = ".publisher-feeds.lock"


def write_atomic(path: Path, data: bytes) -> bool:
    """fsio.write_atomic (temp file + rename, only when the bytes differ; mode 0644) raising FeedError."""
    return fsio.write_atomic(path, data, error=FeedError)


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """One build at a time per feeds folder (the scheduler and a manual `feeds build` may overlap)."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / LOCK_NAME, "a+b")  # noqa: SIM115  (held for the whole build)
    except OSError as exc:
        raise FeedError(f"cannot create feeds folder {folder}: {exc.strerror}") from None
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_manifest(folder: Path) -> dict[str, Any]:
    """What the last build wrote: per feed its fingerprint and files, per release page its fingerprint."""
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # A damaged manifest only costs a rebuild; the files themselves are still compared byte for byte.
        log.warning("ignoring unreadable feeds manifest %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) and data.get("version") == OUTPUT_VERSION else {}


def write_manifest(folder: Path, manifest: dict[str, Any], previous: dict[str, Any]) -> None:
    if manifest != previous:  # encoding 100k page fingerprints is not free; skip it when nothing changed
        write_atomic(
            folder / MANIFEST_NAME, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
        )


class Emitter:
    """Writes (or, in a dry run, compares) rendered files and counts them into the summary."""

    def __init__(self, folder: Path, summary: FeedsSummary, progress: Progress) -> None:
        self.folder, self.summary, self.progress = folder, summary, progress

    def __call__(self, rel: str, data: bytes) -> None:
        self.summary.planned += 1
        path = self.folder / rel
        if self.summary.dry_run:
            try:
                changed = path.read_bytes() != data
            except OSError:
                changed = True
        else:
            changed = write_atomic(path, data)
        if changed:
            self.summary.written.append(path)
        self.progress.advance(1)

    def remove(self, rel: str) -> None:
        path = self.folder / rel
        if path.is_file():
            self.summary.removed.append(path)
            if not self.summary.dry_run:
                try:
                    path.unlink()
                except OSError as exc:
                    raise FeedError(f"cannot remove {path}: {exc.strerror}") from None


def listdir(folder: Path) -> set[str]:
    """The names in a folder (none when it is missing): one directory read instead of a stat per file."""
    try:
        with os.scandir(folder) as it:
            return {e.name for e in it}
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise FeedError(f"cannot read {folder}: {exc.strerror}") from None


def existing_outputs(folder: Path) -> set[str]:
    """Feed files and release pages found on disk in the folders this step owns (not operator files)."""
    found: set[str] = set()
    for sub, patterns in (
        ("topics", ("*.atom", "*.rss", "*.json")),
        ("regions", ("*.atom", "*.rss", "*.json")),
        ("projects", ("*.atom", "*.rss", "*.json")),
        (PAGES_DIR, ("*.html",)),
    ):
        for pattern in patterns:
            found.update(p.relative_to(folder).as_posix() for p in (folder / sub).glob(pattern))
    for pattern in ("all.atom", "all.rss", "all.json"):
        if (folder / pattern).is_file():
            found.add(pattern)
    return found
