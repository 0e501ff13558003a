"""Tag and link releases (classifier + linker over the stored projects) and bulk-write their tags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session, selectinload

from publisher.classify import Classifier
from publisher.classify import Tag as Tag_
from publisher.config import Config
from publisher.ingest.bulk import insert_rows
from publisher.ingest.common import BATCH, batched
from publisher.link import (
    ProjectProfile,
    ReleaseProfile,
    linker_for,
    project_text,
    release_profile,
)
from publisher.models import (
    Base,
    Project,
    Release,
    ReleaseCountry,
    ReleaseProject,
    ReleaseRegion,
    ReleaseTopic,
)
from publisher.sources.base import ProjectRecord
from publisher.text import tagged_text

TAG_LOADS = (
    selectinload(Release.topics),
    selectinload(Release.regions),
    selectinload(Release.countries),
    selectinload(Release.project_links),
)


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
        """The stored tags of a release loaded with TAG_LOADS."""
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


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def release_table() -> Table:
    """The releases table, for Core statements."""
    return _table(Release)


def write_tags(session: Session, tags: dict[int, TagSet], *, replace: bool) -> None:
    """Store computed tags for many releases with bulk statements (the ORM's per-object events cost more than
    classifying); `replace` first deletes what those releases had."""
    if not tags:
        return
    session.flush()
    ids = list(tags)
    for model, attr, column in _TAG_TABLES:
        if replace:
            for chunk in batched(ids, BATCH):
                session.execute(delete(model).where(model.release_id.in_(chunk)))
        table = _table(model)
        if attr == "links":
            links = [
                (rid, x[0], x[1], list(x[2]), [{"kind": k, "weight": w, "detail": d} for k, w, d in x[3]])
                for rid, t in tags.items()
                for x in t.links
            ]
            insert_rows(session, table, ("release_id", column, "score", "reasons", "evidence"), links)
        else:
            rows = [(rid, tag[0], tag[1], list(tag[2])) for rid, t in tags.items() for tag in getattr(t, attr)]
            # Plain tuples through one executemany: Core's per-row parameter dicts cost more than the insert.
            insert_rows(session, table, ("release_id", column, "score", "reasons"), rows)


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
        self.linker = linker_for(cfg, profiles)

    def profile(self, title: str, body: str, published: dt.date) -> ReleaseProfile:
        """What the linker sees of a release (for `publisher explain`)."""
        return release_profile(title, body, published, self.classifier.classify(tagged_text(title, body), published))

    def compute(self, title: str, body: str, published: dt.date) -> TagSet:
        """Tags and links of one release's text."""
        c = self.classifier.classify(tagged_text(title, body), published)
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


def feeds_of(session: Session, tagger: Tagger, release_ids: set[int]) -> set[str]:
    """The feeds these releases are in, and their pages."""
    keys: set[str] = set()
    for chunk in batched(sorted(release_ids), BATCH):
        for r in session.scalars(select(Release).where(Release.id.in_(chunk)).options(*TAG_LOADS)):
            keys |= tagger.feed_keys(TagSet.of(r))
            keys.add(page_key(r.slug))
    return keys
