"""Atomic file writes for every step that publishes files (feeds, pages, the outbox): old or new bytes, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from publisher.errors import PublisherError


def write_atomic(
    path: Path, data: bytes, *, mode: int = 0o644, fsync: bool = False, error: type[PublisherError] = PublisherError
) -> bool:
    """Write `data` to `path` via a temp file in the same folder + rename, only if the bytes differ.

    Readers (a web server, a feed reader on file://) see the old or the new file, never half of one; an unchanged
    file keeps its modification time (good for HTTP caching). `fsync` makes the data durable before the rename
    (for files that must survive a power loss, not for files that are rebuilt anyway). OS errors become `error`,
    so each step reports them in its own branch of the error tree. Returns True when the file was (re)written.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            # mkstemp makes 0600 files; published files are public and a web server may run as another user.
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror}") from None
    return True
