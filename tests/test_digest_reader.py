"""Digests that explain themselves: groups the subscriber chose, "why you got this", archive and link polish."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from test_digest import LINKS, sample_items

from publisher import pipeline
from publisher.config import Config
from publisher.digest import (
    Follows,
    build_edition,
    find_edition,
    parse_period,
    personalise,
    render_digest,
    render_edition_variant,
    variant_key,
    variant_release_ids,
)
from publisher.models.mail import Delivery, Subscriber
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
LABOUR = Follows.of(["labour-migration"], [])


def _group_heads(text: str) -> list[str]:
    """The group headings of a text part ("BORDER MANAGEMENT (2)")."""
    lines = text.splitlines()
    return [a for a, b in itertools.pairwise(lines) if b and set(b) == {"-"} and a.endswith(")")]


def test_a_subscriber_gets_no_section_they_did_not_choose(cfg: Config) -> None:
    mixed = [it for it in sample_items() if it.topics == ("border-management", "labour-migration")]
    everyone = render_digest(cfg, parse_period("2025-03"), mixed)
    assert _group_heads(everyone.text) == ["BORDER MANAGEMENT (1)"]  # the first topic in taxonomy order, as before
    # A labour-only reader finds the item under the topic they chose, and no border section.
    mine = render_digest(cfg, parse_period("2025-03"), mixed, follows=LABOUR)
    assert _group_heads(mine.text) == ["LABOUR MIGRATION (1)"]
    assert "Border management (1)" not in mine.html and "Labour migration (1)" in mine.html
    assert "You follow Labour migration" in mine.text


def test_each_item_says_why_it_came(cfg: Config) -> None:
    follows = Follows.of(["border-management", "return-reintegration"], ["central-asia"])
    items = [it for it in sample_items() if it.regions == ("central-asia",)]
    rendered = render_digest(cfg, parse_period("2025-03"), items, follows=follows)
    assert "You follow Border management and Central Asia" in rendered.text
    assert "You follow Return and reintegration and Central Asia" in rendered.text
    assert rendered.html.count('class="item-why"') == 2
    assert "You follow Border management and Central Asia" in rendered.html


def test_a_subscriber_without_preferences_gets_the_usual_grouping_and_no_why(cfg: Config) -> None:
    plain = render_digest(cfg, parse_period("2025-03"), sample_items())
    assert "You follow" not in plain.text and "item-why" not in plain.html
    assert _group_heads(plain.text) == ["BORDER MANAGEMENT (2)", "RETURN AND REINTEGRATION (1)", "OTHER NEWS (1)"]
    assert variant_key([1, 2]) == variant_key([1, 2], Follows())


def test_regions_only_subscriber_is_grouped_by_their_regions(make_config: Callable[..., Config]) -> None:
    cfg = make_config(digest={"group_by": "topic"})
    items = [it for it in sample_items() if it.regions]
    rendered = render_digest(cfg, parse_period("2025-03"), items, follows=Follows.of([], ["central-asia"]))
    assert _group_heads(rendered.text) == ["CENTRAL ASIA (2)"]
    assert "2 new releases in 1 region." in rendered.text


def test_edition_variants_keep_the_follows_they_were_built_with(
    cfg: Config, store: Store, digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]
) -> None:
    labour, twin, both = add_subscribers(
        [
            ("labour@example.org", "monthly", ["labour-migration"], []),
            ("twin@example.org", "monthly", ["labour-migration"], []),
            ("both@example.org", "monthly", ["labour-migration", "research-data"], ["europe", "central-asia"]),
        ]
    )
    with store.session() as s:
        result = build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)
        rows = {d.subscriber_id: d for d in s.query(Delivery).filter_by(edition_id=result.edition_id)}
        assert rows[labour].release_ids == rows[both].release_ids  # same items ...
        # ... but different follows render differently, so the variant differs too.
        assert rows[labour].variant == rows[twin].variant != rows[both].variant
        edition = find_edition(s, result.edition_id)
        variant = rows[labour].variant
        assert edition.stats["follows"][variant] == {"topics": ["labour-migration"], "regions": []}
        # Preferences changed after the build: the message still renders as built.
        s.get(Subscriber, labour).topics = ["border-management"]
        rendered = render_edition_variant(s, cfg, edition, variant, variant_release_ids(s, edition.id, variant))
    assert _group_heads(rendered.text) == ["LABOUR MIGRATION (2)"]
    assert rendered.text.count("You follow Labour migration") == 2
    # "Mixed: borders and labour" is first a border item; a labour-only reader finds it under labour.
    assert "Border management (" not in rendered.html
    page = pipeline.digest_archive_page(cfg, result.edition_id, variant, store)
    assert "You follow Labour migration" in page and "Border management (" not in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.readmore: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and "readmore" in (a.get("class") or ""):
            self.readmore.append(a)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_read_more_links_have_distinct_accessible_names(cfg: Config) -> None:
    rendered = render_digest(cfg, parse_period("2025-03"), sample_items())
    parser = _Links()
    parser.feed(personalise(rendered, "Ana", LINKS)[0])
    names = [a.get("aria-label") or "" for a in parser.readmore]
    assert len(names) == len(sample_items()) == len(set(names))
    # The visible words stay part of the name (WCAG "label in name"), followed by the item's title.
    assert all(n.startswith("Read more: ") for n in names)
    assert "Read more: Borders & <labour> in Kyrgyzstan" in names


def test_the_archive_copy_does_not_greet_nobody(
    cfg: Config, store: Store, digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]
) -> None:
    add_subscribers([("ana@example.org", "monthly", [], [], "active", "Ana")])
    with store.session() as s:
        result = build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)
        (variant,) = {d.variant for d in s.query(Delivery).filter_by(edition_id=result.edition_id)}
    page = pipeline.digest_archive_page(cfg, result.edition_id, variant, store)
    parser = _Links()
    parser.feed(page)
    words = " ".join(" ".join(parser.text).split())
    assert "Hello" not in words
    assert "Border training in Serbia" in words
    # The mail itself still greets its reader by name.
    mail = render_digest(cfg, parse_period("2025-03"), sample_items())
    assert "Hello Ana," in personalise(mail, "Ana", LINKS)[0]
