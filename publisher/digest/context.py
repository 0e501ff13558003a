"""The template context of one variant: subject, preheader, items grouped and labelled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.config import Config
from publisher.digest.model import DigestItem
from publisher.digest.periods import Period, human_day
from publisher.digest.personalise import PLACEHOLDERS
from publisher.errors import DigestError


@dataclass(frozen=True)
class Group:
    label: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _groups(cfg: Config, items: Sequence[DigestItem]) -> list[Group]:
    by_region = cfg.digest.group_by == "region"
    names = cfg.taxonomy.regions if by_region else cfg.taxonomy.topics
    order = {slug: i for i, slug in enumerate(names)}
    buckets: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        keys = sorted(item.regions if by_region else item.topics, key=lambda s: (order.get(s, len(order)), s))
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
            rows.append(
                {
                    "title": it.title,
                    "summary": it.summary,
                    "url": it.url,
                    "date_human": date_human,
                    "late": it.late,
                    "labels": labels,
                    "projects": it.projects,
                    # Everything above: what an item's cached fragment may depend on (see `templates._fragment`).
                    "key": (it.title, it.summary, it.url, date_human, it.late, tuple(labels), it.projects),
                }
            )
        groups.append(Group(label, rows))
    return groups


def subject_for(cfg: Config, period: Period, count: int) -> str:
    try:
        return cfg.digest.subject.format(title=cfg.site.title, period=period.human, count=count)
    except (KeyError, IndexError, ValueError) as exc:
        raise DigestError(
            f"digest.subject {cfg.digest.subject!r}: bad placeholder ({exc}); use {{title}}, {{period}} or {{count}}"
        ) from None


def template_context(
    cfg: Config, period: Period, items: Sequence[DigestItem], view_url: str, personal: Mapping[str, str] | None
) -> dict[str, Any]:
    count = len(items)
    ctx = {
        "site": cfg.site,
        "subject": subject_for(cfg, period, count),
        "period": period.label,
        "period_human": period.human,
        "frequency": str(period.frequency),
        "count": count,
        "groups": _groups(cfg, items),
        "group_noun": cfg.digest.group_by,
        "preheader": "; ".join(i.title for i in items[:3])[:150] if items else "Nothing new this time.",
        "view_url": view_url,
        "greeting": PLACEHOLDERS["greeting"],
        "manage_url": PLACEHOLDERS["manage"],
        "unsubscribe_url": PLACEHOLDERS["unsubscribe"],
    }
    if personal is not None:
        ctx.update(
            greeting=personal["greeting"], manage_url=personal["manage"], unsubscribe_url=personal["unsubscribe"]
        )
    return ctx
