"""The values of the feeds step: feed kinds and formats, entries, feed specs, list rows, build summaries."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher import safeurl
from publisher.config import Config
from publisher.subscribers.tokens import PRIVATE_FEED_DIR

OPML_NAME = "feeds.opml"
INDEX_NAME = "feeds/index.html"  # the feed table; the site's home page is index.html
PAGES_DIR = "news"
GENERATOR_URI = "https://github.com/icmpd/publisher"
# Keys in `touched` besides feed keys: a release page to re-render, and an ingest run the keys account for.
PAGE_KEY = "release:"
RUN_KEY = "run:"
# An empty feed still needs a stable <updated>; "now" would change the bytes on every build.
EMPTY_FEED_UPDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# A release is dated by day (or month, year): it is published at noon UTC of that date, the one time of day that
# falls on the same date for readers from UTC-11 to UTC+11. The seconds after noon come from the release id (at
# most 59:59), so two releases of one day never share a time: the W3C validator warns about two entries with the
# same atom:updated, and readers sort by time.
PUBLISH_TIME_UTC = dt.time(12, 0)
_SPREAD_SECONDS = 3600
# Slugs become file names: refuse anything that could leave the feeds folder or need quoting in a URL.
SAFE_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.))*$")


class FeedKind(StrEnum):
    ALL = "all"
    TOPIC = "topic"
    REGION = "region"
    PROJECT = "project"
    PRIVATE = "private"  # one subscriber's selection, served by the web app only (slug: the feed token)


class FeedFormat(StrEnum):
    ATOM = "atom"
    RSS = "rss"
    JSON = "json"  # JSON Feed 1.1


KIND_DIRS = {FeedKind.TOPIC: "topics", FeedKind.REGION: "regions", FeedKind.PROJECT: "projects"}
MEDIA_TYPES = {
    FeedFormat.ATOM: "application/atom+xml",
    FeedFormat.RSS: "application/rss+xml",
    FeedFormat.JSON: "application/feed+json",
}


def release_times(
    release_id: int, published: dt.date, updated: dt.datetime, created: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """(published, updated) of a release as feeds and pages show them; see PUBLISH_TIME_UTC.

    `updated` is the release's own last content change: its publication, unless ingest saw the text change later
    (`updated` after `created`, the first ingest), then that time (its fraction of a second from the id, so
    releases edited in one run still differ). Ingest time alone never shows: a first ingest is not a change.
    """
    published_at = dt.datetime.combine(published, PUBLISH_TIME_UTC, tzinfo=dt.UTC) + dt.timedelta(
        seconds=release_id % _SPREAD_SECONDS
    )
    if created is not None and updated <= created:
        return published_at, published_at
    edited = updated.astimezone(dt.UTC).replace(microsecond=release_id % 1_000_000)
    return published_at, max(edited, published_at)


def display_date(day: dt.date, precision: str = "day") -> tuple[str, str]:
    """(machine, human) forms of a release date as stated: ("2025-03-24", "24 March 2025"), ("2025-03", "March 2025")."""
    if precision == "year":
        return f"{day.year:04d}", f"{day.year}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}", f"{_MONTHS[day.month - 1]} {day.year}"
    return day.isoformat(), f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# English month names regardless of the machine's locale (strftime would follow LC_TIME).
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def stable_hash(value: Any) -> str:
    """A short fingerprint of a value's repr: stable across processes (unlike hash()), cheap for 10^5 values."""
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=10).hexdigest()


def safe_href(url: str) -> str:
    """The URL if it is absolute http(s), else '' (a javascript: link from source data must never go live)."""
    return safeurl.safe_href(url.strip())


def site_link(cfg: Config, url: str) -> str:
    """A stored release link as shown: an absolute http(s) URL as it is, a path joined to site.base_url now (so a
    new base_url moves it), anything else ''."""
    url = url.strip()
    parts = urlsplit(url)
    if url and not parts.scheme and not parts.netloc and not url.startswith("//"):
        return safe_href(cfg.site.url(url))
    return safe_href(url)


@dataclass(frozen=True)
class Term:
    """One category of an entry: a topic, region or country."""

    slug: str
    name: str


@dataclass(frozen=True)
class RelatedProject:
    slug: str
    name: str
    acronym: str
    url: str
    score: float
    reasons: tuple[str, ...]


def project_label(p: RelatedProject) -> str:
    return f"{p.name} ({p.acronym})" if p.acronym and p.acronym not in p.name else p.name


@dataclass(frozen=True)
class FeedEntry:
    """Everything a feed entry or a release page shows, detached from the database."""

    id: int
    guid: str
    slug: str
    title: str
    url: str
    published: dt.date
    updated: dt.datetime
    summary: str
    body: str
    topics: tuple[Term, ...] = ()
    regions: tuple[Term, ...] = ()
    countries: tuple[Term, ...] = ()
    projects: tuple[RelatedProject, ...] = ()
    created: dt.datetime | None = None  # first ingest; None: `updated` counts as a content change
    precision: str = "day"  # how much of `published` the source stated: day, month or year
    body_html: str = ""  # the source gave HTML: shown (sanitised again) instead of `body`'s escaped paragraphs

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        """(published, updated) as shown: see release_times."""
        return release_times(self.id, self.published, self.updated, self.created)


@dataclass(frozen=True)
class FeedSpec:
    """One logical feed (written once per configured format)."""

    kind: FeedKind
    slug: str = ""
    name: str = ""
    description: str = ""
    link: str = ""  # alternate (HTML) page; empty: the site's page of this feed
    empty_updated: dt.datetime = EMPTY_FEED_UPDATED

    @property
    def key(self) -> str:
        """The name ingest uses for this feed: all, topic:<slug>, region:<slug>, project:<slug>."""
        return "all" if self.kind is FeedKind.ALL else f"{self.kind}:{self.slug}"

    @property
    def stem(self) -> str:
        if self.kind is FeedKind.PRIVATE:
            return f"{PRIVATE_FEED_DIR}{self.slug}"
        return "all" if self.kind is FeedKind.ALL else f"{KIND_DIRS[self.kind]}/{self.slug}"

    def path(self, fmt: FeedFormat | str) -> str:
        """Path relative to the feeds folder (and to base_url)."""
        return f"{self.stem}.{fmt}"

    def title(self, cfg: Config) -> str:
        if self.kind is FeedKind.PRIVATE:
            return f"{cfg.site.title} \N{EM DASH} your selection"
        return cfg.site.title if self.kind is FeedKind.ALL else f"{cfg.site.title}: {self.name}"

    def subtitle(self, cfg: Config) -> str:
        if self.kind is FeedKind.ALL:
            return cfg.site.description
        if self.kind is FeedKind.TOPIC:
            return f"News on {self.name} from {cfg.site.title}."
        if self.kind is FeedKind.REGION:
            return f"News about {self.name} from {cfg.site.title}."
        if self.kind is FeedKind.PRIVATE:
            return self.description or f"The news your preferences select, from {cfg.site.title}."
        return self.description or f"News related to the project {self.name}."

    def alternate(self, cfg: Config) -> str:
        # The site's HTML page of the same news: the home page, or the topic's, region's, project's list page.
        if self.link or self.kind in (FeedKind.ALL, FeedKind.PRIVATE):
            return self.link or cfg.site.url("")
        return cfg.site.url(f"{KIND_DIRS[self.kind]}/{self.slug}/")

    def hub(self, cfg: Config) -> str:
        """The WebSub hub to advertise: none for a private feed (no hub may learn or push its URL)."""
        return "" if self.kind is FeedKind.PRIVATE else cfg.feeds.websub_hub


@dataclass(frozen=True)
class FeedInfo:
    """A feed as `feeds list` shows it: where it is, how many entries, how fresh."""

    key: str
    kind: FeedKind
    slug: str
    title: str
    paths: dict[str, Path]
    urls: dict[str, str]
    entries: int
    total: int
    updated: dt.datetime
    built: bool


@dataclass
class FeedsSummary:
    """What a build did (or, with dry_run, would do)."""

    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    removed: list[Path] = field(default_factory=list)
    planned: int = 0
    dry_run: bool = False
    full: bool = False
    touched_only: bool = False  # the fast path: only the touched feeds and pages were looked at
    pinged: list[str] = field(default_factory=list)  # feed URLs the WebSub hub was told about
    ping_errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)

    def describe(self) -> str:
        verb_w, verb_r = ("would write", "would remove") if self.dry_run else ("wrote", "removed")
        mode = "full build" if self.full else "incremental build"
        prefix = f"dry run ({mode})" if self.dry_run else mode
        return (
            (
                f"{prefix}: {verb_w} {len(self.written)} files, {verb_r} {len(self.removed)}, "
                f"{self.unchanged} unchanged ({self.planned} rendered)"
            )
            + (f"; told the WebSub hub about {len(self.pinged)} feeds" if self.pinged else "")
            + (f"; {len(self.ping_errors)} hub pings failed" if self.ping_errors else "")
        )

    def __str__(self) -> str:
        return self.describe()
