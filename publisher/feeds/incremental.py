"""The feeds build: render only what is stale (touched-only fast path, else full fingerprint check), list feeds."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import FeedError
from publisher.feeds.build import build_feed, build_opml
from publisher.feeds.load import (
    ReleaseSig,
    chunks,
    feed_members,
    load_catalog,
    load_entries,
    load_sigs,
    load_small_catalog,
)
from publisher.feeds.model import (
    EMPTY_FEED_UPDATED,
    INDEX_NAME,
    KIND_DIRS,
    OPML_NAME,
    PAGE_KEY,
    PAGES_DIR,
    RUN_KEY,
    SAFE_SLUG,
    FeedFormat,
    FeedInfo,
    FeedSpec,
    FeedsSummary,
    stable_hash,
)
from publisher.feeds.pages import TEMPLATES, IndexRow, build_index, build_release_page, template, template_env
from publisher.feeds.plan import (
    context_fingerprint,
    feed_manifest,
    gc_paused,
    ingest_state,
    make_plan,
    members_updated,
    runs_changed_since,
)
from publisher.feeds.websub import ping_hub
from publisher.feeds.write import (
    OUTPUT_VERSION,
    Emitter,
    build_lock,
    existing_outputs,
    listdir,
    read_manifest,
    write_manifest,
)
from publisher.models import Release
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

log = logging.getLogger(__name__)

# Past this many changed releases a build reads the whole catalog anyway: bulk reads beat per-release lookups.
FAST_PAGE_LIMIT = 2000


def build(
    cfg: Config,
    store: Store,
    *,
    touched: set[str] | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> FeedsSummary:
    """Bring cfg.feeds.dir up to date with the store; see README section "feeds".

    A non-full build renders only what its manifest says is stale (fingerprint of each feed's entries and of
    each release page changed, file missing, or named in `touched`); every rendered file is still written only
    when its bytes differ. `full` renders everything. `dry_run` renders and compares but writes nothing.

    `touched` holds what an ingest changed: feed keys (all, topic:x, region:x, project:x), release pages
    (release:<slug>) and the ingest runs it accounts for (run:<id>). With it, and a manifest whose settings,
    taxonomy and projects still match and whose later ingest runs are all named, only those feeds (their newest
    entries queried by index) and pages are rendered; otherwise every feed and page is fingerprinted.
    """
    folder = cfg.feeds.dir
    lock = contextlib.nullcontext() if dry_run else build_lock(folder)
    with lock:
        summary = _build_locked(cfg, store, folder, touched or set(), full, dry_run, progress)
    if cfg.feeds.websub_hub and not dry_run:
        changed = changed_feed_urls(cfg, summary)
        if changed:
            summary.pinged, summary.ping_errors = ping_hub(cfg.feeds.websub_hub, changed)
    return summary


def changed_feed_urls(cfg: Config, summary: FeedsSummary) -> list[str]:
    """The public URLs of the feed files this build rewrote (not pages, not the index): what a hub must fetch."""
    folder = cfg.feeds.dir
    suffixes = {f".{f}" for f in cfg.feeds.formats}
    out = []
    for path in summary.written:
        rel = path.relative_to(folder).as_posix()
        top = rel.split("/", 1)[0] if "/" in rel else ""
        if path.suffix in suffixes and (top in KIND_DIRS.values() or rel.startswith("all.")):
            out.append(cfg.site.url(rel))
    return sorted(out)


def _build_locked(
    cfg: Config, store: Store, folder: Path, touched: set[str], full: bool, dry_run: bool, progress: Progress
) -> FeedsSummary:
    formats = [FeedFormat(f) for f in cfg.feeds.formats]
    env = template_env(cfg)
    # Parse templates before touching any file: a broken operator template fails the build up front.
    for name in TEMPLATES:
        template(env, name)
    previous = read_manifest(folder)
    with store.session() as session:
        if touched and not full and previous:
            fast = _build_touched(cfg, session, folder, touched, previous, formats, env, dry_run, progress)
            if fast is not None:
                return fast
        return _build_all(cfg, session, folder, touched, previous, full, formats, env, dry_run, progress)


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
    state = ingest_state(session)
    covered = {int(k[len(RUN_KEY) :]) for k in touched if k.startswith(RUN_KEY) and k[len(RUN_KEY) :].isdigit()}
    unaccounted = runs_changed_since(session, previous["ingest"]) - covered
    if unaccounted:
        log.info("feeds: ingest runs %s are not in the touched keys; checking every feed", sorted(unaccounted))
        return None
    page_slugs = sorted({k[len(PAGE_KEY) :] for k in touched if k.startswith(PAGE_KEY)})
    if len(page_slugs) > FAST_PAGE_LIMIT:
        return None
    catalog = load_small_catalog(session)
    if context_fingerprint(cfg, catalog, env) != previous.get("context"):
        return None
    specs = catalog.specs()
    old_feeds: dict[str, Any] = previous.get("feeds", {})
    if {s.key for s in specs} != set(old_feeds) or any(
        not isinstance(old_feeds[s.key], dict) or old_feeds[s.key].get("files") != [s.path(f) for f in formats]
        for s in specs
    ):
        return None

    summary = FeedsSummary(dry_run=dry_run, touched_only=True)
    emit = Emitter(folder, summary, progress)
    stale = [
        s
        for s in specs
        if s.key in touched
        or old_feeds[s.key].get("spec") != stable_hash(s)
        or not all((folder / s.path(f)).is_file() for f in formats)
    ]
    progress.start("feeds", total=len(stale) * len(formats) + len(page_slugs) + 2)
    everything = session.scalar(select(func.count()).select_from(Release)) or 0 if stale else 0
    members = {s.key: feed_members(session, s, cfg.feeds.max_entries, everything) for s in stale}
    page_ids = {
        slug: rid
        for chunk in chunks(page_slugs)
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
        updated = members_updated(s, feed_sigs)
        fresh[s.key] = (len(ids), updated)
        feeds_manifest[s.key] = feed_manifest(
            s, formats, stable_hash((s, [r.fingerprint(slugs) for r in feed_sigs])), len(ids), total, updated
        )

    pages: dict[str, str] = dict(previous.get("pages", {}))
    for slug in page_slugs:
        rel = f"{PAGES_DIR}/{slug}.html"
        if slug not in page_ids:  # the release is gone
            if rel in pages:
                emit.remove(rel)
                del pages[rel]
            continue
        if not SAFE_SLUG.match(slug):
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
        write_manifest(folder, manifest, previous)
    progress.done()
    log.info("feeds (touched only): %s", summary.describe())
    return summary


def _index_row(s: FeedSpec, cfg: Config, formats: list[FeedFormat], entries: int, updated: dt.datetime) -> IndexRow:
    return IndexRow(
        spec=s,
        title=s.title(cfg),
        files=[(str(f), s.path(f), cfg.site.url(s.path(f))) for f in formats],
        entries=entries,
        updated=updated,
    )


def _emit_index(
    emit: Emitter, rows: list[IndexRow], specs: list[FeedSpec], cfg: Config, env: jinja2.Environment
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
    emit = Emitter(folder, summary, progress)
    old = {} if full else previous
    state = ingest_state(session)  # before the catalog: see ingest_state
    with gc_paused():
        catalog = load_catalog(session)
        plan = make_plan(cfg, catalog, env)
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
    on_disk = listdir(folder / PAGES_DIR)  # one directory read instead of a stat per page
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
    needed: dict[int, ReleaseSig] = {}
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

    updated = {s.key: members_updated(s, plan.members.get(s.key, [])) for s in plan.specs}
    rows = [_index_row(s, cfg, formats, len(plan.members.get(s.key, [])), updated[s.key]) for s in plan.specs]
    _emit_index(emit, rows, plan.specs, cfg, env)

    # What earlier builds wrote and the store no longer calls for (deleted topic, project, release, format).
    previous_files: set[str] = set(previous.get("pages", {}))
    for prev in previous.get("feeds", {}).values():
        previous_files.update(prev.get("files", []))
    if full:
        # A full build has no trusted manifest to go by; look at what we may have written before.
        previous_files |= existing_outputs(folder)
    for rel in sorted(previous_files - current_files):
        emit.remove(rel)

    summary.unchanged = total_files - len(summary.written)
    if not dry_run:
        manifest: dict[str, Any] = {
            "version": OUTPUT_VERSION,
            "context": plan.context,
            "ingest": state,
            "feeds": {
                s.key: feed_manifest(
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
        write_manifest(folder, manifest, previous)
    progress.done()
    log.info("feeds: %s", summary.describe())
    return summary


def list_feeds(cfg: Config, store: Store) -> list[FeedInfo]:
    """Every feed the store calls for, with its files, URLs, entry count and newest update."""
    formats = [FeedFormat(f) for f in cfg.feeds.formats]
    with store.session() as session, gc_paused():
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
                updated=members_updated(s, members.get(s.key, [])),
                built=all(p.is_file() for p in paths.values()),
            )
        )
    return out
