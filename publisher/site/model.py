"""The values of the site step: list kinds, page paths and URLs, teasers, list pages and digest editions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

SITE_MANIFEST = ".publisher-site.json"
HOME = "index.html"
STYLESHEET = "site.css"
DIGESTS_DIR = "digests"
FEEDS_INDEX = "feeds/index.html"  # the feed table of the feeds step, linked from every page
SUBSCRIBE = "subscribe"  # the Flask route served beside the static folder
# Bump when the pages change for the same data, so the next build renders every page.
SITE_VERSION = "1"
PAGE_SIZE = 20
HOME_SIZE = 10


class ListKind(StrEnum):
    ALL = "all"  # every release: /archive/ (not news/, where the release pages are), behind the home page
    TOPIC = "topic"
    REGION = "region"
    COUNTRY = "country"
    PROJECT = "project"


LIST_DIRS = {
    ListKind.ALL: "archive",
    ListKind.TOPIC: "topics",
    ListKind.REGION: "regions",
    ListKind.COUNTRY: "countries",
    ListKind.PROJECT: "projects",
}
LIST_LABELS = {
    ListKind.ALL: "All news",
    ListKind.TOPIC: "Topics",
    ListKind.REGION: "Regions",
    ListKind.COUNTRY: "Countries",
    ListKind.PROJECT: "Projects",
}
# Which subscribe form field a list pre-fills (subscribers choose topics and regions only).
SUBSCRIBE_FIELDS = {ListKind.TOPIC: "topics", ListKind.REGION: "regions"}
# Which lists have a feed of their own (countries have none: their news is in the region feeds).
FEED_DIRS = {ListKind.TOPIC: "topics", ListKind.REGION: "regions", ListKind.PROJECT: "projects"}
ALL_FEED = "all"


def list_slug(kind: ListKind, slug: str) -> str:
    """The URL segment of a list: country codes lower-cased (`countries/tn/`), other slugs as stored."""
    return slug.lower() if kind is ListKind.COUNTRY else slug


def list_dir(kind: ListKind, slug: str) -> str:
    """The folder of a list's first page, relative to the site root, with a trailing slash: `topics/x/`."""
    if kind is ListKind.ALL:
        return f"{LIST_DIRS[kind]}/"
    return f"{LIST_DIRS[kind]}/{list_slug(kind, slug)}/"


def page_dir(kind: ListKind, slug: str, page: int) -> str:
    """The folder of page `page` (1-based) of a list: `topics/x/`, `topics/x/page/2/`."""
    return list_dir(kind, slug) + ("" if page == 1 else f"page/{page}/")


def page_file(folder: str) -> str:
    """The file behind a folder URL: `topics/x/` → `topics/x/index.html`; '' → `index.html`."""
    return folder + "index.html"


def up(folder: str) -> str:
    """The relative prefix from a page in `folder` back to the site root: `topics/x/` → `../../`."""
    return "../" * folder.count("/")


@dataclass(frozen=True)
class Teaser:
    """One release as a list shows it: headline, summary, date and where its page is."""

    slug: str
    title: str
    summary: str
    published: tuple[str, str]  # (machine, human) as stated
    topics: tuple[tuple[str, str], ...] = ()  # (slug, name)


@dataclass(frozen=True)
class ListInfo:
    """One topic, region, country or project: its name, how many releases, and the feed and e-mail it offers."""

    kind: ListKind
    slug: str
    name: str
    count: int

    @property
    def folder(self) -> str:
        return list_dir(self.kind, self.slug)

    def feed_stem(self) -> str:
        """The feed path without format (`topics/x`), or '' when the list has no feed."""
        if self.kind is ListKind.ALL:
            return ALL_FEED
        d = FEED_DIRS.get(self.kind)
        return f"{d}/{self.slug}" if d else ""

    def subscribe_query(self) -> str:
        """The query that pre-fills the subscribe form (`topics=x`), or '' when the form has no such choice."""
        field = SUBSCRIBE_FIELDS.get(self.kind)
        return f"{field}={self.slug}" if field else ""


@dataclass(frozen=True)
class ListPage:
    """One page of one list: its teasers, and where the neighbours are."""

    info: ListInfo
    page: int
    pages: int
    teasers: tuple[Teaser, ...]

    @property
    def folder(self) -> str:
        return page_dir(self.info.kind, self.info.slug, self.page)


@dataclass(frozen=True)
class EditionRow:
    """One digest edition in the public archive: its period and the link to its web copy."""

    id: int
    frequency: str
    period: str
    start: dt.date
    end: dt.date
    subject: str
    variant: str  # the variant linked: the one carrying the most news (everything, when anyone follows all)
    items: int
    built_at: dt.datetime | None = None  # when the edition was made: the archive page's last change
