"""A subscriber's private feed: the releases their preferences select, read from the store, built by `build_feed`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.digest import followed_release_ids
from publisher.feeds.build import build_feed
from publisher.feeds.load import Catalog, load_entries, load_sigs, load_small_catalog
from publisher.feeds.model import FeedFormat, FeedKind, FeedSpec


def _names(slugs: Sequence[str], names: Mapping[str, str]) -> str:
    shown = [names.get(s, s) for s in slugs]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def private_spec(
    cfg: Config, token: str, topics: Sequence[str], regions: Sequence[str], catalog: Catalog | None = None
) -> FeedSpec:
    """The spec of one private feed: self link under feeds/private/<token>, a subtitle naming what it follows
    (topic and region names from the catalog, as the entries' categories show them)."""
    if not topics and not regions:
        return FeedSpec(FeedKind.PRIVATE, token)
    what = f" on {_names(topics, catalog.topics if catalog else {})}" if topics else ""
    where = f" in {_names(regions, catalog.regions if catalog else {})}" if regions else ""
    return FeedSpec(FeedKind.PRIVATE, token, description=f"News{what}{where} from {cfg.site.title}, as you chose it.")


def build_private_feed(
    session: Session,
    cfg: Config,
    token: str,
    topics: Sequence[str],
    regions: Sequence[str],
    fmt: FeedFormat | str,
) -> bytes:
    """The bytes of one private feed: the newest `feeds.max_entries` releases the digests' preference rule selects
    for these topics and regions, newest first, in the format asked for (no WebSub hub: see FeedSpec.hub)."""
    ids = followed_release_ids(session, topics, regions, cfg.feeds.max_entries)
    sigs = load_sigs(session, ids)
    catalog = load_small_catalog(session)
    entries = list(load_entries(session, catalog, [sigs[i] for i in ids if i in sigs]))
    return build_feed(private_spec(cfg, token, topics, regions, catalog), entries, cfg, fmt)
