"""Digest values: items as a digest shows them, rendered variants and the variant key."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RelatedProject:
    name: str
    years: str
    countries: tuple[str, ...]
    reasons: tuple[str, ...]
    url: str


@dataclass(frozen=True)
class DigestItem:
    """One release as a digest shows it; pure data, so rendering needs no database."""

    release_id: int
    published: dt.date
    title: str
    summary: str
    url: str
    topics: tuple[str, ...]  # slugs, best first
    regions: tuple[str, ...]  # slugs
    countries: tuple[str, ...]  # display names
    projects: tuple[RelatedProject, ...] = ()
    late: bool = False  # published before the period: a late arrival


@dataclass(frozen=True)
class Follows:
    """What a subscriber follows (topic and region slugs): their digest is grouped by these, and each item
    says which of them brought it. Empty: no preferences, the digest groups everything by `digest.group_by`."""

    topics: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, topics: Iterable[str] | None, regions: Iterable[str] | None) -> Follows:
        return cls(frozenset(topics or ()), frozenset(regions or ()))

    def __bool__(self) -> bool:
        return bool(self.topics or self.regions)

    def to_json(self) -> dict[str, list[str]]:
        return {"topics": sorted(self.topics), "regions": sorted(self.regions)}

    @classmethod
    def from_json(cls, data: Mapping[str, Iterable[str]] | None) -> Follows:
        return cls.of((data or {}).get("topics"), (data or {}).get("regions"))


NO_FOLLOWS = Follows()


def variant_key(release_ids: Iterable[int], follows: Follows = NO_FOLLOWS) -> str:
    """Same item set (and, when the subscriber has preferences, the same follows), same variant: the key
    names the content, not the recipient. Without preferences the key is that of the item set alone."""
    return _variant_key(tuple(sorted(release_ids)), follows)


@functools.lru_cache(maxsize=4096)
def _variant_key(ids: tuple[int, ...], follows: Follows) -> str:
    # Subscribers share few item sets (that is what variants are): hash each set once, not per subscriber.
    text = ",".join(map(str, ids))
    if follows:
        text += f"|t:{','.join(sorted(follows.topics))}|r:{','.join(sorted(follows.regions))}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RenderedDigest:
    """One content variant, rendered and CSS-inlined once; personal values are still placeholders."""

    subject: str
    html: str
    text: str
    variant: str
    count: int
    preheader: str = ""
