"""The site build: fingerprint every page from the compact catalog, render and atomically write only stale ones."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2

from publisher import __version__
from publisher.config import Config
from publisher.errors import FeedError
from publisher.feeds.load import Catalog, ReleaseSig, load_catalog
from publisher.feeds.model import PAGES_DIR, SAFE_SLUG, FeedsSummary, release_times, stable_hash
from publisher.feeds.pages import template, template_env
from publisher.feeds.plan import gc_paused
from publisher.feeds.write import Emitter, build_lock, write_atomic
from publisher.progress import NULL_PROGRESS, Progress
from publisher.site.build import (
    SITE_TEMPLATES,
    build_digests,
    build_directory,
    build_home,
    build_list_page,
    build_stylesheet,
)
from publisher.site.load import Lists, lists_of, load_editions, load_teasers
from publisher.site.model import (
    DIGESTS_DIR,
    FEEDS_INDEX,
    HOME,
    HOME_SIZE,
    LIST_DIRS,
    PAGE_SIZE,
    SITE_MANIFEST,
    SITE_VERSION,
    STYLESHEET,
    EditionRow,
    ListInfo,
    ListKind,
    ListPage,
    page_dir,
    page_file,
)
from publisher.site.sitemap import SITEMAP, SitemapEntry, robots_with_sitemap, sitemap_files, sitemap_names
from publisher.store import Store

log = logging.getLogger(__name__)
ROBOTS = "robots.txt"


def build_site(
    cfg: Config,
    store: Store,
    *,
    full: bool = False,
    dry_run: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Progress = NULL_PROGRESS,
) -> FeedsSummary:
    """Bring the site pages in cfg.feeds.dir up to date with the store (see README section "site").

    Every page's fingerprint comes from the compact catalog (the releases it shows, their content hashes and
    tags, the names around them, the templates and settings): a page is rendered only when that changed or its
    file is missing (everything when `full`), and written only when its bytes differ. `dry_run` writes nothing.
    """
    folder = cfg.feeds.dir
    env = template_env(cfg)
    for name in SITE_TEMPLATES:  # a broken operator template fails before any file is touched
        template(env, name)
    lock = contextlib.nullcontext() if dry_run else build_lock(folder)
    with lock, store.session() as session:
        with gc_paused():
            catalog = load_catalog(session)
        editions = load_editions(session)
        lists = lists_of(catalog)
        previous = {} if full else _read_manifest(folder)
        context = _context(cfg, catalog, env, page_size)
        old_pages: dict[str, str] = previous.get("pages", {}) if previous.get("context") == context else {}

        # Plan: every page with its fingerprint and what it needs to render.
        plan: dict[str, tuple[str, Any]] = {}
        everything = catalog.releases
        infos = [info for info, _ in lists.values()]
        plan[HOME] = (_fp(context, "home", everything[: HOME_SIZE + 1], infos), ("home", None))
        for rel, info, n, pages, chunk in _list_pages(lists, everything, page_size):
            plan[rel] = (_fp(context, "list", info, n, pages, chunk), ("list", (info, n, pages, chunk)))
        for kind in DIRECTORY_KINDS:
            kinfos = [info for (k, _), (info, _r) in lists.items() if k is kind]
            plan[page_file(f"{LIST_DIRS[kind]}/")] = (_fp(context, "dir", kind, kinfos), ("dir", (kind, kinfos)))
        plan[page_file(f"{DIGESTS_DIR}/")] = (_fp(context, "digests", editions), ("digests", editions))
        plan[STYLESHEET] = (_fp(context, "css"), ("css", None))
        sitemap = sitemap_entries(cfg, catalog, editions, lists=lists, page_size=page_size)
        sitemap_fp = _fp(context, "sitemap", sitemap)
        plan.update((name, (sitemap_fp, ("sitemap", name))) for name in sitemap_names(len(sitemap)))

        stale = [rel for rel, (fp, _) in plan.items() if old_pages.get(rel) != fp or not (folder / rel).is_file()]
        summary = FeedsSummary(dry_run=dry_run, full=full)
        emit = Emitter(folder, summary, progress)
        progress.start("site", total=len(stale))
        needed: dict[int, ReleaseSig] = {}
        for rel in stale:
            what, arg = plan[rel][1]
            if what == "list":
                needed.update((r.id, r) for r in arg[3])
            elif what == "home":
                needed.update((r.id, r) for r in everything[:HOME_SIZE])
        teasers = load_teasers(session, catalog, needed.values())
        sitemap_bytes: dict[str, bytes] = {}
        for rel in stale:
            what, arg = plan[rel][1]
            if what == "home":
                shown = tuple(teasers[r.id] for r in everything[:HOME_SIZE] if r.id in teasers)
                emit(rel, build_home(shown, len(everything) > HOME_SIZE, infos, cfg, env))
            elif what == "list":
                info, n, pages, chunk = arg
                page = ListPage(info, n, pages, tuple(teasers[r.id] for r in chunk if r.id in teasers))
                emit(rel, build_list_page(page, cfg, env))
            elif what == "dir":
                emit(rel, build_directory(arg[0], arg[1], cfg, env))
            elif what == "digests":
                emit(rel, build_digests(arg, cfg, env))
            elif what == "sitemap":
                sitemap_bytes = sitemap_bytes or sitemap_files(sitemap, cfg.site.url(""))
                emit(rel, sitemap_bytes[arg])
            else:
                emit(rel, build_stylesheet(env))

        # Pages an earlier build wrote that the store no longer calls for (a deleted topic, a shorter list).
        for rel in sorted(set(previous.get("pages", {})) - set(plan)):
            emit.remove(rel)
        summary.unchanged = len(plan) - len(summary.written)
        if not dry_run:
            _list_sitemap_in_robots(cfg, summary)
        manifest = {"version": SITE_VERSION, "context": context, "pages": {r: fp for r, (fp, _) in plan.items()}}
        if not dry_run and manifest != previous:
            data = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
            write_atomic(folder / SITE_MANIFEST, data)
    progress.done()
    log.info("site: %s", summary.describe())
    return summary


def build_digest_archive(cfg: Config, store: Store) -> FeedsSummary:
    """Re-render just the digest archive page (digests/index.html) of a site built before, after new editions,
    and the sitemap that dates it.

    The cycle builds the site before it builds editions, so without this a new edition would show only at the
    next feeds build. Nothing happens where no site was built (no site manifest): digests alone make no site.
    The pages' fingerprints go into the manifest, so the next site build finds them current.
    """
    folder = cfg.feeds.dir
    if not (folder / SITE_MANIFEST).is_file():
        return FeedsSummary()
    env = template_env(cfg)
    for name in SITE_TEMPLATES:
        template(env, name)
    summary = FeedsSummary()
    with build_lock(folder), store.session() as session:
        with gc_paused():
            catalog = load_catalog(session)
        editions = load_editions(session)
        previous = _read_manifest(folder)
        context = _context(cfg, catalog, env, PAGE_SIZE)
        emit = Emitter(folder, summary, NULL_PROGRESS)
        archive = page_file(f"{DIGESTS_DIR}/")
        fps = {archive: _fp(context, "digests", editions)}
        emit(archive, build_digests(editions, cfg, env))
        sitemap = sitemap_entries(cfg, catalog, editions)
        sitemap_fp = _fp(context, "sitemap", sitemap)
        for rel, data in sitemap_files(sitemap, cfg.site.url("")).items():
            fps[rel] = sitemap_fp
            emit(rel, data)
        pages = previous.get("pages")
        # A manifest of other settings or templates is left alone: the next build re-renders everything anyway.
        if (
            previous.get("context") == context
            and isinstance(pages, dict)
            and any(pages.get(r) != f for r, f in fps.items())
        ):
            text = json.dumps({**previous, "pages": {**pages, **fps}}, sort_keys=True, separators=(",", ":"))
            write_atomic(folder / SITE_MANIFEST, text.encode("utf-8"))
    summary.unchanged = summary.planned - len(summary.written)
    log.info("site: digest archive: %s", summary.describe())
    return summary


DIRECTORY_KINDS = (ListKind.TOPIC, ListKind.REGION, ListKind.COUNTRY, ListKind.PROJECT)


def site_urls(cfg: Config, catalog: Catalog, *, page_size: int = PAGE_SIZE) -> list[str]:
    """The absolute URL of every site page the catalog calls for (folder URLs, as linked), for the sitemap."""
    folders = ["", f"{DIGESTS_DIR}/"] + [f"{LIST_DIRS[k]}/" for k in DIRECTORY_KINDS]
    folders += [rel[: -len("index.html")] for rel, *_ in _list_pages(lists_of(catalog), catalog.releases, page_size)]
    return [cfg.site.url(f) for f in folders]


def sitemap_entries(
    cfg: Config,
    catalog: Catalog,
    editions: list[EditionRow],
    *,
    lists: Lists | None = None,
    page_size: int = PAGE_SIZE,
) -> list[SitemapEntry]:
    """Every page of `site_urls`, the feed table and every release page, each with when its content last changed.

    That is the newest change among the releases it shows or counts (a list page shows its list's count, so every
    page of a list changes with any of its releases), the newest edition for the archive, a release's own update
    time for its page; never the build time. A page with nothing in it has no date (None).
    """
    lists = lists_of(catalog) if lists is None else lists
    everything = catalog.releases
    changed = {r.id: release_times(r.id, r.published, r.updated, r.created)[1] for r in everything}

    def newest(rels: list[ReleaseSig]) -> dt.datetime | None:
        return max((changed[r.id] for r in rels), default=None)

    latest = newest(everything)
    by_list = {key: newest(rels) for key, (_info, rels) in _with_all(lists, everything).items()}
    entries: list[SitemapEntry] = [(cfg.site.url(""), latest)]
    built = [e.built_at for e in editions if e.built_at is not None]
    entries.append((cfg.site.url(f"{DIGESTS_DIR}/"), max(built, default=None)))
    for kind in DIRECTORY_KINDS:
        dates = [d for (k, _), d in by_list.items() if k is kind and d is not None]
        entries.append((cfg.site.url(f"{LIST_DIRS[kind]}/"), max(dates, default=None)))
    for rel, info, *_ in _list_pages(lists, everything, page_size):
        entries.append((cfg.site.url(rel[: -len("index.html")]), by_list[(info.kind, info.slug)]))
    entries.append((cfg.site.url(FEEDS_INDEX[: -len("index.html")]), latest))
    entries += [(cfg.site.url(f"{PAGES_DIR}/{r.slug}.html"), changed[r.id]) for r in everything]
    return entries


def _list_sitemap_in_robots(cfg: Config, summary: FeedsSummary) -> None:
    """An operator's robots.txt in the folder names the sitemap (the site writes none of its own)."""
    robots = cfg.feeds.dir / ROBOTS
    try:
        text = robots.read_text("utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s: not updated with the sitemap: %s", robots, exc)
        return
    updated = robots_with_sitemap(text, cfg.site.url(SITEMAP))
    if updated is not None and write_atomic(robots, updated.encode("utf-8")):
        summary.written.append(robots)


def _list_pages(
    lists: Lists, everything: list[ReleaseSig], page_size: int
) -> Iterator[tuple[str, ListInfo, int, int, list[ReleaseSig]]]:
    """(file, list, page number, pages, releases on it) of every page of every list, all news first."""
    for (kind, _slug), (info, rels) in _with_all(lists, everything).items():
        if info.slug and not SAFE_SLUG.match(info.slug):
            raise FeedError(f"{kind} {info.slug!r}: slug cannot be a folder name")
        pages = max(1, -(-len(rels) // page_size))
        for n in range(1, pages + 1):
            yield page_file(page_dir(kind, info.slug, n)), info, n, pages, rels[(n - 1) * page_size : n * page_size]


def _with_all(lists: Lists, everything: list[ReleaseSig]) -> Lists:
    """The lists plus "all news" (/archive/), which every release is in."""
    out: Lists = {(ListKind.ALL, ""): (ListInfo(ListKind.ALL, "", "All news", len(everything)), everything)}
    out.update(lists)
    return out


def _fp(context: str, *parts: Any) -> str:
    """A page's fingerprint: the shared context, then its own values (releases by their content fingerprint)."""
    return stable_hash((context, [_part(p) for p in parts]))


def _part(value: Any) -> Any:
    if isinstance(value, list) and value and isinstance(value[0], ReleaseSig):
        return [(r.id, r.fingerprint({})) for r in value]
    return value


def _context(cfg: Config, catalog: Catalog, env: jinja2.Environment, page_size: int) -> str:
    """What shows on every page besides its own list: when it changes, every page is stale."""
    sources = []
    for name in SITE_TEMPLATES:
        try:
            sources.append(env.loader.get_source(env, name)[0] if env.loader else "")
        except jinja2.TemplateNotFound:
            sources.append("")
    return stable_hash(
        (
            SITE_VERSION,
            __version__,
            sources,
            cfg.site.title,
            cfg.site.description,
            cfg.site.base_url,
            cfg.site.language,
            cfg.feeds.formats,
            page_size,
            sorted(catalog.topics.items()),
        )
    )


def _read_manifest(folder: Path) -> dict[str, Any]:
    """What the last site build wrote ({} when missing, damaged or of another version: only costs a rebuild)."""
    try:
        data = json.loads((folder / SITE_MANIFEST).read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable site manifest: %s", exc)
        return {}
    return data if isinstance(data, dict) and data.get("version") == SITE_VERSION else {}
