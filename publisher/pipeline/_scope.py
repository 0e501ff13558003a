"""One helper every pipeline function uses: the caller's store, or a configured one for this call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from publisher.config import Config
from publisher.store import Store, open_store


@contextlib.contextmanager
def store_scope(cfg: Config, store: Store | None) -> Iterator[Store]:
    """The caller's store, or the configured one opened for this call and disposed after it (no leaked pools)."""
    if store is not None:
        yield store
        return
    own = open_store(cfg)
    try:
        yield own
    finally:
        own.dispose()
