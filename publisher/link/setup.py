"""Build the linker a configuration asks for: the one place that knows what a Linker takes from it."""

from __future__ import annotations

from collections.abc import Sequence

from publisher.config import Config
from publisher.link.linker import Linker
from publisher.link.profiles import ProjectProfile


def linker_for(cfg: Config, profiles: Sequence[ProjectProfile]) -> Linker:
    """A Linker over these projects with the configured linking settings and the taxonomy's display names."""
    topics, regions = cfg.taxonomy.topics, cfg.taxonomy.regions
    return Linker(
        profiles,
        cfg.linking,
        topic_names={k: t.name for k, t in topics.items()},
        region_names={k: r.name for k, r in regions.items()},
        topic_words={k: tuple(t.keywords) for k, t in topics.items()},
    )
