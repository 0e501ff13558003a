"""Store source records idempotently (one transaction per source), tagging and linking what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

import pycountry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from publisher.classify import Classifier
from publisher.classify import Tag as Tag_
from publisher.config import Config, TaxonomyConfig
from publisher.link import (
    Linker,
    ProjectProfile,
    ReleaseProfile,
    build_project_profile,
    project_text,
    release_profile,
)
from publisher.models import (
    Country,
    DatePrecision,
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
    utcnow,
)
from publisher.progress import NULL_PROGRESS, Progress
from publisher.sources.base import ProjectRecord, RecordKind, ReleaseRecord, Skipped, Source
from publisher.store import Store
from publisher.text import (
    clean_text,
    cut_at_word,
    derive_summary,
    derive_title,
    normalise_words,
    sha256,
    slugify,
    tag_uri,
)

log = logging.getLogger(__name__)
BATCH = 500
T = TypeVar("T")
R = TypeVar("R", ReleaseRecord, ProjectRecord)
TITLE_COLUMN = 400  # Release.title's length: a longer title from a source is cut to fit (PostgreSQL would refuse it)
_TAG_LOADS = (
    selectinload(Release.topics),
    selectinload(Release.regions),
    selectinload(Release.countries),
    selectinload(Release.project_links),
)


@dataclass
class IngestResult:
    """What one source's ingest did.

    `touched_feeds` names what the feeds step must re-render: feeds (all, topic:x, region:x, project:x), release
    pages (release:<slug>) and, when anything changed, this ingest run (run:<id>) so the feeds step can tell
    that no other run's changes are missing.
    """

    source: str
    kind: RecordKind
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    touched_feeds: set[str] = field(default_factory=set)
    relinked: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.relinked)


def _batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def clean_record(rec: R) -> R:
    """The record with every text field made safe for the store and for XML (see text.clean_text), before hashing,
    so a re-ingest of the same source text finds the same hash."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(rec):
        value = getattr(rec, f.name)
        if isinstance(value, str):
            changes[f.name] = clean_text(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            changes[f.name] = tuple(clean_text(v) for v in value)
    if isinstance(rec, ReleaseRecord) and len(str(changes["title"]).strip()) > TITLE_COLUMN:
        changes["title"] = cut_at_word(str(changes["title"]), TITLE_COLUMN)
    return dataclasses.replace(rec, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------- taxonomy


def sync_taxonomy(session: Session, taxonomy: TaxonomyConfig) -> None:
    """Make the topics, regions and countries tables match the config (removed slugs drop their tags)."""
    topics = {t.slug: t for t in session.scalars(select(Topic))}
    for slug, tc in taxonomy.topics.items():
        if slug in topics:
            topics[slug].name = tc.name
        else:
            session.add(Topic(slug=slug, name=tc.name))
    gone = set(topics) - set(taxonomy.topics)
    if gone:
        session.execute(delete(ReleaseTopic).where(ReleaseTopic.topic.in_(gone)))
        session.execute(delete(Topic).where(Topic.slug.in_(gone)))

    regions = {r.slug: r for r in session.scalars(select(Region))}
    for slug, rc in taxonomy.regions.items():
        if slug in regions:
            regions[slug].name = rc.name
            regions[slug].countries = list(rc.countries)
        else:
            session.add(Region(slug=slug, name=rc.name, countries=list(rc.countries)))
    gone = set(regions) - set(taxonomy.regions)
    if gone:
        session.execute(delete(ReleaseRegion).where(ReleaseRegion.region.in_(gone)))
        session.execute(delete(Region).where(Region.slug.in_(gone)))

    if session.scalar(select(Country.code).limit(1)) is None:
        session.add_all(
            Country(code=c.alpha_2, name=getattr(c, "common_name", None) or c.name) for c in pycountry.countries
        )
    session.flush()


# ---------------------------------------------------------------- tagging & linking


Tag = tuple[str, float, tuple[str, ...]]
Evidence_ = tuple[str, float, str]  # (kind, weight, detail)
Link = tuple[int, float, tuple[str, ...], tuple[Evidence_, ...]]


@dataclass(frozen=True)
class TagSet:
    """A release's tags and project links as plain sorted values: cheap to compare and to bulk-write."""

    topics: tuple[Tag, ...] = ()
    regions: tuple[Tag, ...] = ()
    countries: tuple[Tag, ...] = ()
    links: tuple[Link, ...] = ()  # (project id, score, reasons, evidence)

    @classmethod
    def of(cls, r: Release) -> TagSet:
        """The stored tags of a release loaded with _TAG_LOADS."""
        return cls(
            topics=tuple(sorted((t.topic, t.score, tuple(t.reasons)) for t in r.topics)),
            regions=tuple(sorted((t.region, t.score, tuple(t.reasons)) for t in r.regions)),
            countries=tuple(sorted((t.country, t.score, tuple(t.reasons)) for t in r.countries)),
            links=tuple(
                sorted(
                    (
                        x.project_id,
                        x.score,
                        tuple(x.reasons),
                        tuple((e["kind"], e["weight"], e["detail"]) for e in x.evidence),
                    )
                    for x in r.project_links
                )
            ),
        )


_TAG_TABLES = (
    (ReleaseTopic, "topics", "topic"),
    (ReleaseRegion, "regions", "region"),
    (ReleaseCountry, "countries", "country"),
    (ReleaseProject, "links", "project_id"),
)


def write_tags(session: Session, tags: dict[int, TagSet], *, replace: bool) -> None:
    """Store computed tags for many releases with bulk statements (the ORM's per-object events cost more than
    classifying); `replace` first deletes what those releases had."""
    if not tags:
        return
    session.flush()
    ids = list(tags)
    for model, attr, column in _TAG_TABLES:
        if replace:
            for chunk in _batched(ids, BATCH):
                session.execute(delete(model).where(model.release_id.in_(chunk)))
        rows = [
            {"release_id": rid, column: tag[0], "score": tag[1], "reasons": list(tag[2])}
            | ({"evidence": [{"kind": k, "weight": w, "detail": d} for k, w, d in tag[3]]} if len(tag) > 3 else {})
            for rid, t in tags.items()
            for tag in getattr(t, attr)
        ]
        if rows:
            session.execute(insert(model), rows)


class Tagger:
    """Classifier + Linker bound to the store's current projects, built once per ingest."""

    def __init__(self, cfg: Config, session: Session) -> None:
        self.cfg = cfg
        self.classifier = Classifier(cfg.taxonomy)
        self.project_ids: dict[str, int] = {}
        self.project_slugs: dict[int, str] = {}
        profiles: list[ProjectProfile] = []
        for p in session.scalars(select(Project).order_by(Project.slug)):
            self.project_ids[p.slug] = p.id
            self.project_slugs[p.id] = p.slug
            profiles.append(project_profile(p))
        self.linker = Linker(
            profiles,
            cfg.linking,
            topic_names={k: t.name for k, t in cfg.taxonomy.topics.items()},
            region_names={k: r.name for k, r in cfg.taxonomy.regions.items()},
        )

    def profile(self, title: str, body: str, published: dt.date) -> ReleaseProfile:
        """What the linker sees of a release (for `publisher explain`)."""
        return release_profile(title, body, published, self.classifier.classify(f"{title}\n\n{body}"))

    def compute(self, title: str, body: str, published: dt.date) -> TagSet:
        """Tags and links of one release's text."""
        c = self.classifier.classify(f"{title}\n\n{body}")
        profile = release_profile(title, body, published, c)

        def tags(items: tuple[Tag_, ...]) -> tuple[Tag, ...]:
            return tuple(sorted((t.slug, t.score, tuple(t.reasons)) for t in items))

        return TagSet(
            topics=tags(c.topics),
            regions=tags(c.regions),
            countries=tags(c.countries),
            links=tuple(
                sorted(
                    (
                        self.project_ids[x.key],
                        x.score,
                        x.reasons,
                        tuple((e.kind.value, e.weight, e.detail) for e in x.evidence),
                    )
                    for x in self.linker.link(profile)
                )
            ),
        )

    def feed_keys(self, tags: TagSet) -> set[str]:
        """Feeds a release with these tags appears in: all, topic:x, region:x, project:x."""
        keys = {"all"}
        keys.update(f"topic:{t[0]}" for t in tags.topics)
        keys.update(f"region:{t[0]}" for t in tags.regions)
        keys.update(f"project:{self.project_slugs[x[0]]}" for x in tags.links if x[0] in self.project_slugs)
        return keys


def page_key(slug: str) -> str:
    """The touched key of a release's own page."""
    return f"release:{slug}"


def project_profile(p: Project) -> ProjectProfile:
    """The linker's view of a stored project (its countries, regions and core topics were set at ingest)."""
    record = ProjectRecord(
        name=p.name,
        line=0,
        objective=p.objective,
        specific_objectives=tuple(p.specific_objectives),
        description=p.description,
    )
    return ProjectProfile(
        key=p.slug,
        name=p.name,
        acronym=p.acronym,
        aliases=tuple(p.aliases),
        acronyms=tuple(p.acronyms),
        text=project_text(record),
        countries=frozenset(p.countries),
        regions=frozenset(p.regions),
        topics=frozenset(p.topics),
        start_date=p.start_date,
        end_date=p.end_date,
    )


# ---------------------------------------------------------------- releases


def release_key(rec: ReleaseRecord, source: str) -> str:
    if rec.external_id:
        return sha256("id", source, rec.external_id)
    title = rec.title or derive_title(rec.body)
    return sha256("release", rec.published.isoformat(), normalise_words(title))


def _content_hash(rec: ReleaseRecord) -> str:
    # The precision joins the hash only when it is not a whole day, so stores made before it existed stay unchanged.
    precision = () if rec.precision is DatePrecision.DAY else (rec.precision.value,)
    return sha256(rec.published.isoformat(), rec.title, rec.body, rec.url, rec.summary, *precision)


def _unique_slug(session: Session, base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… when taken; `taken` holds this batch's known slugs."""
    slug, n = base, 1
    while slug in taken or (n > 1 and session.scalar(select(Release.id).where(Release.slug == slug)) is not None):
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _release_url(cfg: Config, src_template: str, slug: str, published: dt.date) -> str:
    template = src_template or cfg.site.url("news/{slug}.html")
    return template.format(slug=slug, date=published.isoformat())


def _ingest_releases(
    session: Session,
    cfg: Config,
    source: Source,
    records: Iterable[ReleaseRecord],
    result: IngestResult,
    now: dt.datetime,
    progress: Progress,
) -> None:
    tagger = Tagger(cfg, session)
    name = source.config.name
    # Repeats inside this source, as 8-byte prefixes of (key, content hash): small enough for huge inputs.
    seen: set[bytes] = set()
    for batch in _batched(map(clean_record, records), BATCH):
        keyed = [(release_key(r, name), _content_hash(r), r) for r in batch]
        # Unchanged rows (the common case on re-ingest) need only their hash; load full rows just for edits.
        stored: dict[str, str] = {
            k: h
            for k, h in session.execute(
                select(Release.key, Release.content_hash).where(Release.key.in_({k for k, _, _ in keyed}))
            )
        }
        edited = {k for k, digest, _ in keyed if k in stored and stored[k] != digest}
        existing: dict[str, Release] = {}
        if edited:
            existing = {
                r.key: r for r in session.scalars(select(Release).where(Release.key.in_(edited)).options(*_TAG_LOADS))
            }
        # One query per batch for slug collisions instead of one per new release.
        bases = {slugify(r.title.strip() or derive_title(r.body)) for k, _, r in keyed if k not in stored}
        # Earlier batches are flushed, so the store already knows their slugs: only this batch's are kept here.
        reserved_slugs = set(session.scalars(select(Release.slug).where(Release.slug.in_(bases))))
        pending: list[Release] = []
        edited_ids: set[int] = set()
        for key, digest, rec in keyed:
            fingerprint = bytes.fromhex(key[:16]) + bytes.fromhex(digest[:16])
            if fingerprint in seen:
                result.duplicates += 1
                continue
            seen.add(fingerprint)
            if stored.get(key) == digest:
                result.unchanged += 1
                continue
            title = rec.title.strip() or derive_title(rec.body)
            summary = rec.summary.strip() or derive_summary(rec.body)
            row = existing.get(key)
            if row is None:
                slug = _unique_slug(session, slugify(title), reserved_slugs)
                row = Release(
                    key=key,
                    guid=tag_uri(cfg.site.authority, rec.published, slug),
                    slug=slug,
                    source=name,
                    external_id=rec.external_id,
                    published=rec.published,
                    published_precision=rec.precision,
                    title=title,
                    summary=summary,
                    body=rec.body,
                    url=rec.url or _release_url(cfg, source.config.url_template, slug, rec.published),
                    content_hash=digest,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                existing[key] = row
                stored[key] = digest
                result.added += 1
            else:
                # Same release, edited text: new content and update time, same GUID and slug.
                row.published, row.published_precision = rec.published, rec.precision
                row.title, row.summary, row.body = title, summary, rec.body
                if rec.url:
                    row.url = rec.url
                row.content_hash = digest
                row.updated_at = now
                stored[key] = digest
                result.updated += 1
                if row.id is not None and row.id not in edited_ids:
                    edited_ids.add(row.id)
                    result.touched_feeds |= tagger.feed_keys(TagSet.of(row))
            pending.append(row)
        session.flush()  # assigns ids to new rows
        computed = {r.id: tagger.compute(r.title, r.body, r.published) for r in pending}
        for t in computed.values():
            result.touched_feeds |= tagger.feed_keys(t)
        result.touched_feeds.update(page_key(r.slug) for r in pending)
        write_tags(session, computed, replace=bool(edited_ids))
        # Keep memory flat on large inputs: nothing from this batch is needed again.
        session.expunge_all()
        progress.advance(len(batch))


# ---------------------------------------------------------------- projects


def _project_hash(rec: ProjectRecord) -> str:
    return sha256(
        rec.name,
        rec.acronym,
        *rec.acronyms,
        *(f"alias:{a}" for a in rec.aliases),
        rec.objective,
        *rec.specific_objectives,
        rec.description,
        *rec.agencies,
        *rec.donors,
        rec.duration_text,
        str(rec.start_date),
        str(rec.end_date),
        *(p.value for p in (rec.start_precision, rec.end_precision) if p is not DatePrecision.DAY),
        *rec.countries,
        rec.url,
    )


def _ingest_projects(
    session: Session,
    cfg: Config,
    source: Source,
    records: Iterable[ProjectRecord],
    result: IngestResult,
    now: dt.datetime,
    progress: Progress,
) -> None:
    classifier = Classifier(cfg.taxonomy)
    name = source.config.name
    existing = {p.slug: p for p in session.scalars(select(Project))}
    seen: set[str] = set()
    for rec in map(clean_record, records):
        slug = slugify(rec.name)
        if slug in seen:
            result.duplicates += 1
            continue
        seen.add(slug)
        digest = _project_hash(rec)
        row = existing.get(slug)
        if row is not None and row.content_hash == digest:
            result.unchanged += 1
            continue
        profile = build_project_profile(slug, rec, classifier)
        values = dict(
            source=name,
            name=rec.name,
            acronym=rec.acronym,
            acronyms=list(rec.acronyms),
            aliases=list(rec.aliases),
            objective=rec.objective,
            specific_objectives=list(rec.specific_objectives),
            description=rec.description,
            agencies=list(rec.agencies),
            donors=list(rec.donors),
            duration_text=rec.duration_text,
            start_date=rec.start_date,
            end_date=rec.end_date,
            start_precision=rec.start_precision,
            end_precision=rec.end_precision,
            url=rec.url,
            countries=sorted(profile.countries),
            topics=sorted(profile.topics),
            regions=sorted(profile.regions),
            content_hash=digest,
            updated_at=now,
        )
        if row is None:
            session.add(Project(slug=slug, created_at=now, **values))
            result.added += 1
        else:
            for k, v in values.items():
                setattr(row, k, v)
            result.updated += 1
        result.touched_feeds.add(f"project:{slug}")
        progress.advance(1)
    # A project source lists every current project: what it no longer lists has ended (unless we skipped some).
    orphaned: set[int] = set()
    if not result.skipped:
        gone = [row for slug, row in existing.items() if row.source == name and slug not in seen]
        if gone:
            # Their releases lose a link: note those releases' feeds before the rows (and links) are deleted.
            orphaned = set(
                session.scalars(
                    select(ReleaseProject.release_id).where(ReleaseProject.project_id.in_([p.id for p in gone]))
                )
            )
            result.touched_feeds |= _feeds_of(session, Tagger(cfg, session), orphaned)
        for row in gone:
            session.delete(row)
            result.removed += 1
            result.touched_feeds.add(f"project:{row.slug}")
    session.flush()
    if result.added or result.updated or result.removed:
        changed = relink_all(session, cfg, result.touched_feeds, progress)
        result.relinked = len(changed | orphaned)


def _feeds_of(session: Session, tagger: Tagger, release_ids: set[int]) -> set[str]:
    """The feeds these releases are in, and their pages."""
    keys: set[str] = set()
    for chunk in _batched(sorted(release_ids), BATCH):
        for r in session.scalars(select(Release).where(Release.id.in_(chunk)).options(*_TAG_LOADS)):
            keys |= tagger.feed_keys(TagSet.of(r))
            keys.add(page_key(r.slug))
    return keys


def relink_all(session: Session, cfg: Config, touched: set[str], progress: Progress = NULL_PROGRESS) -> set[int]:
    """Recompute tags and links of every release (projects or taxonomy changed); returns the ids that changed."""
    sync_taxonomy(session, cfg.taxonomy)
    tagger = Tagger(cfg, session)
    changed: set[int] = set()
    ids = list(session.scalars(select(Release.id).order_by(Release.id)))
    progress.start("relink", len(ids))
    for chunk in _batched(ids, BATCH):
        updates: dict[int, TagSet] = {}
        for row in session.scalars(select(Release).where(Release.id.in_(chunk)).options(*_TAG_LOADS)):
            before = TagSet.of(row)
            after = tagger.compute(row.title, row.body, row.published)
            if after != before:
                updates[row.id] = after
                touched |= tagger.feed_keys(before) | tagger.feed_keys(after)
                touched.add(page_key(row.slug))  # the page shows tags and related projects
        session.expunge_all()
        write_tags(session, updates, replace=True)
        changed |= set(updates)
        progress.advance(len(chunk))
    return changed


RETAG_RUN = "retag"  # IngestRun.source of a `publisher retag`


def retag(store: Store, cfg: Config, progress: Progress = NULL_PROGRESS) -> tuple[set[int], set[str]]:
    """relink_all in one transaction, recorded as an ingest run like any other store change, so a touched-only
    feeds build (which trusts its manifest unless an unnamed run changed the store) knows these releases moved.
    Returns the changed release ids and the touched keys (with run:<id> when anything changed)."""
    touched: set[str] = set()
    with store.session() as session:
        run = IngestRun(source=RETAG_RUN, started_at=utcnow(), status=RunStatus.RUNNING, error="", details={})
        session.add(run)
        session.commit()
        run_id = run.id
    result = IngestResult(source=RETAG_RUN, kind=RecordKind.RELEASE)
    try:
        with store.session() as session:
            changed = relink_all(session, cfg, touched, progress)
            result.relinked = len(changed)
            _finish_run(session.get_one(IngestRun, run_id), result, RunStatus.OK, "")
    except BaseException as exc:
        with store.session() as session:
            _finish_run(
                session.get_one(IngestRun, run_id),
                IngestResult(source=RETAG_RUN, kind=RecordKind.RELEASE),
                RunStatus.FAILED,
                str(exc) or type(exc).__name__,
            )
        raise
    finally:
        progress.done()
    if changed:
        touched.add(f"run:{run_id}")
    return changed, touched


# ---------------------------------------------------------------- entry point


def ingest_source(
    store: Store,
    cfg: Config,
    source: Source,
    *,
    skip_invalid: bool = False,
    now: dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
) -> IngestResult:
    """Read one source and store it in a single transaction; on error nothing of it is kept."""
    now = now or utcnow()
    name = source.config.name
    result = IngestResult(source=name, kind=source.kind)
    with store.session() as session:
        run = IngestRun(source=name, started_at=utcnow(), status=RunStatus.RUNNING, error="", details={})
        session.add(run)
        session.commit()
        run_id = run.id
    try:
        with store.session() as session:
            sync_taxonomy(session, cfg.taxonomy)
            on_invalid = result.skipped.append if skip_invalid else None
            records: Iterator[object] = source.read(on_invalid)
            progress.start(f"ingest {name}")
            if source.kind is RecordKind.RELEASE:
                _ingest_releases(session, cfg, source, records, result, now, progress)  # type: ignore[arg-type]
            else:
                _ingest_projects(session, cfg, source, records, result, now, progress)  # type: ignore[arg-type]
            run = session.get_one(IngestRun, run_id)
            _finish_run(run, result, RunStatus.OK, "")
        if result.changed:
            result.touched_feeds.add(f"run:{run_id}")
    except BaseException as exc:
        with store.session() as session:
            run = session.get_one(IngestRun, run_id)
            _finish_run(
                run, IngestResult(source=name, kind=source.kind), RunStatus.FAILED, str(exc) or type(exc).__name__
            )
        raise
    finally:
        progress.done()
    log.info(
        "ingested %s: %d added, %d updated, %d unchanged, %d skipped",
        name,
        result.added,
        result.updated,
        result.unchanged,
        len(result.skipped),
    )
    return result


def _finish_run(run: IngestRun, result: IngestResult, status: RunStatus, error: str) -> None:
    run.status = status
    run.finished_at = utcnow()
    run.added, run.updated, run.unchanged = result.added, result.updated, result.unchanged
    run.skipped = len(result.skipped)
    run.error = error
    run.details = {
        "duplicates": result.duplicates,
        "removed": result.removed,
        "relinked": result.relinked,
        "skipped": [f"{s.where}: {s.reason}" for s in result.skipped[:100]],
    }
