"""Content: configured sources, ingest, retag, and the release/project listings and export."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

import publisher.sources  # noqa: F401  (registers the built-in source kinds)
from publisher import dkim, queries, verp
from publisher import ingest as ingest_step
from publisher.config import Config
from publisher.config.secrets import secret_source
from publisher.errors import ConfigError, FetchError, UsageError
from publisher.ingest import IngestResult
from publisher.models import IngestRun, Project, Release
from publisher.pipeline._scope import store_scope
from publisher.pipeline.runs_interrupted import Interrupted, mark_interrupted_runs
from publisher.progress import NULL_PROGRESS, Progress
from publisher.sources.base import RecordKind, Source, make_source
from publisher.sources.fetch import fetch_bytes
from publisher.store import Store, describe_store


def configured_sources(cfg: Config, names: Sequence[str] | None = None) -> list[Source]:
    """Enabled sources (or the named ones), project sources first so releases can link to them."""
    known = {s.name for s in cfg.sources}
    for n in names or ():
        if n not in known:
            raise ConfigError(
                f"no source named {n!r} (configured: {', '.join(sorted(known)) or 'none'})", key="sources"
            )
    chosen = [make_source(s, cfg, i) for i, s in enumerate(cfg.sources) if (s.name in names if names else s.enabled)]
    return sorted(chosen, key=lambda s: 0 if s.kind is RecordKind.PROJECT else 1)


def check_config(cfg: Config) -> list[str]:
    """Validate what loading cannot: source kinds exist and files are readable. Returns notes for the operator."""
    notes = []
    for i, s in enumerate(cfg.sources):
        make_source(s, cfg, i)
        if s.path is not None and not s.path.is_file():
            raise ConfigError(f"file not found: {s.path}", key=f"sources[{i}].path")
        notes.append(f"source {s.name}: {s.kind} from {s.path or s.url}{'' if s.enabled else ' (disabled)'}")
    notes.append(f"store: {describe_store(cfg)}")
    notes.append(f"{len(cfg.taxonomy.topics)} topics, {len(cfg.taxonomy.regions)} regions")
    notes.append(dkim.status(cfg))
    notes.append(f"secret for signed links: {secret_source(cfg)}")
    notes.append(f"envelope sender: {verp.describe(cfg)}")
    notes.append(f"{len(cfg.schedules)} schedules: {', '.join(sorted(cfg.schedules)) or 'none'}")
    return notes


@dataclass(frozen=True)
class SourceCheck:
    """One source tried by `check-config --online`."""

    name: str
    where: str
    ok: bool
    detail: str


def check_sources_online(cfg: Config) -> list[SourceCheck]:
    """Try every enabled source the way ingest reads it: fetch a URL once (within sources[].timeout and
    max_bytes, no retries: a check should answer quickly), open and read a file. Nothing is stored."""
    out = []
    for s in cfg.sources:
        where = str(s.path or s.url)
        if not s.enabled:
            out.append(SourceCheck(s.name, where, True, "disabled, not tried"))
            continue
        if s.url is not None:
            started = time.monotonic()
            try:
                data = fetch_bytes(s.url, timeout=s.timeout, max_bytes=s.max_bytes)
            except FetchError as exc:
                out.append(SourceCheck(s.name, where, False, exc.reason))
                continue
            took = time.monotonic() - started
            out.append(SourceCheck(s.name, where, True, f"fetched {len(data)} bytes in {took:.1f} s"))
            continue
        assert s.path is not None  # loading requires a path or a url
        try:
            with s.path.open("rb") as fh:
                fh.read(1)
            out.append(SourceCheck(s.name, where, True, f"readable, {s.path.stat().st_size} bytes"))
        except OSError as exc:
            out.append(SourceCheck(s.name, where, False, f"cannot read: {exc.strerror}"))
    return out


@dataclass
class IngestSummary:
    results: list[IngestResult] = field(default_factory=list)
    interrupted: list[Interrupted] = field(default_factory=list)  # earlier runs found killed, marked first

    @property
    def touched_feeds(self) -> set[str]:
        out: set[str] = set()
        for r in self.results:
            out |= r.touched_feeds
        return out

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.results)


def run_ingest(
    cfg: Config,
    store: Store | None = None,
    *,
    sources: Sequence[str] | None = None,
    skip_invalid: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> IngestSummary:
    """Ingest every configured source, each in its own transaction."""
    summary = IngestSummary()
    with store_scope(cfg, store) as st:
        summary.interrupted = mark_interrupted_runs(cfg, st)
        for source in configured_sources(cfg, sources):
            summary.results.append(
                ingest_step.ingest_source(st, cfg, source, skip_invalid=skip_invalid, progress=progress)
            )
    return summary


def ingest_history(
    cfg: Config, store: Store | None = None, *, source: str | None = None, limit: int = 20
) -> list[IngestRun]:
    """Recorded ingest (and retag) runs, newest first."""
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        q = select(IngestRun).order_by(IngestRun.started_at.desc(), IngestRun.id.desc()).limit(limit)
        if source is not None:
            q = q.where(IngestRun.source == source)
        return list(session.scalars(q))


def retag(cfg: Config, store: Store | None = None, *, progress: Progress = NULL_PROGRESS) -> tuple[int, set[str]]:
    """Recompute every release's tags and links (after a taxonomy or linking change)."""
    with store_scope(cfg, store) as st:
        mark_interrupted_runs(cfg, st)
        changed, touched = ingest_step.retag(st, cfg, progress)
    return len(changed), touched


SHOWN_VALUES = 30  # a longer list of valid values is cut to the nearest ones


def _unknown(option: str, kind: str, value: str, valid: Iterable[str], listed_by: str = "") -> UsageError:
    valid = sorted(valid)
    near = difflib.get_close_matches(value, valid, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    if not valid:
        return UsageError(option, f"unknown {kind} {value!r}; there are none{listed_by}")
    if len(valid) <= SHOWN_VALUES:
        return UsageError(option, f"unknown {kind} {value!r}; {hint}valid: {', '.join(valid)}")
    return UsageError(option, f"unknown {kind} {value!r}; {hint}{len(valid)} {kind}s{listed_by}")


def check_release_filter(cfg: Config, session: Session, f: queries.ReleaseFilter) -> None:
    """An unknown topic, region or project in a filter is an error listing the valid ones, not an empty answer."""
    if f.topic is not None and f.topic not in cfg.taxonomy.topics:
        raise _unknown("--topic", "topic", f.topic, cfg.taxonomy.topics)
    if f.region is not None and f.region not in cfg.taxonomy.regions:
        raise _unknown("--region", "region", f.region, cfg.taxonomy.regions)
    if f.project is not None:
        slugs = set(session.scalars(select(Project.slug)))
        if f.project not in slugs:
            raise _unknown("--project", "project", f.project, slugs, " (`publisher projects` lists them)")


def list_releases(cfg: Config, f: queries.ReleaseFilter, store: Store | None = None) -> list[Release]:
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        check_release_filter(cfg, session, f)
        return list(session.scalars(queries.release_query(f)))


def list_projects(cfg: Config, store: Store | None = None) -> list[Project]:
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        return queries.list_projects(session)


def export_jsonl(cfg: Config, out: IO[str], f: queries.ReleaseFilter | None = None, store: Store | None = None) -> int:
    """Write one JSON object per release; returns how many."""
    n = 0
    f = f or queries.ReleaseFilter()
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        check_release_filter(cfg, session, f)
        for r in queries.iter_releases(session, f):
            out.write(json.dumps(queries.release_dict(r), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n
