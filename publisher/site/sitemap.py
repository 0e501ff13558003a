"""Pure builders of sitemap.xml (sitemaps.org 0.9): every page with the time its content last changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.etree import ElementTree as ET

SITEMAP = "sitemap.xml"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The protocol's limit per file; a larger site gets sitemap.xml as an index of sitemap-N.xml files.
MAX_URLS = 50_000

SitemapEntry = tuple[str, dt.datetime | None]  # (absolute URL, last content change; None: not known)


def part_name(n: int) -> str:
    """The file of part `n` (1-based) when the site needs more than one: sitemap-1.xml, sitemap-2.xml…"""
    return f"sitemap-{n}.xml"


def sitemap_files(entries: Sequence[SitemapEntry], base_url: str) -> dict[str, bytes]:
    """Every sitemap file the entries need, by path under the site root: one urlset, or an index and its parts."""
    if len(entries) <= MAX_URLS:
        return {SITEMAP: build_urlset(entries)}
    parts = [entries[i : i + MAX_URLS] for i in range(0, len(entries), MAX_URLS)]
    files = {part_name(n): build_urlset(part) for n, part in enumerate(parts, start=1)}
    index = [(base_url + part_name(n), _newest(part)) for n, part in enumerate(parts, start=1)]
    files[SITEMAP] = _document("sitemapindex", "sitemap", index)
    return files


def build_urlset(entries: Sequence[SitemapEntry]) -> bytes:
    """One <urlset>: a <url> with <loc> and, when known, <lastmod> per entry, in the order given."""
    return _document("urlset", "url", entries)


def _newest(entries: Sequence[SitemapEntry]) -> dt.datetime | None:
    return max((t for _, t in entries if t is not None), default=None)


def w3c_datetime(when: dt.datetime) -> str:
    """The W3C Datetime form the protocol asks for, in UTC, to the second: 2025-03-24T12:00:07+00:00."""
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _document(root_tag: str, item_tag: str, entries: Sequence[SitemapEntry]) -> bytes:
    root = ET.Element(root_tag, xmlns=NAMESPACE)
    for url, when in entries:
        item = ET.SubElement(root, item_tag)
        ET.SubElement(item, "loc").text = url
        if when is not None:
            ET.SubElement(item, "lastmod").text = w3c_datetime(when)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def sitemap_names(count: int) -> list[str]:
    """The files `count` entries need: sitemap.xml alone, or the index and its parts."""
    if count <= MAX_URLS:
        return [SITEMAP]
    return [SITEMAP, *(part_name(n) for n in range(1, -(-count // MAX_URLS) + 1))]


def robots_with_sitemap(text: str, url: str) -> str | None:
    """robots.txt with a `Sitemap:` line for `url` added at the end; None when it lists that URL already."""
    for line in text.splitlines():
        field, _, value = line.partition(":")
        if field.strip().lower() == "sitemap" and value.strip() == url:
            return None
    return (text if not text or text.endswith("\n") else text + "\n") + f"Sitemap: {url}\n"
