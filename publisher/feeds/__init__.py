"""Publish the store as static files: RSS 2.0/Atom 1.0 feeds, OPML, an index page and one page per release.

Along the data flow: `model` (values) → `load` (store reads) → `build` and `pages` (pure builders: same values,
same bytes) → `plan` (fingerprints: what is stale) → `write` (atomic files, lock, manifest) → `incremental`
(the build itself: touched-only fast path or full fingerprint check). Callers use the names re-exported here.
"""

from __future__ import annotations

from publisher.feeds.build import build_feed, build_opml, entry_content_html, feed_updated, paragraphs
from publisher.feeds.incremental import build, list_feeds
from publisher.feeds.load import Catalog, feed_members, load_catalog, load_entries, load_sigs, load_small_catalog
from publisher.feeds.model import (
    INDEX_NAME,
    OPML_NAME,
    PAGES_DIR,
    FeedEntry,
    FeedFormat,
    FeedInfo,
    FeedKind,
    FeedSpec,
    FeedsSummary,
    RelatedProject,
    Term,
    project_label,
    safe_href,
)
from publisher.feeds.pages import IndexRow, build_index, build_release_page, template_env
from publisher.feeds.private import build_private_feed, private_spec
from publisher.feeds.write import LOCK_NAME, MANIFEST_NAME, OUTPUT_VERSION, read_manifest, write_atomic

__all__ = [
    "INDEX_NAME",
    "LOCK_NAME",
    "MANIFEST_NAME",
    "OPML_NAME",
    "OUTPUT_VERSION",
    "PAGES_DIR",
    "Catalog",
    "FeedEntry",
    "FeedFormat",
    "FeedInfo",
    "FeedKind",
    "FeedSpec",
    "FeedsSummary",
    "IndexRow",
    "RelatedProject",
    "Term",
    "build",
    "build_feed",
    "build_index",
    "build_opml",
    "build_private_feed",
    "build_release_page",
    "entry_content_html",
    "feed_members",
    "feed_updated",
    "list_feeds",
    "load_catalog",
    "load_entries",
    "load_sigs",
    "load_small_catalog",
    "paragraphs",
    "private_spec",
    "project_label",
    "read_manifest",
    "safe_href",
    "template_env",
    "write_atomic",
]
