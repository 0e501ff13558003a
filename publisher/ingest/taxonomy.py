"""Make the topics, regions and countries tables match the configured taxonomy."""

from __future__ import annotations

import pycountry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from publisher.config import TaxonomyConfig
from publisher.countries import KOSOVO, country_name
from publisher.models import (
    Country,
    Region,
    ReleaseRegion,
    ReleaseTopic,
    Topic,
)


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

    # Every code tagging can produce must exist (release_countries references it): ISO 3166-1 plus Kosovo's XK.
    # Missing ones are added, so a store made before a code was known gets it on the next ingest.
    known = set(session.scalars(select(Country.code)))
    wanted = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    wanted[KOSOVO] = country_name(KOSOVO)
    session.add_all(Country(code=code, name=name) for code, name in sorted(wanted.items()) if code not in known)
    session.flush()
