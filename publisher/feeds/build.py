"""Pure builders of feed files: Atom/RSS bytes, OPML and entry HTML from values (same arguments, same bytes)."""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from feedgen.feed import FeedGenerator

from publisher import __version__
from publisher.config import Config
from publisher.feeds.model import (
    GENERATOR_URI,
    MEDIA_TYPES,
    PAGES_DIR,
    FeedEntry,
    FeedFormat,
    FeedKind,
    FeedSpec,
    project_label,
    safe_href,
    site_link,
)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, whitespace collapsed."""
    return [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def entry_content_html(entry: FeedEntry, cfg: Config) -> str:
    """The entry body as HTML: every piece of release text is escaped, only our own tags are live."""
    out = [f"<p>{_esc(p)}</p>" for p in paragraphs(entry.body)]
    if entry.projects:
        out.append("<p><strong>Related projects</strong></p><ul>")
        for p in entry.projects:
            href = safe_href(p.url)
            label = _esc(project_label(p))
            name = f'<a href="{_esc(href)}">{label}</a>' if href else label
            follow = _esc(cfg.site.url(f"projects/{p.slug}.{cfg.feeds.formats[0]}"))
            why = f" — {_esc('; '.join(p.reasons))}" if p.reasons else ""
            out.append(f'<li>{name}{why} (<a href="{follow}">follow</a>)</li>')
        out.append("</ul>")
    tags = [
        (label, terms)
        for label, terms in (("Topics", entry.topics), ("Regions", entry.regions), ("Countries", entry.countries))
        if terms
    ]
    if tags:
        out.append(
            "<p>" + " · ".join(f"{label}: {_esc(', '.join(t.name for t in terms))}" for label, terms in tags) + "</p>"
        )
    return "\n".join(out)


def feed_updated(spec: FeedSpec, entries: Sequence[FeedEntry]) -> dt.datetime:
    """Newest entry update; an empty feed falls back to a stable time (never now)."""
    return max((e.times()[1] for e in entries), default=spec.empty_updated)


def _categories(entry: FeedEntry, cfg: Config) -> list[dict[str, str]]:
    cats = [{"term": t.slug, "label": t.name, "scheme": cfg.site.url("topics/")} for t in entry.topics]
    cats += [{"term": t.slug, "label": t.name, "scheme": cfg.site.url("regions/")} for t in entry.regions]
    cats += [{"term": t.slug, "label": t.name, "scheme": cfg.site.url("countries/")} for t in entry.countries]
    cats += [{"term": p.slug, "label": project_label(p), "scheme": cfg.site.url("projects/")} for p in entry.projects]
    return cats


def build_feed(spec: FeedSpec, entries: Sequence[FeedEntry], cfg: Config, fmt: FeedFormat | str) -> bytes:
    """The bytes of one feed file; pure: same arguments, same bytes. `entries` must be newest first."""
    fmt = FeedFormat(fmt)
    entries = list(entries)[: cfg.feeds.max_entries]
    fg = FeedGenerator()
    self_url = cfg.site.url(spec.path(fmt))
    fg.id(self_url)
    fg.title(spec.title(cfg))
    fg.subtitle(spec.subtitle(cfg))  # also the RSS <description>
    # feedgen keeps the last rel=alternate for RSS <link>, so self goes first.
    fg.link(href=self_url, rel="self", type=MEDIA_TYPES[fmt])
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
        link = site_link(cfg, entry.url) or cfg.site.url(f"{PAGES_DIR}/{entry.slug}.html")
        # add_entry prepends by default; entries arrive in the order we want.
        fe = fg.add_entry(order="append")
        fe.id(entry.guid)
        fe.guid(entry.guid, permalink=False)
        fe.link(href=link)
        fe.published(published)
        fe.updated(updated)
        fe.category(_categories(entry, cfg))
        content = entry_content_html(entry, cfg)
        fe.title(entry.title)  # plain text in both formats (as Hugo and Pelican write RSS titles)
        if fmt is FeedFormat.ATOM:
            fe.summary(entry.summary, type="text")
            fe.content(content, type="html")
        else:
            # An RSS <description> is HTML by definition: the release text must be escaped first.
            fe.content(content, type="html")
            fe.description(_esc(entry.summary))
            fe.author({"name": cfg.site.author_name, "email": cfg.site.author_email})
    data: bytes = fg.atom_str(pretty=True) if fmt is FeedFormat.ATOM else fg.rss_str(pretty=True)
    return data


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
