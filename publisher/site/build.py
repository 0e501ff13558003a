"""Pure builders of the site pages: home, one page per list and page number, the list directories, the digest
archive and the stylesheet (same values, same bytes)."""

from __future__ import annotations

from collections.abc import Sequence

import jinja2

from publisher.config import Config
from publisher.feeds.model import MEDIA_TYPES
from publisher.feeds.pages import template
from publisher.site.model import (
    DIGESTS_DIR,
    LIST_DIRS,
    LIST_LABELS,
    STYLESHEET,
    EditionRow,
    ListInfo,
    ListKind,
    ListPage,
    Teaser,
    page_dir,
    up,
)

HOME_TEMPLATE = "site/home.html"
LIST_TEMPLATE = "site/list.html"
DIRECTORY_TEMPLATE = "site/directory.html"
DIGESTS_TEMPLATE = "site/digests.html"
CSS_TEMPLATE = "site/site.css"
PAGE_TEMPLATES = (HOME_TEMPLATE, LIST_TEMPLATE, DIRECTORY_TEMPLATE, DIGESTS_TEMPLATE)
# Everything the pages are made of (the partials too): part of what every page's fingerprint depends on.
SITE_TEMPLATES = (*PAGE_TEMPLATES, "site/base.html", "site/_teasers.html", "site/_follow.html", CSS_TEMPLATE)


def _common(cfg: Config, folder: str, alternates: Sequence[tuple[str, str, str]]) -> dict[str, object]:
    """What every page template gets: the site, the way back to the root, formats, autodiscovery links."""
    root = up(folder)
    formats = list(cfg.feeds.formats)
    feeds = [(f"{cfg.site.title} ({f.upper()})", MEDIA_TYPES_STR[f], f"{root}all.{f}") for f in formats]
    return {
        "site": cfg.site,
        "root": root,
        "canonical": cfg.site.url(folder),
        "formats": formats,
        "media_types": MEDIA_TYPES_STR,
        # The page's own feed first (a reader picks the first), then everything.
        "alternates": [(t, m, f"{root}{h}") for t, m, h in alternates] + feeds,
    }


MEDIA_TYPES_STR = {str(k): v for k, v in MEDIA_TYPES.items()}


def _own_feeds(cfg: Config, info: ListInfo) -> list[tuple[str, str, str]]:
    stem = info.feed_stem()
    if not stem or info.kind is ListKind.ALL:
        return []
    return [
        (f"{cfg.site.title}: {info.name} ({f.upper()})", MEDIA_TYPES_STR[f], f"{stem}.{f}") for f in cfg.feeds.formats
    ]


def _render(env: jinja2.Environment, name: str, **ctx: object) -> bytes:
    return template(env, name).render(**ctx).encode("utf-8")


def build_home(
    teasers: Sequence[Teaser], more: bool, lists: Sequence[ListInfo], cfg: Config, env: jinja2.Environment
) -> bytes:
    """index.html: the latest news, the ways to follow, and the topics and regions to browse."""
    everything = ListInfo(ListKind.ALL, "", cfg.site.title, 0)
    browse = [
        (LIST_LABELS[k], LIST_DIRS[k], [x for x in lists if x.kind is k and x.count])
        for k in (ListKind.TOPIC, ListKind.REGION)
    ]
    return _render(
        env, HOME_TEMPLATE, **_common(cfg, "", []), info=everything, teasers=teasers, more=more, browse=browse
    )


def build_list_page(page: ListPage, cfg: Config, env: jinja2.Environment) -> bytes:
    """One page of a list: its teasers newest first, follow links, and links to the newer and older pages."""
    info = page.info
    ctx = _common(cfg, page.folder, _own_feeds(cfg, info))
    root = str(ctx["root"])

    def href(n: int) -> str:
        return root + page_dir(info.kind, info.slug, n) if 1 <= n <= page.pages else ""

    return _render(
        env,
        LIST_TEMPLATE,
        **ctx,
        info=info,
        page=page,
        kind_label="" if info.kind is ListKind.ALL else LIST_LABELS[info.kind],
        kind_folder=LIST_DIRS[info.kind],
        prev_href=href(page.page - 1),
        next_href=href(page.page + 1),
    )


def build_directory(kind: ListKind, lists: Sequence[ListInfo], cfg: Config, env: jinja2.Environment) -> bytes:
    """topics/index.html (and regions/, countries/, projects/): every list of that kind with its count."""
    folder = f"{LIST_DIRS[kind]}/"
    return _render(env, DIRECTORY_TEMPLATE, **_common(cfg, folder, []), label=LIST_LABELS[kind], lists=lists)


def build_digests(editions: Sequence[EditionRow], cfg: Config, env: jinja2.Environment) -> bytes:
    """digests/index.html: every edition with its period, linking the web copy of its fullest variant."""
    return _render(env, DIGESTS_TEMPLATE, **_common(cfg, f"{DIGESTS_DIR}/", []), editions=editions)


def build_stylesheet(env: jinja2.Environment) -> bytes:
    """site.css, shared by every page (the operator may override the template like any other)."""
    return _render(env, CSS_TEMPLATE)


__all__ = [
    "STYLESHEET",
    "build_digests",
    "build_directory",
    "build_home",
    "build_list_page",
    "build_stylesheet",
]
