"""Links seen from the operator's side: why a release links where it does, and project names the list lacks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from publisher.config import Config
from publisher.errors import NotFoundError
from publisher.ingest import Tagger
from publisher.link import Candidate, MentionIndex, name_forms
from publisher.link.discover import Discovered, discover
from publisher.models import Project, Release
from publisher.pipeline._scope import store_scope
from publisher.store import Store


@dataclass(frozen=True)
class Explanation:
    slug: str
    title: str
    published: str
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    topics: tuple[str, ...]
    candidates: tuple[Candidate, ...]  # linked first, then the losers, best first
    projects: int  # how many projects the store has (the rest shared nothing with the release)


def explain_release(cfg: Config, ident: str, store: Store | None = None) -> Explanation:
    """Every candidate project of one release (by slug, GUID, URL or id) with its evidence and verdict."""
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        conds = [Release.slug == ident, Release.guid == ident, Release.url == ident, Release.external_id == ident]
        if ident.isdigit():
            conds.append(Release.id == int(ident))
        release = session.scalars(select(Release).where(or_(*conds)).order_by(Release.id).limit(1)).first()
        if release is None:
            raise NotFoundError(f"no release {ident!r} (give its slug, GUID, URL, source id or id)")
        tagger = Tagger(cfg, session)
        profile = tagger.profile(release.title, release.body, release.published)
        candidates = sorted(tagger.linker.explain(profile), key=lambda c: (not c.linked, -c.score, c.key))
        return Explanation(
            slug=release.slug,
            title=release.title,
            published=release.published.isoformat(),
            countries=tuple(sorted(profile.countries)),
            regions=tuple(sorted(profile.regions)),
            topics=tuple(sorted(profile.topics)),
            candidates=tuple(candidates),
            projects=len(tagger.project_ids),
        )


def discovered_projects(cfg: Config, store: Store | None = None, *, examples: int = 3) -> list[Discovered]:
    """Project-like names in stored releases that no stored project answers to, most frequent first."""
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        forms = [
            name_forms(p.name, p.acronym, p.aliases, p.acronyms)
            for p in session.scalars(select(Project).order_by(Project.slug))
        ]
        rows = session.execute(
            select(Release.slug, Release.title, Release.body).order_by(Release.published.desc(), Release.id.desc())
        )
        return discover(
            ((slug, f"{title}\n\n{body}") for slug, title, body in rows), MentionIndex(forms), examples=examples
        )
