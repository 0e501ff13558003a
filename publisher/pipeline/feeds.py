"""Build and list the feed files, and the static site pages built beside them."""

from __future__ import annotations

from publisher import feeds as feeds_step
from publisher import site as site_step
from publisher.config import Config
from publisher.feeds import FeedInfo, FeedsSummary
from publisher.pipeline._scope import store_scope
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

# ---- feeds (owner: feeds) ------------------------------------------------------------------------


def build_feeds(
    cfg: Config,
    store: Store | None = None,
    *,
    touched: set[str] | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> FeedsSummary:
    """Bring cfg.feeds.dir up to date: only stale feeds and pages unless `full`; `touched` forces those feeds.

    The site pages (home, lists, directories, digest archive) are built right after, into the same folder, so
    every caller that builds feeds builds the site too; the summary counts both."""
    with store_scope(cfg, store) as st:
        summary = feeds_step.build(cfg, st, touched=touched, full=full, dry_run=dry_run, progress=progress)
        site = site_step.build_site(cfg, st, full=full, dry_run=dry_run, progress=progress)
    summary.written += site.written
    summary.removed += site.removed
    summary.unchanged += site.unchanged
    summary.planned += site.planned
    return summary


def list_feeds(cfg: Config, store: Store | None = None) -> list[FeedInfo]:
    """Every feed the store calls for: key, files, URLs, entry count, newest update, whether it is built."""
    with store_scope(cfg, store, create=False) as st:
        return feeds_step.list_feeds(cfg, st)
