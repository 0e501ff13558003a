"""Digest items read from the store: one release with its tags and related projects."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from publisher.config import Config
from publisher.digest.model import DigestItem, RelatedProject
from publisher.digest.periods import Period
from publisher.models import Release, ReleaseProject
from publisher.safeurl import safe_href


@functools.lru_cache(maxsize=512)
def country_name(code: str) -> str:
    from publisher.countries import country_name as name  # deferred: pycountry is slow to import

    return name(code)


def _topic_rank(cfg: Config) -> dict[str, int]:
    return {slug: i for i, slug in enumerate(cfg.taxonomy.topics)}


def item_from_release(cfg: Config, r: Release, period: Period) -> DigestItem:
    topic_rank = _topic_rank(cfg)
    topics = sorted((t.topic for t in r.topics), key=lambda s: (topic_rank.get(s, len(topic_rank)), s))
    links = sorted(r.project_links, key=lambda x: (-x.score, x.project.slug))[: cfg.linking.max_links]
    projects = tuple(
        RelatedProject(
            name=link.project.name,
            years=link.project.years,
            countries=tuple(country_name(c) for c in link.project.countries),
            reasons=tuple(link.reasons),
            url=safe_href(link.project.url),
        )
        for link in links
    )
    return DigestItem(
        release_id=r.id,
        published=r.published,
        title=r.title,
        summary=r.summary,
        url=safe_href(r.url) or cfg.site.url(f"news/{r.slug}.html"),
        topics=tuple(topics),
        regions=tuple(x.region for x in r.regions),
        countries=tuple(country_name(c.country) for c in r.countries),
        projects=projects,
        late=r.published < period.start,
    )


def load_releases(session: Session, ids: Iterable[int]) -> list[Release]:
    out: list[Release] = []
    it = iter(sorted(set(ids)))
    while chunk := list(islice(it, 500)):
        out += session.scalars(
            select(Release)
            .where(Release.id.in_(chunk))
            .options(
                selectinload(Release.topics),
                selectinload(Release.regions),
                selectinload(Release.countries),
                selectinload(Release.project_links).selectinload(ReleaseProject.project),
            )
        )
    return out


def items_for_ids(session: Session, cfg: Config, period: Period, ids: Iterable[int]) -> list[DigestItem]:
    """The digest items for these release ids, newest first (missing ids are dropped: a release was deleted)."""
    items = [item_from_release(cfg, r, period) for r in load_releases(session, ids)]
    return sorted(items, key=lambda i: (i.published, i.release_id), reverse=True)
