"""Pure builders of feed files: Atom/RSS (feedgen), JSON Feed and OPML bytes from values (same arguments, same bytes)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from feedgen.feed import FeedGenerator
from lxml import etree

from publisher import __version__
from publisher.config import Config
from publisher.feeds.content import entry_content_html, entry_link, entry_tags, esc, paragraphs
from publisher.feeds.jsonfeed import build_json_feed
from publisher.feeds.model import GENERATOR_URI, MEDIA_TYPES, FeedEntry, FeedFormat, FeedKind, FeedSpec

__all__ = ["build_feed", "build_opml", "entry_content_html", "feed_updated", "paragraphs"]

_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


def feed_updated(spec: FeedSpec, entries: Sequence[FeedEntry]) -> dt.datetime:
    """Newest entry update; an empty feed falls back to a stable time (never now)."""
    return max((e.times()[1] for e in entries), default=spec.empty_updated)


def build_feed(spec: FeedSpec, entries: Sequence[FeedEntry], cfg: Config, fmt: FeedFormat | str) -> bytes:
    """The bytes of one feed file; pure: same arguments, same bytes. `entries` must be newest first."""
    fmt = FeedFormat(fmt)
    if fmt is FeedFormat.JSON:
        return build_json_feed(spec, entries, cfg)
    entries = list(entries)[: cfg.feeds.max_entries]
    hub = spec.hub(cfg)
    fg = FeedGenerator()
    self_url = cfg.site.url(spec.path(fmt))
    fg.id(self_url)
    fg.title(spec.title(cfg))
    fg.subtitle(spec.subtitle(cfg))  # also the RSS <description>
    # feedgen keeps the last rel=alternate for RSS <link>, so self goes first.
    fg.link(href=self_url, rel="self", type=MEDIA_TYPES[fmt])
    if hub:
        fg.link(href=hub, rel="hub")  # WebSub: subscribers find the hub next to the self link
    fg.link(href=spec.alternate(cfg), rel="alternate", type="text/html")
    fg.language(cfg.site.language)
    fg.author({"name": cfg.site.author_name, "email": cfg.site.author_email})
    fg.generator("publisher", version=__version__, uri=GENERATOR_URI)
    # feedgen defaults <updated>/<lastBuildDate> to now, which would break byte-identical rebuilds.
    fg.updated(feed_updated(spec, entries))
    if fmt is FeedFormat.RSS:
        fg.managingEditor(f"{cfg.site.author_email} ({cfg.site.author_name})")
    for entry in entries:
        published, updated = entry.times()
        # add_entry prepends by default; entries arrive in the order we want.
        fe = fg.add_entry(order="append")
        fe.id(entry.guid)
        fe.guid(entry.guid, permalink=False)
        fe.link(href=entry_link(entry, cfg))
        fe.published(published)
        fe.updated(updated)
        fe.category(
            [{"term": term, "label": label, "scheme": scheme} for term, label, scheme in entry_tags(entry, cfg)]
        )
        content = entry_content_html(entry, cfg)
        fe.title(entry.title)  # plain text in both formats (as Hugo and Pelican write RSS titles)
        if fmt is FeedFormat.ATOM:
            fe.summary(entry.summary, type="text")
            fe.content(content, type="html")
        else:
            # An RSS <description> is HTML by definition: the release text must be escaped first.
            fe.content(content, type="html")
            fe.description(esc(entry.summary))
            fe.author({"name": cfg.site.author_name, "email": cfg.site.author_email})
    if fmt is FeedFormat.ATOM:
        atom: bytes = fg.atom_str(pretty=True)
        return atom
    rss: bytes = fg.rss_str(pretty=True)
    return _with_rss_hub(rss, hub) if hub else rss


def _with_rss_hub(data: bytes, hub: str) -> bytes:
    """feedgen writes only the self atom:link into RSS; WebSub wants the hub beside it."""
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    channel = root.find("channel")
    self_link = channel.find(_ATOM_LINK) if channel is not None else None
    if self_link is None:
        return data
    self_link.addnext(etree.Element(_ATOM_LINK, href=hub, rel="hub"))
    out: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return out


def build_opml(specs: Sequence[FeedSpec], cfg: Config, updated: dt.datetime) -> bytes:
    """An OPML 2.0 subscription list of every feed (in the first configured format), grouped by kind."""
    fmt = FeedFormat(cfg.feeds.formats[0])
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"{cfg.site.title} feeds"
    ET.SubElement(head, "dateModified").text = email.utils.format_datetime(updated.astimezone(dt.UTC))
    ET.SubElement(head, "ownerName").text = cfg.site.author_name
    ET.SubElement(head, "ownerEmail").text = cfg.site.author_email
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    groups = {
        FeedKind.ALL: "All news",
        FeedKind.TOPIC: "Topics",
        FeedKind.REGION: "Regions",
        FeedKind.PROJECT: "Projects",
    }
    for kind, label in groups.items():
        members = [s for s in specs if s.kind is kind]
        if not members:
            continue
        parent = body if kind is FeedKind.ALL else ET.SubElement(body, "outline", text=label, title=label)
        for s in members:
            ET.SubElement(
                parent,
                "outline",
                type="rss",
                text=s.title(cfg),
                title=s.title(cfg),
                xmlUrl=cfg.site.url(s.path(fmt)),
                htmlUrl=s.alternate(cfg),
                language=cfg.site.language,
            )
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
