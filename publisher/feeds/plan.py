"""What is stale: fingerprints of every feed and release page, the context they share, and the ingest mark."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from publisher import __version__, safehtml
from publisher.config import Config
from publisher.errors import FeedError
from publisher.feeds.load import Catalog, ReleaseSig
from publisher.feeds.model import PAGES_DIR, SAFE_SLUG, FeedFormat, FeedSpec, release_times, stable_hash
from publisher.feeds.pages import template_sources
from publisher.feeds.write import OUTPUT_VERSION
from publisher.models import IngestRun, RunStatus


@dataclass
class Plan:
    specs: list[FeedSpec]
    members: dict[str, list[ReleaseSig]]
    totals: dict[str, int]
    feed_fps: dict[str, str]
    page_fps: dict[str, str]  # relative path -> fingerprint
    page_sigs: dict[str, ReleaseSig]
    context: str


def context_fingerprint(cfg: Config, catalog: Catalog, env: jinja2.Environment) -> str:
    """Everything besides a release's own row that shows in the output; when it changes, everything is stale."""
    import feedgen.version

    return stable_hash(
        (
            OUTPUT_VERSION,
            __version__,
            safehtml.POLICY_VERSION,
            feedgen.version.version_str,
            template_sources(env),
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


def make_plan(cfg: Config, catalog: Catalog, env: jinja2.Environment) -> Plan:
    """File every release into its feeds and fingerprint each feed and page (no text read, nothing rendered)."""
    specs = catalog.specs()
    members, totals = catalog.memberships(cfg.feeds.max_entries)
    slugs = catalog.project_slugs
    sig_fp = {r.id: r.fingerprint(slugs) for r in catalog.releases}
    feed_fps = {s.key: stable_hash((s, [sig_fp[r.id] for r in members.get(s.key, [])])) for s in specs}
    page_fps: dict[str, str] = {}
    page_sigs: dict[str, ReleaseSig] = {}
    for r in catalog.releases:
        if not SAFE_SLUG.match(r.slug):
            raise FeedError(f"release {r.guid}: slug {r.slug!r} cannot be a file name")
        path = f"{PAGES_DIR}/{r.slug}.html"
        page_fps[path] = sig_fp[r.id]
        page_sigs[path] = r
    return Plan(specs, members, totals, feed_fps, page_fps, page_sigs, context_fingerprint(cfg, catalog, env))


def members_updated(spec: FeedSpec, members: Sequence[ReleaseSig]) -> dt.datetime:
    """A feed's newest update as build_feed computes it, from the compact rows (no entries needed)."""
    times = [release_times(r.id, r.published, r.updated, r.created)[1] for r in members]
    return max(times, default=spec.empty_updated)


def feed_manifest(
    s: FeedSpec, formats: list[FeedFormat], fingerprint: str, entries: int, total: int, updated: dt.datetime
) -> dict[str, Any]:
    """One feed's record in the manifest: enough to tell it is current and to show it in the index unrendered."""
    return {
        "fingerprint": fingerprint,
        "files": [s.path(f) for f in formats],
        "entries": entries,
        "total": total,
        "updated": updated.isoformat(),
        "spec": stable_hash(s),
    }


def ingest_state(session: Session) -> dict[str, Any]:
    """Which ingest runs the store holds: the newest run id, and the runs still running (nothing committed yet).

    Read before the content, so every run it counts as finished is in what the build reads.
    """
    newest = session.scalar(select(func.max(IngestRun.id))) or 0
    running = sorted(session.scalars(select(IngestRun.id).where(IngestRun.status == RunStatus.RUNNING)))
    return {"mark": newest, "open": running}


def runs_changed_since(session: Session, state: dict[str, Any]) -> set[int]:
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


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while reading the catalog: it makes no cycles, but its ~10^5-10^6 new objects
    would trigger repeated full collections (measured: 40% of a no-op build of 100k releases)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
