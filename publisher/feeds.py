"""Publish the store as static files: RSS 2.0/Atom 1.0 feeds, OPML, an index page and one page per release."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import gc
import hashlib
import html
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import jinja2
from feedgen.feed import FeedGenerator
from sqlalchemy import Text, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from publisher import __version__
from publisher.config import Config
from publisher.errors import FeedError
from publisher.models import (
    Country,
    IngestRun,
    Project,
    Region,
    Release,
    ReleaseCountry,
    ReleaseProject,
    ReleaseRegion,
    ReleaseTopic,
    RunStatus,
    Topic,
)
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

log = logging.getLogger(__name__)

# Bump when the output changes for the same data, so a non-full build knows every file is stale.
OUTPUT_VERSION = "1"
MANIFEST_NAME = ".publisher-feeds.json"
LOCK_NAME = ".publisher-feeds.lock"
# Keys in `touched` besides feed keys: a release page to re-render, and an ingest run the keys account for.
PAGE_KEY = "release:"
RUN_KEY = "run:"
OPML_NAME = "feeds.opml"
INDEX_NAME = "index.html"
PAGES_DIR = "news"
GENERATOR_URI = "https://github.com/icmpd/publisher"
# An empty feed still needs a stable <updated>; "now" would change the bytes on every build.
EMPTY_FEED_UPDATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_CHUNK = 500
# Slugs become file names: refuse anything that could leave the feeds folder or need quoting in a URL.
_SAFE_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.))*$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class FeedKind(StrEnum):
    ALL = "all"
    TOPIC = "topic"
    REGION = "region"
    PROJECT = "project"


class FeedFormat(StrEnum):
    ATOM = "atom"
    RSS = "rss"


_KIND_DIRS = {FeedKind.TOPIC: "topics", FeedKind.REGION: "regions", FeedKind.PROJECT: "projects"}
_MEDIA_TYPES = {FeedFormat.ATOM: "application/atom+xml", FeedFormat.RSS: "application/rss+xml"}


# ---------------------------------------------------------------- values


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


@dataclass(frozen=True)
class FeedSpec:
    """One logical feed (written once per configured format)."""

    kind: FeedKind
    slug: str = ""
    name: str = ""
    description: str = ""
    link: str = ""  # alternate (HTML) page; empty: the index page
    empty_updated: dt.datetime = EMPTY_FEED_UPDATED

    @property
    def key(self) -> str:
        """The name ingest uses for this feed: all, topic:<slug>, region:<slug>, project:<slug>."""
        return "all" if self.kind is FeedKind.ALL else f"{self.kind}:{self.slug}"

    @property
    def stem(self) -> str:
        return "all" if self.kind is FeedKind.ALL else f"{_KIND_DIRS[self.kind]}/{self.slug}"

    def path(self, fmt: FeedFormat | str) -> str:
        """Path relative to the feeds folder (and to base_url)."""
        return f"{self.stem}.{fmt}"

    def title(self, cfg: Config) -> str:
        return cfg.site.title if self.kind is FeedKind.ALL else f"{cfg.site.title}: {self.name}"

    def subtitle(self, cfg: Config) -> str:
        if self.kind is FeedKind.ALL:
            return cfg.site.description
        if self.kind is FeedKind.TOPIC:
            return f"News on {self.name} from {cfg.site.title}."
        if self.kind is FeedKind.REGION:
            return f"News about {self.name} from {cfg.site.title}."
        return self.description or f"News related to the project {self.name}."

    def alternate(self, cfg: Config) -> str:
        return self.link or cfg.site.url(
            INDEX_NAME + ("" if self.kind is FeedKind.ALL else f"#{self.kind}-{self.slug}")
        )


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

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)

    def describe(self) -> str:
        verb_w, verb_r = ("would write", "would remove") if self.dry_run else ("wrote", "removed")
        mode = "full build" if self.full else "incremental build"
        prefix = f"dry run ({mode})" if self.dry_run else mode
        return (
            f"{prefix}: {verb_w} {len(self.written)} files, {verb_r} {len(self.removed)}, "
            f"{self.unchanged} unchanged ({self.planned} rendered)"
        )

    def __str__(self) -> str:
        return self.describe()


# ---------------------------------------------------------------- text → safe HTML


def safe_href(url: str) -> str:
    """The URL if it is absolute http(s), else '' (a javascript: link from source data must never go live)."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, whitespace collapsed."""
    return [" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def project_label(p: RelatedProject) -> str:
    return f"{p.name} ({p.acronym})" if p.acronym and p.acronym not in p.name else p.name


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


def _entry_time(entry: FeedEntry, cfg: Config) -> tuple[dt.datetime, dt.datetime]:
    """(published, updated): a release is dated by day, published at local midnight; never updated before that."""
    published = dt.datetime.combine(entry.published, dt.time(0, 0), tzinfo=cfg.site.tz)
    return published, max(entry.updated, published).astimezone(dt.UTC)


def feed_updated(spec: FeedSpec, entries: Sequence[FeedEntry], cfg: Config) -> dt.datetime:
    """Newest entry update; an empty feed falls back to a stable time (never now)."""
    return max((_entry_time(e, cfg)[1] for e in entries), default=spec.empty_updated)


# ---------------------------------------------------------------- pure builders


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
    fg.link(href=self_url, rel="self", type=_MEDIA_TYPES[fmt])
    fg.link(href=spec.alternate(cfg), rel="alternate", type="text/html")
    fg.language(cfg.site.language)
    fg.author({"name": cfg.site.author_name, "email": cfg.site.author_email})
    fg.generator("publisher", version=__version__, uri=GENERATOR_URI)
    # feedgen defaults <updated>/<lastBuildDate> to now, which would break byte-identical rebuilds.
    fg.updated(feed_updated(spec, entries, cfg))
    if fmt is FeedFormat.RSS:
        fg.managingEditor(f"{cfg.site.author_email} ({cfg.site.author_name})")
    for entry in entries:
        published, updated = _entry_time(entry, cfg)
        link = safe_href(entry.url) or cfg.site.url(f"{PAGES_DIR}/{entry.slug}.html")
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
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def template_env(cfg: Config) -> jinja2.Environment:
    """Jinja2 over the operator's templates, then the bundled ones; autoescape always on."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in cfg.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["safe_href"] = safe_href
    env.filters["project_label"] = project_label
    return env


def _template(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise FeedError(f"template {name}: {exc}") from None


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
    text = _template(env, "feeds/index.html").render(
        site=cfg.site,
        groups=[g for g in groups if g[2]],
        opml=OPML_NAME,
        opml_url=cfg.site.url(OPML_NAME),
        media_types={str(k): v for k, v in _MEDIA_TYPES.items()},
        generator=f"publisher {__version__}",
    )
    return text.encode("utf-8")


def build_release_page(entry: FeedEntry, cfg: Config, env: jinja2.Environment) -> bytes:
    """news/<slug>.html for one release: the text escaped, with its tags, feeds and related projects."""
    page_url = cfg.site.url(f"{PAGES_DIR}/{entry.slug}.html")
    original = safe_href(entry.url)
    text = _template(env, "feeds/release.html").render(
        site=cfg.site,
        entry=entry,
        page_url=page_url,
        original=original if original and original != page_url else "",
        media_types={str(k): v for k, v in _MEDIA_TYPES.items()},
        formats=list(cfg.feeds.formats),
        published=entry.published.isoformat(),
        updated=_entry_time(entry, cfg)[1].isoformat(),
    )
    return text.encode("utf-8")


# ---------------------------------------------------------------- reading the store


@dataclass(slots=True)
class _Sig:
    """The cheap part of a release: enough to order it, file it into feeds and fingerprint it (no text)."""

    id: int
    guid: str
    slug: str
    published: dt.date
    updated: dt.datetime
    content_hash: str
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    links: list[tuple[int, float, Any]] = field(default_factory=list)  # (project id, score, raw reasons)

    def fingerprint(self, project_slugs: dict[int, str]) -> str:
        links = sorted(
            (project_slugs.get(pid, ""), round(score, 6), repr(reasons)) for pid, score, reasons in self.links
        )
        return _hash(
            (
                self.guid,
                self.slug,
                self.content_hash,
                self.updated.isoformat(),
                sorted(self.topics),
                sorted(self.regions),
                sorted(self.countries),
                links,
            )
        )


@dataclass(frozen=True)
class _ProjectRow:
    id: int
    slug: str
    name: str
    acronym: str
    url: str
    years: str
    updated: dt.datetime


@dataclass
class Catalog:
    """The store at a glance: taxonomy names, projects, and every release's tags in feed order (no bodies)."""

    topics: dict[str, str]
    regions: dict[str, str]
    countries: dict[str, str]
    projects: dict[int, _ProjectRow]
    releases: list[_Sig]  # newest first: published desc, id desc

    @property
    def project_slugs(self) -> dict[int, str]:
        return {p.id: p.slug for p in self.projects.values()}

    def specs(self) -> list[FeedSpec]:
        """Every feed the store calls for, in a stable order."""
        out = [FeedSpec(FeedKind.ALL)]
        out += [FeedSpec(FeedKind.TOPIC, slug, name) for slug, name in sorted(self.topics.items())]
        out += [FeedSpec(FeedKind.REGION, slug, name) for slug, name in sorted(self.regions.items())]
        for p in sorted(self.projects.values(), key=lambda p: p.slug):
            desc = f"News related to the project {project_label(_related(p, 0.0, ()))}"
            desc += f" ({p.years})." if p.years else "."
            out.append(
                FeedSpec(
                    FeedKind.PROJECT,
                    p.slug,
                    project_label(_related(p, 0.0, ())),
                    desc,
                    link=safe_href(p.url),
                    empty_updated=p.updated,
                )
            )
        for s in out:
            if s.slug and not _SAFE_SLUG.match(s.slug):
                raise FeedError(f"{s.key}: slug {s.slug!r} cannot be a file name (letters, digits, '-', '_' only)")
        return out

    def memberships(self, limit: int) -> tuple[dict[str, list[_Sig]], dict[str, int]]:
        """The newest `limit` releases of each feed, and each feed's total, in one pass over the releases."""
        topic_keys = {t: f"topic:{t}" for t in self.topics}
        region_keys = {x: f"region:{x}" for x in self.regions}
        project_keys = {p.id: f"project:{p.slug}" for p in self.projects.values()}
        members: dict[str, list[_Sig]] = {}
        totals: dict[str, int] = {}
        for r in self.releases:
            keys = ["all"]
            keys += [topic_keys.get(t) or f"topic:{t}" for t in r.topics]
            keys += [region_keys.get(x) or f"region:{x}" for x in r.regions]
            keys += [project_keys[pid] for pid, _, _ in r.links if pid in project_keys]
            for k in keys:
                totals[k] = totals.get(k, 0) + 1
                lst = members.setdefault(k, [])
                if len(lst) < limit:
                    lst.append(r)
        return members, totals


def _related(p: _ProjectRow, score: float, reasons: tuple[str, ...]) -> RelatedProject:
    return RelatedProject(slug=p.slug, name=p.name, acronym=p.acronym, url=p.url, score=score, reasons=reasons)


def load_catalog(session: Session) -> Catalog:
    """Bulk-read what every build needs: a handful of queries, independent of the number of feeds."""
    catalog = load_small_catalog(session)
    # Core statements on the session's connection: no ORM row bookkeeping for 100k-row reads.
    conn = session.connection()
    r, rt, rr, rc, rp = (m.__table__.c for m in (Release, ReleaseTopic, ReleaseRegion, ReleaseCountry, ReleaseProject))
    by_id: dict[int, _Sig] = {}
    releases: list[_Sig] = []
    q = select(r.id, r.guid, r.slug, r.published, r.updated_at, r.content_hash).order_by(
        r.published.desc(), r.id.desc()
    )
    for rid, guid, slug, published, updated, content_hash in conn.execute(q).all():
        sig = _Sig(rid, guid, slug, published, updated, content_hash, [], [], [], [])
        by_id[rid] = sig
        releases.append(sig)
    for rid, topic in conn.execute(select(rt.release_id, rt.topic)).all():
        by_id[rid].topics.append(topic)
    for rid, region in conn.execute(select(rr.release_id, rr.region)).all():
        by_id[rid].regions.append(region)
    for rid, country in conn.execute(select(rc.release_id, rc.country)).all():
        by_id[rid].countries.append(country)
    # Reasons stay as stored (JSON text on SQLite) until an entry is rendered: decoding 100k of them per build
    # would cost more than the rest of the read.
    reasons_raw = type_coerce(rp.reasons, Text)
    for rid, pid, score, reasons in conn.execute(select(rp.release_id, rp.project_id, rp.score, reasons_raw)).all():
        by_id[rid].links.append((pid, score, reasons))
    catalog.releases.extend(releases)
    return catalog


def load_small_catalog(session: Session) -> Catalog:
    """The catalog without releases: taxonomy names and projects (a few hundred rows at most)."""
    topics = dict(session.execute(select(Topic.slug, Topic.name)).all())
    regions = dict(session.execute(select(Region.slug, Region.name)).all())
    countries = dict(session.execute(select(Country.code, Country.name)).all())
    projects = {
        p.id: _ProjectRow(p.id, p.slug, p.name, p.acronym or "", p.url or "", p.years, p.updated_at)
        for p in session.scalars(select(Project))
    }
    return Catalog(topics, regions, countries, projects, [])


def load_sigs(session: Session, ids: Iterable[int]) -> dict[int, _Sig]:
    """The compact rows (as load_catalog reads them) of the releases with these ids, by id; chunked lookups."""
    conn = session.connection()
    r, rt, rr, rc, rp = (m.__table__.c for m in (Release, ReleaseTopic, ReleaseRegion, ReleaseCountry, ReleaseProject))
    reasons_raw = type_coerce(rp.reasons, Text)
    by_id: dict[int, _Sig] = {}
    for chunk in _chunks(sorted(set(ids))):
        for rid, guid, slug, published, updated, content_hash in conn.execute(
            select(r.id, r.guid, r.slug, r.published, r.updated_at, r.content_hash).where(r.id.in_(chunk))
        ):
            by_id[rid] = _Sig(rid, guid, slug, published, updated, content_hash, [], [], [], [])
        for rid, topic in conn.execute(select(rt.release_id, rt.topic).where(rt.release_id.in_(chunk))):
            by_id[rid].topics.append(topic)
        for rid, region in conn.execute(select(rr.release_id, rr.region).where(rr.release_id.in_(chunk))):
            by_id[rid].regions.append(region)
        for rid, country in conn.execute(select(rc.release_id, rc.country).where(rc.release_id.in_(chunk))):
            by_id[rid].countries.append(country)
        for rid, pid, score, reasons in conn.execute(
            select(rp.release_id, rp.project_id, rp.score, reasons_raw).where(rp.release_id.in_(chunk))
        ):
            by_id[rid].links.append((pid, score, reasons))
    return by_id


def _chunks(items: Sequence[int]) -> Iterator[list[int]]:
    it = iter(items)
    while chunk := list(islice(it, _CHUNK)):
        yield chunk


def feed_members(session: Session, spec: FeedSpec, limit: int, everything: int) -> tuple[list[int], int]:
    """Ids of the newest `limit` releases of one feed (published desc, id desc) and the feed's total.

    `everything` is the number of releases. Indexed queries only: the releases (published, id) index, probing
    the tag table's primary key, for "all" and large feeds; the tag table's index joined to releases for small
    ones; whichever touches fewer rows, so the cost follows the feed's size or share, not the store's.
    """
    r = Release.__table__.c
    order = (r.published.desc(), r.id.desc())
    if spec.kind is FeedKind.ALL:
        return list(session.scalars(select(r.id).order_by(*order).limit(limit))), everything
    if spec.kind is FeedKind.PROJECT:
        pid = session.scalar(select(Project.id).where(Project.slug == spec.slug))
        table, match = ReleaseProject.__table__, ReleaseProject.__table__.c.project_id == pid
    elif spec.kind is FeedKind.TOPIC:
        table, match = ReleaseTopic.__table__, ReleaseTopic.__table__.c.topic == spec.slug
    else:
        table, match = ReleaseRegion.__table__, ReleaseRegion.__table__.c.region == spec.slug
    total = session.scalar(select(func.count()).select_from(table).where(match)) or 0
    if total * total > limit * everything:
        # A large feed: walk releases newest first and keep members, about limit * everything / total probes.
        member = select(table.c.release_id).where(table.c.release_id == r.id, match).exists()
        query = select(r.id).where(member)
    else:
        # A small feed: all its members (one index range), sorted.
        query = select(r.id).select_from(Release.__table__.join(table, r.id == table.c.release_id)).where(match)
    ids = list(session.scalars(query.order_by(*order).limit(limit)))
    return ids, total


def load_entries(session: Session, catalog: Catalog, sigs: Iterable[_Sig]) -> Iterator[FeedEntry]:
    """Full entries for `sigs` (text fetched in chunks of 500 by primary key), in the order given."""
    it = iter(sigs)
    while chunk := list(islice(it, _CHUNK)):
        rows = {
            r.id: r
            for r in session.execute(
                select(Release.id, Release.title, Release.summary, Release.body, Release.url).where(
                    Release.id.in_([s.id for s in chunk])
                )
            )
        }
        for s in chunk:
            row = rows.get(s.id)
            if row is None:
                continue
            yield _entry(s, row.title, row.summary, row.body, row.url, catalog)


def _reasons(raw: Any) -> tuple[str, ...]:
    """Link reasons as loaded by load_catalog: JSON text (SQLite) or already a list (psycopg decodes json)."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(str(x) for x in value or ())


def _entry(s: _Sig, title: str, summary: str, body: str, url: str, catalog: Catalog) -> FeedEntry:
    links = sorted(
        (
            _related(catalog.projects[pid], score, _reasons(reasons))
            for pid, score, reasons in s.links
            if pid in catalog.projects
        ),
        key=lambda p: (-p.score, p.slug),
    )
    return FeedEntry(
        id=s.id,
        guid=s.guid,
        slug=s.slug,
        title=title,
        url=url,
        published=s.published,
        updated=s.updated,
        summary=summary,
        body=body,
        topics=tuple(Term(t, catalog.topics.get(t, t)) for t in sorted(s.topics)),
        regions=tuple(Term(t, catalog.regions.get(t, t)) for t in sorted(s.regions)),
        countries=tuple(Term(c, catalog.countries.get(c, c)) for c in sorted(s.countries)),
        projects=tuple(links),
    )


# ---------------------------------------------------------------- writing


def _hash(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=10).hexdigest()


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temp file in the same folder + rename, only if the bytes differ.

    Readers (a web server, a feed reader on file://) see the old or the new file, never half of one.
    Returns True when the file was (re)written.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise FeedError(f"cannot read {path}: {exc.strerror}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            # mkstemp makes 0600 files; feeds are public and a web server may run as another user.
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise FeedError(f"cannot write {path}: {exc.strerror}") from None
    return True


@contextlib.contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """One build at a time per feeds folder (the scheduler and a manual `feeds build` may overlap)."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / LOCK_NAME, "a+b")  # noqa: SIM115  (held for the whole build)
    except OSError as exc:
        raise FeedError(f"cannot create feeds folder {folder}: {exc.strerror}") from None
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_manifest(folder: Path) -> dict[str, Any]:
    """What the last build wrote: per feed its fingerprint and files, per release page its fingerprint."""
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # A damaged manifest only costs a rebuild; the files themselves are still compared byte for byte.
        log.warning("ignoring unreadable feeds manifest %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) and data.get("version") == OUTPUT_VERSION else {}


# ---------------------------------------------------------------- the build


@dataclass
class _Plan:
    specs: list[FeedSpec]
    members: dict[str, list[_Sig]]
    totals: dict[str, int]
    feed_fps: dict[str, str]
    page_fps: dict[str, str]  # relative path -> fingerprint
    page_sigs: dict[str, _Sig]
    context: str


def _context_fingerprint(cfg: Config, catalog: Catalog, env: jinja2.Environment) -> str:
    """Everything besides a release's own row that shows in the output; when it changes, everything is stale."""
    sources = []
    for name in ("feeds/index.html", "feeds/release.html"):
        try:
            sources.append(env.loader.get_source(env, name)[0] if env.loader else "")
        except jinja2.TemplateNotFound:
            sources.append("")
    import feedgen.version

    return _hash(
        (
            OUTPUT_VERSION,
            __version__,
            feedgen.version.version_str,
            sources,
            cfg.site.title,
            cfg.site.description,
            cfg.site.base_url,
            cfg.site.language,
            cfg.site.author_name,
            cfg.site.author_email,
            cfg.site.timezone,
            cfg.feeds.max_entries,
            cfg.feeds.formats,
            sorted(catalog.topics.items()),
            sorted(catalog.regions.items()),
            sorted(catalog.countries.items()),
            # What entries and pages show of a project; its dates only show in its own feed (part of that FeedSpec),
            # so editing a project's description does not make every release page stale.
            sorted((p.slug, p.name, p.acronym, p.url) for p in catalog.projects.values()),
        )
    )


def _plan(cfg: Config, catalog: Catalog, env: jinja2.Environment) -> _Plan:
    specs = catalog.specs()
    members, totals = catalog.memberships(cfg.feeds.max_entries)
    slugs = catalog.project_slugs
    sig_fp = {r.id: r.fingerprint(slugs) for r in catalog.releases}
    feed_fps = {s.key: _hash((s, [sig_fp[r.id] for r in members.get(s.key, [])])) for s in specs}
    page_fps: dict[str, str] = {}
    page_sigs: dict[str, _Sig] = {}
    for r in catalog.releases:
        if not _SAFE_SLUG.match(r.slug):
            raise FeedError(f"release {r.guid}: slug {r.slug!r} cannot be a file name")
        path = f"{PAGES_DIR}/{r.slug}.html"
        page_fps[path] = sig_fp[r.id]
        page_sigs[path] = r
    return _Plan(specs, members, totals, feed_fps, page_fps, page_sigs, _context_fingerprint(cfg, catalog, env))


def build(
    cfg: Config,
    store: Store,
    *,
    touched: set[str] | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> FeedsSummary:
    """Bring cfg.feeds.dir up to date with the store; see the module doc and README section "feeds".

    A non-full build renders only what its manifest says is stale (fingerprint of each feed's entries and of
    each release page changed, file missing, or named in `touched`); every rendered file is still written only
    when its bytes differ. `full` renders everything. `dry_run` renders and compares but writes nothing.

    `touched` holds what an ingest changed: feed keys (all, topic:x, region:x, project:x), release pages
    (release:<slug>) and the ingest runs it accounts for (run:<id>). With it, and a manifest whose settings,
    taxonomy and projects still match and whose later ingest runs are all named, only those feeds (their newest
    entries queried by index) and pages are rendered; otherwise every feed and page is fingerprinted.
    """
    folder = cfg.feeds.dir
    lock = contextlib.nullcontext() if dry_run else _build_lock(folder)
    with lock:
        return _build_locked(cfg, store, folder, touched or set(), full, dry_run, progress)


class _Emitter:
    """Writes (or, in a dry run, compares) rendered files and counts them into the summary."""

    def __init__(self, folder: Path, summary: FeedsSummary, progress: Progress) -> None:
        self.folder, self.summary, self.progress = folder, summary, progress

    def __call__(self, rel: str, data: bytes) -> None:
        self.summary.planned += 1
        path = self.folder / rel
        if self.summary.dry_run:
            try:
                changed = path.read_bytes() != data
            except OSError:
                changed = True
        else:
            changed = write_atomic(path, data)
        if changed:
            self.summary.written.append(path)
        self.progress.advance(1)

    def remove(self, rel: str) -> None:
        path = self.folder / rel
        if path.is_file():
            self.summary.removed.append(path)
            if not self.summary.dry_run:
                try:
                    path.unlink()
                except OSError as exc:
                    raise FeedError(f"cannot remove {path}: {exc.strerror}") from None


def _write_manifest(folder: Path, manifest: dict[str, Any], previous: dict[str, Any]) -> None:
    if manifest != previous:  # encoding 100k page fingerprints is not free; skip it when nothing changed
        write_atomic(
            folder / MANIFEST_NAME, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
        )


def _ingest_state(session: Session) -> dict[str, Any]:
    """Which ingest runs the store holds: the newest run id, and the runs still running (nothing committed yet).

    Read before the content, so every run it counts as finished is in what the build reads.
    """
    newest = session.scalar(select(func.max(IngestRun.id))) or 0
    running = sorted(session.scalars(select(IngestRun.id).where(IngestRun.status == RunStatus.RUNNING)))
    return {"mark": newest, "open": running}


def _runs_changed_since(session: Session, state: dict[str, Any]) -> set[int]:
    """Ingest runs that committed content changes after the build that recorded `state`."""
    mark, still_open = int(state.get("mark", 0)), [int(i) for i in state.get("open", [])]
    changed = set()
    for rid, added, updated, details in session.execute(
        select(IngestRun.id, IngestRun.added, IngestRun.updated, IngestRun.details).where(
            IngestRun.status == RunStatus.OK, or_(IngestRun.id > mark, IngestRun.id.in_(still_open))
        )
    ):
        details = details if isinstance(details, dict) else {}
        if added or updated or details.get("removed") or details.get("relinked"):
            changed.add(rid)
    return changed


def _build_locked(
    cfg: Config, store: Store, folder: Path, touched: set[str], full: bool, dry_run: bool, progress: Progress
) -> FeedsSummary:
    formats = [FeedFormat(f) for f in cfg.feeds.formats]
    env = template_env(cfg)
    # Parse templates before touching any file: a broken operator template fails the build up front.
    _template(env, "feeds/index.html")
    _template(env, "feeds/release.html")
    previous = read_manifest(folder)
    with store.session() as session:
        if touched and not full and previous:
            fast = _build_touched(cfg, session, folder, touched, previous, formats, env, dry_run, progress)
            if fast is not None:
                return fast
        return _build_all(cfg, session, folder, touched, previous, full, formats, env, dry_run, progress)


# Past this many changed releases a build reads the whole catalog anyway: bulk reads beat per-release lookups.
_FAST_PAGE_LIMIT = 2000


def _build_touched(
    cfg: Config,
    session: Session,
    folder: Path,
    touched: set[str],
    previous: dict[str, Any],
    formats: list[FeedFormat],
    env: jinja2.Environment,
    dry_run: bool,
    progress: Progress,
) -> FeedsSummary | None:
    """The fast path: re-render only the touched feeds and release pages, querying each touched feed's newest
    entries instead of reading the whole store. None (and nothing done) when the previous manifest cannot be
    trusted to describe everything else: other settings or taxonomy, other feeds, or store changes that the
    caller's keys do not account for (an ingest run not named in `touched`, e.g. a separate `publisher ingest`).
    """
    if "ingest" not in previous:
        return None
    state = _ingest_state(session)
    covered = {int(k[len(RUN_KEY) :]) for k in touched if k.startswith(RUN_KEY) and k[len(RUN_KEY) :].isdigit()}
    unaccounted = _runs_changed_since(session, previous["ingest"]) - covered
    if unaccounted:
        log.info("feeds: ingest runs %s are not in the touched keys; checking every feed", sorted(unaccounted))
        return None
    page_slugs = sorted({k[len(PAGE_KEY) :] for k in touched if k.startswith(PAGE_KEY)})
    if len(page_slugs) > _FAST_PAGE_LIMIT:
        return None
    catalog = load_small_catalog(session)
    if _context_fingerprint(cfg, catalog, env) != previous.get("context"):
        return None
    specs = catalog.specs()
    old_feeds: dict[str, Any] = previous.get("feeds", {})
    if {s.key for s in specs} != set(old_feeds) or any(
        not isinstance(old_feeds[s.key], dict) or old_feeds[s.key].get("files") != [s.path(f) for f in formats]
        for s in specs
    ):
        return None

    summary = FeedsSummary(dry_run=dry_run, touched_only=True)
    emit = _Emitter(folder, summary, progress)
    stale = [
        s
        for s in specs
        if s.key in touched
        or old_feeds[s.key].get("spec") != _hash(s)
        or not all((folder / s.path(f)).is_file() for f in formats)
    ]
    progress.start("feeds", total=len(stale) * len(formats) + len(page_slugs) + 2)
    everything = session.scalar(select(func.count()).select_from(Release)) or 0 if stale else 0
    members = {s.key: feed_members(session, s, cfg.feeds.max_entries, everything) for s in stale}
    page_ids = {
        slug: rid
        for chunk in _chunks(page_slugs)  # type: ignore[arg-type]
        for rid, slug in session.execute(select(Release.id, Release.slug).where(Release.slug.in_(chunk)))
    }
    sigs = load_sigs(session, {i for ids, _ in members.values() for i in ids} | set(page_ids.values()))
    slugs = catalog.project_slugs

    feeds_manifest = dict(old_feeds)
    entries = {
        e.id: e
        for e in load_entries(session, catalog, [sigs[i] for i in {i for ids, _ in members.values() for i in ids}])
    }
    fresh: dict[str, tuple[int, dt.datetime]] = {}
    for s in stale:
        ids, total = members[s.key]
        ids = [i for i in ids if i in entries]  # (a release deleted between two statements on PostgreSQL)
        feed_sigs = [sigs[i] for i in ids]
        for f in formats:
            emit(s.path(f), build_feed(s, [entries[i] for i in ids], cfg, f))
        updated = _members_updated(s, feed_sigs, cfg)
        fresh[s.key] = (len(ids), updated)
        feeds_manifest[s.key] = _feed_manifest(
            s, formats, _hash((s, [r.fingerprint(slugs) for r in feed_sigs])), len(ids), total, updated
        )

    pages: dict[str, str] = dict(previous.get("pages", {}))
    for slug in page_slugs:
        rel = f"{PAGES_DIR}/{slug}.html"
        if slug not in page_ids:  # the release is gone
            if rel in pages:
                emit.remove(rel)
                del pages[rel]
            continue
        if not _SAFE_SLUG.match(slug):
            raise FeedError(f"release {sigs[page_ids[slug]].guid}: slug {slug!r} cannot be a file name")
        pages[rel] = sigs[page_ids[slug]].fingerprint(slugs)
    for entry in load_entries(session, catalog, [sigs[page_ids[s]] for s in page_slugs if s in page_ids]):
        emit(f"{PAGES_DIR}/{entry.slug}.html", build_release_page(entry, cfg, env))

    # The index and OPML show each feed's entry count and newest update: the manifest has them for the rest.
    rows = []
    for s in specs:
        if s.key in fresh:
            n, updated = fresh[s.key]
        else:
            n, updated = int(old_feeds[s.key]["entries"]), dt.datetime.fromisoformat(old_feeds[s.key]["updated"])
        rows.append(_index_row(s, cfg, formats, n, updated))
    _emit_index(emit, rows, specs, cfg, env)

    summary.unchanged = sum(len(formats) for _ in specs) + len(pages) + 2 - len(summary.written)
    if not dry_run:
        manifest = dict(previous, feeds=feeds_manifest, pages=pages, ingest=state)
        _write_manifest(folder, manifest, previous)
    progress.done()
    log.info("feeds (touched only): %s", summary.describe())
    return summary


def _feed_manifest(
    s: FeedSpec, formats: list[FeedFormat], fingerprint: str, entries: int, total: int, updated: dt.datetime
) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "files": [s.path(f) for f in formats],
        "entries": entries,
        "total": total,
        "updated": updated.isoformat(),
        "spec": _hash(s),
    }


def _index_row(s: FeedSpec, cfg: Config, formats: list[FeedFormat], entries: int, updated: dt.datetime) -> IndexRow:
    return IndexRow(
        spec=s,
        title=s.title(cfg),
        files=[(str(f), s.path(f), cfg.site.url(s.path(f))) for f in formats],
        entries=entries,
        updated=updated,
    )


def _emit_index(
    emit: _Emitter, rows: list[IndexRow], specs: list[FeedSpec], cfg: Config, env: jinja2.Environment
) -> None:
    newest = max((r.updated for r in rows), default=EMPTY_FEED_UPDATED)
    emit(INDEX_NAME, build_index(rows, cfg, env))
    emit(OPML_NAME, build_opml(specs, cfg, newest))


def _build_all(
    cfg: Config,
    session: Session,
    folder: Path,
    touched: set[str],
    previous: dict[str, Any],
    full: bool,
    formats: list[FeedFormat],
    env: jinja2.Environment,
    dry_run: bool,
    progress: Progress,
) -> FeedsSummary:
    """Read the whole catalog, fingerprint every feed and page, render what is stale (everything when `full`)."""
    summary = FeedsSummary(dry_run=dry_run, full=full)
    emit = _Emitter(folder, summary, progress)
    old = {} if full else previous
    state = _ingest_state(session)  # before the catalog: see _ingest_state
    with _gc_paused():
        catalog = load_catalog(session)
        plan = _plan(cfg, catalog, env)
    fresh_context = old.get("context") == plan.context
    old_feeds: dict[str, Any] = old.get("feeds", {}) if fresh_context else {}
    old_pages: dict[str, str] = old.get("pages", {}) if fresh_context else {}
    forced_pages = {f"{PAGES_DIR}/{k[len(PAGE_KEY) :]}.html" for k in touched if k.startswith(PAGE_KEY)}

    def stale_feed(s: FeedSpec) -> bool:
        prev = old_feeds.get(s.key)
        return (
            prev is None
            or s.key in touched
            or prev.get("fingerprint") != plan.feed_fps[s.key]
            or prev.get("files") != [s.path(f) for f in formats]
            or not all((folder / s.path(f)).is_file() for f in formats)
        )

    stale_specs = [s for s in plan.specs if stale_feed(s)]
    on_disk = _listdir(folder / PAGES_DIR)  # one directory read instead of a stat per page
    stale_pages = [
        p
        for p, fp in plan.page_fps.items()
        if old_pages.get(p) != fp or p in forced_pages or p[len(PAGES_DIR) + 1 :] not in on_disk
    ]
    current_files = {s.path(f) for s in plan.specs for f in formats} | set(plan.page_fps)
    current_files |= {INDEX_NAME, OPML_NAME}
    total_files = len(current_files)
    progress.start("feeds", total=len(stale_specs) * len(formats) + len(stale_pages) + 2)

    # Feeds: the text of at most max_entries releases per stale feed, each release fetched once.
    needed: dict[int, _Sig] = {}
    for s in stale_specs:
        for r in plan.members.get(s.key, []):
            needed[r.id] = r
    entries = {e.id: e for e in load_entries(session, catalog, needed.values())}
    for s in stale_specs:
        feed_entries = [entries[r.id] for r in plan.members.get(s.key, []) if r.id in entries]
        for f in formats:
            emit(s.path(f), build_feed(s, feed_entries, cfg, f))

    # Release pages, streamed so a full build of a large store stays flat in memory.
    for entry in load_entries(session, catalog, (plan.page_sigs[p] for p in stale_pages)):
        emit(f"{PAGES_DIR}/{entry.slug}.html", build_release_page(entry, cfg, env))

    updated = {s.key: _members_updated(s, plan.members.get(s.key, []), cfg) for s in plan.specs}
    rows = [_index_row(s, cfg, formats, len(plan.members.get(s.key, [])), updated[s.key]) for s in plan.specs]
    _emit_index(emit, rows, plan.specs, cfg, env)

    # What earlier builds wrote and the store no longer calls for (deleted topic, project, release, format).
    previous_files: set[str] = set(previous.get("pages", {}))
    for prev in previous.get("feeds", {}).values():
        previous_files.update(prev.get("files", []))
    if full:
        # A full build has no trusted manifest to go by; look at what we may have written before.
        previous_files |= _existing_outputs(folder)
    for rel in sorted(previous_files - current_files):
        emit.remove(rel)

    summary.unchanged = total_files - len(summary.written)
    if not dry_run:
        manifest: dict[str, Any] = {
            "version": OUTPUT_VERSION,
            "context": plan.context,
            "ingest": state,
            "feeds": {
                s.key: _feed_manifest(
                    s,
                    formats,
                    plan.feed_fps[s.key],
                    len(plan.members.get(s.key, [])),
                    plan.totals.get(s.key, 0),
                    updated[s.key],
                )
                for s in plan.specs
            },
            "pages": plan.page_fps,
        }
        _write_manifest(folder, manifest, previous)
    progress.done()
    log.info("feeds: %s", summary.describe())
    return summary


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while reading the catalog: it makes no cycles, but its ~10^5-10^6 new objects
    would trigger repeated full collections (measured: 40% of a no-op build of 100k releases)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _listdir(folder: Path) -> set[str]:
    try:
        with os.scandir(folder) as it:
            return {e.name for e in it}
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise FeedError(f"cannot read {folder}: {exc.strerror}") from None


def _existing_outputs(folder: Path) -> set[str]:
    """Feed files and release pages found on disk in the folders this step owns (not operator files)."""
    found: set[str] = set()
    for sub, patterns in (
        ("topics", ("*.atom", "*.rss")),
        ("regions", ("*.atom", "*.rss")),
        ("projects", ("*.atom", "*.rss")),
        (PAGES_DIR, ("*.html",)),
    ):
        for pattern in patterns:
            found.update(p.relative_to(folder).as_posix() for p in (folder / sub).glob(pattern))
    for pattern in ("all.atom", "all.rss"):
        if (folder / pattern).is_file():
            found.add(pattern)
    return found


def _members_updated(spec: FeedSpec, members: Sequence[_Sig], cfg: Config) -> dt.datetime:
    times = [
        max(r.updated, dt.datetime.combine(r.published, dt.time(0), tzinfo=cfg.site.tz)).astimezone(dt.UTC)
        for r in members
    ]
    return max(times, default=spec.empty_updated)


def list_feeds(cfg: Config, store: Store) -> list[FeedInfo]:
    """Every feed the store calls for, with its files, URLs, entry count and newest update."""
    formats = [FeedFormat(f) for f in cfg.feeds.formats]
    with store.session() as session, _gc_paused():
        catalog = load_catalog(session)
    members, totals = catalog.memberships(cfg.feeds.max_entries)
    out = []
    for s in catalog.specs():
        paths = {str(f): cfg.feeds.dir / s.path(f) for f in formats}
        out.append(
            FeedInfo(
                key=s.key,
                kind=s.kind,
                slug=s.slug,
                title=s.title(cfg),
                paths=paths,
                urls={str(f): cfg.site.url(s.path(f)) for f in formats},
                entries=len(members.get(s.key, [])),
                total=totals.get(s.key, 0),
                updated=_members_updated(s, members.get(s.key, []), cfg),
                built=all(p.is_file() for p in paths.values()),
            )
        )
    return out


__all__ = [
    "FeedEntry",
    "FeedFormat",
    "FeedInfo",
    "FeedKind",
    "FeedSpec",
    "FeedsSummary",
    "RelatedProject",
    "Term",
    "build",
    "build_feed",
    "build_index",
    "build_opml",
    "build_release_page",
    "list_feeds",
    "write_atomic",
]
