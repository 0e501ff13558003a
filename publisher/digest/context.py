"""The template context of one variant: subject, preheader, items grouped and labelled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.config import Config
from publisher.digest.model import NO_FOLLOWS, DigestItem, Follows
from publisher.digest.periods import Period, human_day
from publisher.digest.personalise import PLACEHOLDERS
from publisher.errors import DigestError


@dataclass(frozen=True)
class Group:
    label: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _grouping(cfg: Config, follows: Follows) -> tuple[bool, frozenset[str] | None]:
    """(group by region?, the slugs a group may be): only what the subscriber follows, on the configured side
    if they follow any of it, else on the other; everything (None) for a subscriber without preferences."""
    by_region = cfg.digest.group_by == "region"
    if not follows:
        return by_region, None
    if by_region and not follows.regions:
        by_region = False
    elif not by_region and not follows.topics:
        by_region = True
    return by_region, follows.regions if by_region else follows.topics


def why_line(cfg: Config, item: DigestItem, follows: Follows) -> str:
    """`You follow Border management and Central Asia`: the followed topics and regions that brought the item."""
    topics, regions = cfg.taxonomy.topics, cfg.taxonomy.regions
    names = [topics[t].name if t in topics else t for t in item.topics if t in follows.topics]
    names += [regions[r].name if r in regions else r for r in item.regions if r in follows.regions]
    return f"You follow {_and(names)}" if names else ""


def groups_for(cfg: Config, items: Sequence[DigestItem], follows: Follows = NO_FOLLOWS) -> tuple[list[Group], str]:
    """The items in groups, each item once, and the group noun ("topic" or "region")."""
    by_region, allowed = _grouping(cfg, follows)
    names = cfg.taxonomy.regions if by_region else cfg.taxonomy.topics
    order = {slug: i for i, slug in enumerate(names)}
    buckets: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        keys = sorted(item.regions if by_region else item.topics, key=lambda s: (order.get(s, len(order)), s))
        if allowed is not None:
            # A border-only subscriber must not find a "Labour migration" section: groups are what they chose.
            keys = [k for k in keys if k in allowed]
        # Each item appears once, under its first group: a digest that repeats itself reads as spam.
        buckets[keys[0] if keys else ""].append(item)
    topic_names = {s: t.name for s, t in cfg.taxonomy.topics.items()}
    region_names = {s: r.name for s, r in cfg.taxonomy.regions.items()}
    groups = []
    for key in sorted(buckets, key=lambda s: (s == "", order.get(s, len(order)), s)):
        label = names[key].name if key in names else (key.replace("-", " ").title() if key else "Other news")
        rows = []
        for it in sorted(buckets[key], key=lambda i: (i.published, i.release_id), reverse=True):
            labels = [topic_names.get(t, t) for t in it.topics] if by_region else []
            labels += [region_names.get(r, r) for r in it.regions] if not by_region else []
            labels += list(it.countries)
            date_human = human_day(it.published)
            why = why_line(cfg, it, follows) if follows else ""
            rows.append(
                {
                    "title": it.title,
                    "summary": it.summary,
                    "url": it.url,
                    "date_human": date_human,
                    "late": it.late,
                    "labels": labels,
                    "projects": it.projects,
                    "why": why,
                    # Everything above: what an item's cached fragment may depend on (see `templates._fragment`).
                    "key": (it.title, it.summary, it.url, date_human, it.late, tuple(labels), it.projects, why),
                }
            )
        groups.append(Group(label, rows))
    return groups, "region" if by_region else "topic"


def subject_for(cfg: Config, period: Period, count: int) -> str:
    try:
        return cfg.digest.subject.format(title=cfg.site.title, period=period.human, count=count)
    except (KeyError, IndexError, ValueError) as exc:
        raise DigestError(
            f"digest.subject {cfg.digest.subject!r}: bad placeholder ({exc}); use {{title}}, {{period}} or {{count}}"
        ) from None


def template_context(
    cfg: Config,
    period: Period,
    items: Sequence[DigestItem],
    view_url: str,
    personal: Mapping[str, str] | None,
    follows: Follows = NO_FOLLOWS,
) -> dict[str, Any]:
    count = len(items)
    groups, group_noun = groups_for(cfg, items, follows)
    ctx = {
        "site": cfg.site,
        "subject": subject_for(cfg, period, count),
        "period": period.label,
        "period_human": period.human,
        "frequency": str(period.frequency),
        "count": count,
        "groups": groups,
        "group_noun": group_noun,
        "preheader": "; ".join(i.title for i in items[:3])[:150] if items else "Nothing new this time.",
        "view_url": view_url,
        "greeting": PLACEHOLDERS["greeting"],
        "manage_url": PLACEHOLDERS["manage"],
        "unsubscribe_url": PLACEHOLDERS["unsubscribe"],
        "feed_url": PLACEHOLDERS["feed"],
    }
    if personal is not None:
        ctx.update(
            greeting=personal["greeting"],
            manage_url=personal["manage"],
            unsubscribe_url=personal["unsubscribe"],
            feed_url=personal.get("feed", personal["manage"]),
        )
    return ctx
