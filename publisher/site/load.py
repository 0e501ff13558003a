"""Store reads of the site step: every list's releases (from the feeds catalog), teasers, digest editions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.feeds.load import Catalog, ReleaseSig, chunks
from publisher.feeds.model import display_date
from publisher.models import Delivery, Edition, Release
from publisher.site.model import EditionRow, ListInfo, ListKind, Teaser

Lists = dict[tuple[ListKind, str], tuple[ListInfo, list[ReleaseSig]]]


def lists_of(catalog: Catalog) -> Lists:
    """Every list page set the store calls for, with its releases newest first (the catalog's order).

    Topics, regions and projects always get a page (their feeds exist too); a country only once it has news,
    so the countries page does not list two hundred empty pages.
    """
    members: dict[tuple[ListKind, str], list[ReleaseSig]] = {}
    project_slugs = catalog.project_slugs
    for r in catalog.releases:
        keys = [(ListKind.TOPIC, t) for t in r.topics]
        keys += [(ListKind.REGION, x) for x in r.regions]
        keys += [(ListKind.COUNTRY, c) for c in r.countries]
        keys += [(ListKind.PROJECT, project_slugs[pid]) for pid, _, _ in r.links if pid in project_slugs]
        for k in dict.fromkeys(keys):
            members.setdefault(k, []).append(r)
    names: dict[tuple[ListKind, str], str] = {}
    names.update({(ListKind.TOPIC, s): n for s, n in catalog.topics.items()})
    names.update({(ListKind.REGION, s): n for s, n in catalog.regions.items()})
    names.update({(ListKind.COUNTRY, c): n for c, n in catalog.countries.items() if (ListKind.COUNTRY, c) in members})
    for p in catalog.projects.values():
        names[(ListKind.PROJECT, p.slug)] = (
            f"{p.name} ({p.acronym})" if p.acronym and p.acronym not in p.name else p.name
        )
    out: Lists = {}
    for key in sorted(names, key=lambda k: (list(ListKind).index(k[0]), names[k].casefold(), k[1])):
        rels = members.get(key, [])
        out[key] = (ListInfo(key[0], key[1], names[key], len(rels)), rels)
    return out


def load_teasers(session: Session, catalog: Catalog, sigs: Iterable[ReleaseSig]) -> dict[int, Teaser]:
    """Headline, summary and stated date of these releases, by id (chunked primary-key reads, no bodies)."""
    out: dict[int, Teaser] = {}
    for chunk in chunks({s.id: s for s in sigs}.values()):
        by_id = {s.id: s for s in chunk}
        rows = session.execute(
            select(Release.id, Release.title, Release.summary, Release.published_precision).where(
                Release.id.in_(list(by_id))
            )
        )
        for rid, title, summary, precision in rows:
            s = by_id[rid]
            out[rid] = Teaser(
                slug=s.slug,
                title=title,
                summary=summary,
                published=display_date(s.published, str(precision)),
                topics=tuple((t, catalog.topics.get(t, t)) for t in sorted(s.topics)),
            )
    return out


def load_editions(session: Session) -> list[EditionRow]:
    """Every digest edition, newest period first, with the variant carrying the most news (ties: lowest key)."""
    variants: dict[int, tuple[int, str]] = {}
    first_rows = select(Delivery.edition_id, Delivery.variant, func.min(Delivery.id)).group_by(
        Delivery.edition_id, Delivery.variant
    )
    picks = {did: (eid, variant) for eid, variant, did in session.execute(first_rows)}
    for did_chunk in chunks(sorted(picks)):
        for did, ids in session.execute(select(Delivery.id, Delivery.release_ids).where(Delivery.id.in_(did_chunk))):
            eid, variant = picks[did]
            n = len(ids or [])
            best = variants.get(eid)
            if best is None or (n, _neg(variant)) > (best[0], _neg(best[1])):
                variants[eid] = (n, variant)
    out = []
    for e in session.scalars(select(Edition).order_by(Edition.period_start.desc(), Edition.id.desc())):
        if e.id not in variants:
            continue  # nobody received it: nothing public to show
        n, variant = variants[e.id]
        out.append(
            EditionRow(
                e.id, str(e.frequency), e.period, e.period_start, e.period_end, e.subject, variant, n, e.built_at
            )
        )
    return out


def _neg(variant: str) -> tuple[int, ...]:
    """Orders variant keys so that max() prefers the lowest: a stable pick among equally large variants."""
    return tuple(-ord(c) for c in variant)
