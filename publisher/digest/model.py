"""Digest values: items as a digest shows them, rendered variants and the variant key."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
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


def variant_key(release_ids: Iterable[int]) -> str:
    """Same item set, same variant: the key names the content, not the recipient."""
    return _variant_key(tuple(sorted(release_ids)))


@functools.lru_cache(maxsize=4096)
def _variant_key(ids: tuple[int, ...]) -> str:
    # Subscribers share few item sets (that is what variants are): hash each set once, not per subscriber.
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RenderedDigest:
    """One content variant, rendered and CSS-inlined once; personal values are still placeholders."""

    subject: str
    html: str
    text: str
    variant: str
    count: int
    preheader: str = ""
