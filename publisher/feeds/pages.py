"""Pure builders of the HTML pages beside the feeds: the Jinja2 environment, index.html and one page per release."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
import markupsafe

from publisher import __version__
from publisher.config import Config
from publisher.errors import FeedError
from publisher.feeds.content import paragraphs
from publisher.feeds.model import (
    MEDIA_TYPES,
    OPML_NAME,
    PAGES_DIR,
    FeedEntry,
    FeedKind,
    FeedSpec,
    display_date,
    project_label,
    safe_href,
    site_link,
)
from publisher.safehtml import sanitise

INDEX_TEMPLATE = "feeds/index.html"
RELEASE_TEMPLATE = "feeds/release.html"
TEMPLATES = (INDEX_TEMPLATE, RELEASE_TEMPLATE)


def template_env(cfg: Config) -> jinja2.Environment:
    """Jinja2 over the operator's templates, then the bundled ones; autoescape always on."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in cfg.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["paragraphs"] = paragraphs
    # The one way HTML from a source goes live in a page: sanitised at output too (stored data may be older).
    env.filters["safe_html"] = lambda markup: markupsafe.Markup(sanitise(str(markup)))
    env.filters["safe_href"] = safe_href
    env.filters["project_label"] = project_label
    env.filters["human_date"] = lambda d: display_date(d)[1]
    return env


def template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """The named template, or FeedError naming it (a broken operator template must fail the build up front)."""
    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise FeedError(f"template {name}: {exc}") from None


def template_sources(env: jinja2.Environment) -> list[str]:
    """The source text of the page templates ('' when missing): part of what every output depends on."""
    sources = []
    for name in TEMPLATES:
        try:
            sources.append(env.loader.get_source(env, name)[0] if env.loader else "")
        except jinja2.TemplateNotFound:
            sources.append("")
    return sources


@dataclass(frozen=True)
class IndexRow:
    spec: FeedSpec
    title: str
    files: list[tuple[str, str, str]]  # (format, relative path, absolute URL)
    entries: int
    updated: dt.datetime


def build_index(rows: Sequence[IndexRow], cfg: Config, env: jinja2.Environment) -> bytes:
    """index.html: every feed with autodiscovery links; relative links so it works from disk and when served."""
    groups = [
        (label, kind, [r for r in rows if r.spec.kind is kind])
        for label, kind in (
            ("All news", FeedKind.ALL),
            ("Topics", FeedKind.TOPIC),
            ("Regions", FeedKind.REGION),
            ("Projects", FeedKind.PROJECT),
        )
    ]
    text = template(env, INDEX_TEMPLATE).render(
        site=cfg.site,
        groups=[g for g in groups if g[2]],
        opml=OPML_NAME,
        opml_url=cfg.site.url(OPML_NAME),
        media_types={str(k): v for k, v in MEDIA_TYPES.items()},
        generator=f"publisher {__version__}",
    )
    return text.encode("utf-8")


def build_release_page(entry: FeedEntry, cfg: Config, env: jinja2.Environment) -> bytes:
    """news/<slug>.html for one release: the text escaped, with its tags, feeds and related projects."""
    page_url = cfg.site.url(f"{PAGES_DIR}/{entry.slug}.html")
    original = site_link(cfg, entry.url)
    text = template(env, RELEASE_TEMPLATE).render(
        site=cfg.site,
        entry=entry,
        page_url=page_url,
        original=original if original and original != page_url else "",
        media_types={str(k): v for k, v in MEDIA_TYPES.items()},
        formats=list(cfg.feeds.formats),
        published=display_date(entry.published, entry.precision),
        updated=entry.times()[1],
    )
    return text.encode("utf-8")
