"""Pure builder of JSON Feed 1.1 files (jsonfeed.org/version/1.1): the same entries as Atom and RSS, as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from publisher.config import Config
from publisher.feeds.content import entry_content_html, entry_link, entry_tags
from publisher.feeds.model import FeedEntry, FeedFormat, FeedSpec

VERSION = "https://jsonfeed.org/version/1.1"


def build_json_feed(spec: FeedSpec, entries: Sequence[FeedEntry], cfg: Config) -> bytes:
    """The bytes of one JSON feed; pure: same arguments, same bytes. `entries` must be newest first."""
    doc: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title(cfg),
        "home_page_url": spec.alternate(cfg),
        "feed_url": cfg.site.url(spec.path(FeedFormat.JSON)),
        "description": spec.subtitle(cfg),
        "language": cfg.site.language,
        "authors": [{"name": cfg.site.author_name, "url": cfg.site.base_url}],
    }
    if spec.hub(cfg):
        doc["hubs"] = [{"type": "WebSub", "url": spec.hub(cfg)}]
    doc["items"] = [_item(e, cfg) for e in list(entries)[: cfg.feeds.max_entries]]
    # Sorted keys and a fixed indent: byte-identical rebuilds, readable diffs.
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _item(entry: FeedEntry, cfg: Config) -> dict[str, Any]:
    published, updated = entry.times()
    item: dict[str, Any] = {
        "id": entry.guid,
        "url": entry_link(entry, cfg),
        "title": entry.title,
        "content_html": entry_content_html(entry, cfg),
        "summary": entry.summary,
        "date_published": published.isoformat(),
        "date_modified": updated.isoformat(),
    }
    tags = [label for _term, label, _scheme in entry_tags(entry, cfg)]
    if tags:
        item["tags"] = tags
    return item
