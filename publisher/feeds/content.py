"""What every feed format says about an entry: its HTML body (release text escaped), its link and its categories."""

from __future__ import annotations

import html
import re

from publisher.config import Config
from publisher.feeds.model import PAGES_DIR, FeedEntry, project_label, safe_href, site_link
from publisher.safehtml import sanitise

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, whitespace collapsed."""
    return [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def entry_link(entry: FeedEntry, cfg: Config) -> str:
    """The entry's link: the source's own URL when it has one, else its page under the base_url of this build."""
    return site_link(cfg, entry.url) or cfg.site.url(f"{PAGES_DIR}/{entry.slug}.html")


def entry_tags(entry: FeedEntry, cfg: Config) -> list[tuple[str, str, str]]:
    """(term, label, scheme URL) of each category: topics, regions, countries, then related projects."""
    tags = [(t.slug, t.name, cfg.site.url("topics/")) for t in entry.topics]
    tags += [(t.slug, t.name, cfg.site.url("regions/")) for t in entry.regions]
    tags += [(t.slug, t.name, cfg.site.url("countries/")) for t in entry.countries]
    tags += [(p.slug, project_label(p), cfg.site.url("projects/")) for p in entry.projects]
    return tags


def entry_content_html(entry: FeedEntry, cfg: Config) -> str:
    """The entry body as HTML: release text escaped, or the source's HTML sanitised again (stored data may come
    from an older policy); only our own tags and the safe subset are live."""
    out = [sanitise(entry.body_html)] if entry.body_html else [f"<p>{esc(p)}</p>" for p in paragraphs(entry.body)]
    if entry.projects:
        out.append("<p><strong>Related projects</strong></p><ul>")
        for p in entry.projects:
            href = safe_href(p.url)
            label = esc(project_label(p))
            name = f'<a href="{esc(href)}">{label}</a>' if href else label
            follow = esc(cfg.site.url(f"projects/{p.slug}.{cfg.feeds.formats[0]}"))
            why = f" — {esc('; '.join(p.reasons))}" if p.reasons else ""
            out.append(f'<li>{name}{why} (<a href="{follow}">follow</a>)</li>')
        out.append("</ul>")
    tags = [
        (label, terms)
        for label, terms in (("Topics", entry.topics), ("Regions", entry.regions), ("Countries", entry.countries))
        if terms
    ]
    if tags:
        out.append(
            "<p>" + " · ".join(f"{label}: {esc(', '.join(t.name for t in terms))}" for label, terms in tags) + "</p>"
        )
    return "\n".join(out)
