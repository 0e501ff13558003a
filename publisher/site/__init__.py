"""Publish the store as a browsable static news site beside the feeds: home, lists, directories, digest archive.

Along the data flow: `model` (values and paths) → `load` (store reads, on top of the feeds catalog) → `build`
(pure page builders) → `incremental` (fingerprints, atomic writes through the feeds writer, the site manifest).
`site_urls` lists every page, for the sitemap.
"""

from __future__ import annotations

from publisher.site.incremental import build_digest_archive, build_site, site_urls
from publisher.site.model import PAGE_SIZE, SITE_MANIFEST, ListKind

__all__ = ["PAGE_SIZE", "SITE_MANIFEST", "ListKind", "build_digest_archive", "build_site", "site_urls"]
