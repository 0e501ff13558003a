"""Upsert release records: identity by date and headline (or source id); edits keep GUID and slug."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.ingest.bulk import insert_rows
from publisher.ingest.common import BATCH, IngestResult, batched, clean_record
from publisher.ingest.tagging import TAG_LOADS, Tagger, TagSet, page_key, release_table, write_tags
from publisher.models import (
    BodyFormat,
    DatePrecision,
    Release,
)
from publisher.progress import Progress
from publisher.sources.base import ReleaseRecord, Source
from publisher.text import (
    derive_summary,
    derive_title,
    identity_title,
    normalise_words,
    sha256,
    slugify,
    tag_uri,
)


def release_key(rec: ReleaseRecord, source: str, derived: str | None = None) -> str:
    """A release's identity; `derived` is identity_title(rec.body) when the caller has it already. Not the
    headline: that may change with how headlines are written, a key must not."""
    if rec.external_id:
        return sha256("id", source, rec.external_id)
    title = rec.title or (derived if derived is not None else identity_title(rec.body))
    return sha256("release", rec.published.isoformat(), normalise_words(title))


def _titled(rec: ReleaseRecord) -> tuple[ReleaseRecord, str]:
    """The record and the title its key and slug derive from (identity_title: what headlines were before they
    ended at phrase boundaries), derived from the body once. The headline shown is derived only for rows written."""
    derived = "" if rec.title.strip() else identity_title(rec.body)
    return rec, rec.title.strip() or derived


def _content_hash(rec: ReleaseRecord) -> str:
    # The precision joins the hash only when it is not a whole day, so stores made before it existed stay unchanged.
    precision = () if rec.precision is DatePrecision.DAY else (rec.precision.value,)
    # Likewise the HTML, only when the source gave some: text-only releases keep the hashes they had.
    markup = ("html", rec.body_html) if rec.body_html else ()
    return sha256(rec.published.isoformat(), rec.title, rec.body, rec.url, rec.summary, *precision, *markup)


def _content(rec: ReleaseRecord, title: str, summary: str, digest: str) -> dict[str, Any]:
    """The columns a release's text sets, the same for a new row, a row edited in this batch and a stored one."""
    return {
        "published": rec.published,
        "published_precision": rec.precision,
        "title": title,
        "summary": summary,
        "body": rec.body,
        "body_format": BodyFormat.HTML if rec.body_html else BodyFormat.TEXT,
        "body_html": rec.body_html,
        "content_hash": digest,
    }


def _unique_slug(session: Session, base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… when taken; `taken` holds this batch's known slugs."""
    slug, n = base, 1
    while slug in taken or (n > 1 and session.scalar(select(Release.id).where(Release.slug == slug)) is not None):
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _release_url(src_template: str, slug: str, published: dt.date) -> str:
    """The stored link of a release without its own: the source's template filled in, else "" (its own page).

    Never an absolute URL under site.base_url: outputs join paths to base_url when they are built, so a changed
    base_url moves every link (a URL stored at ingest would stay on the old host).
    """
    return src_template.format(slug=slug, date=published.isoformat()) if src_template else ""


def ingest_releases(
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
    for batch in batched(map(clean_record, records), BATCH):
        titled = [_titled(r) for r in batch]
        keyed = [(release_key(r, name, title), _content_hash(r), r, title) for r, title in titled]
        # Unchanged rows (the common case on re-ingest) need only their hash; load full rows just for edits.
        stored: dict[str, str] = {
            k: h
            for k, h in session.execute(
                select(Release.key, Release.content_hash).where(Release.key.in_({k for k, _, _, _ in keyed}))
            )
        }
        edited = {k for k, digest, _, _ in keyed if k in stored and stored[k] != digest}
        existing: dict[str, Release] = {}
        if edited:
            existing = {
                r.key: r for r in session.scalars(select(Release).where(Release.key.in_(edited)).options(*TAG_LOADS))
            }
        # One query per batch for slug collisions instead of one per new release.
        # Slug bases by key, slugified once; a key repeated in the batch keeps its first record's, which makes the row.
        bases: dict[str, str] = {}
        for k, _, _, identity in keyed:
            if k not in stored and k not in bases:
                bases[k] = slugify(identity)
        # Earlier batches are flushed, so the store already knows their slugs: only this batch's are kept here.
        reserved_slugs = set(session.scalars(select(Release.slug).where(Release.slug.in_(set(bases.values())))))
        pending: list[Release] = []
        # New rows go in with one Core INSERT per batch: building ORM objects for them cost more than the insert.
        new_rows: dict[str, dict[str, Any]] = {}
        edited_ids: set[int] = set()
        for key, digest, rec, _identity in keyed:
            fingerprint = bytes.fromhex(key[:16]) + bytes.fromhex(digest[:16])
            if fingerprint in seen:
                result.duplicates += 1
                continue
            seen.add(fingerprint)
            if stored.get(key) == digest:
                result.unchanged += 1
                continue
            title = rec.title.strip() or derive_title(rec.body)
            summary = rec.summary.strip() or derive_summary(rec.body, title)
            fresh = new_rows.get(key)
            row = existing.get(key)
            if fresh is not None:
                # The same release again in this file, edited: the later text wins, as for a stored row.
                fresh.update(_content(rec, title, summary, digest))
                if rec.url:
                    fresh["url"] = rec.url
                stored[key] = digest
                result.updated += 1
            elif row is None:
                slug = _unique_slug(session, bases[key], reserved_slugs)
                new_rows[key] = dict(
                    key=key,
                    guid=tag_uri(cfg.site.authority, rec.published, slug),
                    slug=slug,
                    source=name,
                    external_id=rec.external_id,
                    **_content(rec, title, summary, digest),
                    url=rec.url or _release_url(source.config.url_template, slug, rec.published),
                    created_at=now,
                    updated_at=now,
                )
                stored[key] = digest
                result.added += 1
            else:
                # Same release, edited text: new content and update time, same GUID and slug.
                for column, value in _content(rec, title, summary, digest).items():
                    setattr(row, column, value)
                if rec.url:
                    row.url = rec.url
                row.updated_at = now
                stored[key] = digest
                result.updated += 1
                if row.id is not None and row.id not in edited_ids:
                    edited_ids.add(row.id)
                    result.touched_feeds |= tagger.feed_keys(TagSet.of(row))
                if row not in pending:
                    pending.append(row)
        session.flush()
        todo = [(r.id, r.slug, r.title, r.body, r.published) for r in pending]
        if new_rows:
            # One executemany of plain tuples, then the ids by key: INSERT ... RETURNING in parameter order went
            # one statement per row on SQLite, and cost more than the insert itself.
            columns = tuple(next(iter(new_rows.values())))
            insert_rows(session, release_table(), columns, [tuple(r[c] for c in columns) for r in new_rows.values()])
            ids: dict[str, int] = {
                k: i for k, i in session.execute(select(Release.key, Release.id).where(Release.key.in_(list(new_rows))))
            }
            todo += [(ids[k], r["slug"], r["title"], r["body"], r["published"]) for k, r in new_rows.items()]
        computed = {rid: tagger.compute(title, body, published) for rid, _, title, body, published in todo}
        for t in computed.values():
            result.touched_feeds |= tagger.feed_keys(t)
        result.touched_feeds.update(page_key(slug) for _, slug, _, _, _ in todo)
        write_tags(session, computed, replace=bool(edited_ids))
        # Keep memory flat on large inputs: nothing from this batch is needed again.
        session.expunge_all()
        progress.advance(len(batch))
