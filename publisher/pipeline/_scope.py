"""One helper every pipeline function uses: the caller's store, or a configured one for this call."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from publisher.config import Config
from publisher.store import Store, open_store


@contextlib.contextmanager
def store_scope(cfg: Config, store: Store | None, *, create: bool = True) -> Iterator[Store]:
    """The caller's store, or the configured one opened for this call and disposed after it (no leaked pools).

    Read-only use cases pass `create=False`: a store that does not exist yet is then an error, not a new one.
    """
    if store is not None:
        yield store
        return
    own = open_store(cfg, create=create)
    try:
        yield own
    finally:
        own.dispose()
