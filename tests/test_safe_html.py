"""Feed-sourced HTML: the safe subset that survives, its text for the other steps, feeds and pages showing it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from conftest import FIXED_NOW
from sqlalchemy import select, update

from publisher import pipeline
from publisher.config import Config
from publisher.ingest import ingest_source
from publisher.models import BodyFormat, Release
from publisher.safehtml import html_to_text, sanitise
from publisher.sources.base import ReleaseRecord, make_source
from publisher.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "html_feed.atom"
GOLDEN = Path(__file__).parent / "golden" / "feeds"
# What a hostile body may carry: none of it may reach a feed or a page as markup.
HOSTILE = ("<script", "onclick", "onerror", "javascript:", "<img", "<iframe", "<style", "steal()", "leftover")


@pytest.fixture
def html_cfg(make_config: Callable[..., Config], sample_dir: Path) -> Config:
    """The sample projects, and releases from the partner's Atom feed (HTML bodies) beside a text source."""
    return make_config(
        sources=[
            {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
            {"name": "partner", "kind": "feed", "path": str(FIXTURE)},
        ]
    )


@pytest.fixture
def html_store(html_cfg: Config, store: Store) -> Store:
    for source in pipeline.configured_sources(html_cfg):
        ingest_source(store, html_cfg, source, now=FIXED_NOW)
    return store


def _records(cfg: Config) -> list[ReleaseRecord]:
    partner = next(s for s in cfg.sources if s.name == "partner")
    return list(make_source(partner, cfg).read())  # type: ignore[arg-type]


# ---------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    ("markup", "kept"),
    [
        (
            '<p onclick="x()">a <a href="https://e.org/?a=1&amp;b=2" title="t">link</a></p>',
            '<p>a <a href="https://e.org/?a=1&amp;b=2" rel="nofollow noopener noreferrer">link</a></p>',
        ),
        ('<a href="javascript:alert(1)">x</a> <a href="data:text/html,x">y</a> <a href="/rel">z</a>', "x y z"),
        (
            '<a href=" java\tscript:alert(1)">x</a><a href="HTTPS://E.org/">ok</a>',
            'x<a href="HTTPS://E.org/" rel="nofollow noopener noreferrer">ok</a>',
        ),
        ("<script>evil()</script><style>p{}</style><iframe>frame</iframe><noscript>ns</noscript>text", "text"),
        ('<img src="https://e.org/i.png" onerror="x()">after', "after"),
        ("<h1>Big</h1><h2>Sub</h2><h5>Small</h5><h6>Tiny</h6>", "<h2>Big</h2><h2>Sub</h2><h4>Small</h4><h4>Tiny</h4>"),
        (
            "<ul><li>one<li>two</ul><ol><li><b>b</b> <i>i</i> <em>e</em> <strong>s</strong></li></ol>",
            "<ul><li>one</li><li>two</li></ul><ol><li><b>b</b> <i>i</i> <em>e</em> <strong>s</strong></li></ol>",
        ),
        (
            "<blockquote>q<br>r</blockquote><pre><code>x &lt; y</code></pre>",
            "<blockquote>q<br>r</blockquote><pre><code>x &lt; y</code></pre>",
        ),
        ("<div><table><tr><td>cell</td></tr></table><span style='x'>s</span></div><!-- note -->", "cells"),
        ("<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
    ],
)
def test_only_the_safe_subset_survives(markup: str, kept: str) -> None:
    assert sanitise(markup) == kept
    assert sanitise(kept) == kept  # idempotent: outputs sanitise stored HTML again


def test_text_of_html_has_paragraphs_and_no_dropped_content() -> None:
    markup = "<p>One &amp; two</p><script>x()</script><ul><li>a</li><li>b</li></ul><iframe>f</iframe>"
    assert html_to_text(markup) == "One & two\n\na\n\nb"


# ---------------------------------------------------------------- the source


def test_feed_bodies_keep_links_and_lists_and_lose_scripts(html_cfg: Config) -> None:
    html_rec, text_rec = _records(html_cfg)
    markup = html_rec.body_html
    assert (
        '<a href="https://partner.example/projects/bomca" rel="nofollow noopener noreferrer">BOMCA programme</a>'
        in (markup)
    )
    assert "<ul><li>forged passports</li><li><em>risk analysis</em></li></ul>" in markup
    assert "<h2>Training week</h2>" in markup and "<h4>Contact</h4>" in markup
    assert "<a>" not in markup and "full agenda" in markup and "Photo: partner." in markup
    for bad in (*HOSTILE, "frame text", "color: red", 'target="', 'title="', 'class="'):
        assert bad not in markup and bad not in html_rec.body, bad
    # The text comes from what was kept: paragraphs and list items, no markup, no script.
    assert html_rec.body.split("\n\n")[:4] == [
        "Training week",
        "Border guards from Uzbekistan trained on document checks with the BOMCA programme.",
        "forged passports",
        "risk analysis",
    ]
    assert "<" not in html_rec.body and html_rec.summary.startswith("A week of training")
    # A body the feed marks as text stays text: no HTML, its "<b>" is words.
    assert text_rec.body_html == ""
    assert text_rec.body == "Migration dialogue in Tunisia: the <b> tag here is text.\n\nA second paragraph."


def test_jsonl_body_is_html_only_when_it_says_so(tmp_path: Path) -> None:
    from publisher.config import SourceConfig

    f = tmp_path / "r.jsonl"
    rows = [
        {
            "date": "2025-03-01",
            "body": "<p>a <a href='https://e.org/'>b</a></p><script>c()</script>",
            "body_format": "html",
        },
        {"date": "2025-03-02", "body": "<p>stays text</p>"},
        {"date": "2025-03-03", "body": "x", "body_format": "markdown"},
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    skipped: list[object] = []
    src = make_source(SourceConfig(name="j", kind="jsonl", path=f), Config())
    html_rec, text_rec = list(src.read(skipped.append))  # type: ignore[arg-type]
    assert html_rec.body_html == '<p>a <a href="https://e.org/" rel="nofollow noopener noreferrer">b</a></p>'
    assert html_rec.body == "a b"
    assert (text_rec.body, text_rec.body_html) == ("<p>stays text</p>", "")
    assert [getattr(s, "reason", "") for s in skipped] == ["body_format: expected 'text' or 'html', got 'markdown'"]


# ---------------------------------------------------------------- store and outputs


def test_the_store_says_which_bodies_are_html(html_store: Store, ingested: Store) -> None:
    with html_store.session() as s:
        text_sources = {f for src, f in s.execute(select(Release.source, Release.body_format)) if src == "releases"}
        partner = list(s.scalars(select(Release).where(Release.source == "partner").order_by(Release.published)))
        countries = {c.country for c in partner[1].countries}
        got = [(r.body_format, bool(r.body_html)) for r in partner]
        text = partner[1].body
    assert text_sources == {BodyFormat.TEXT}
    assert got == [(BodyFormat.TEXT, False), (BodyFormat.HTML, True)]
    assert "Uzbekistan" in text and "UZ" in countries  # tagging reads the text of the HTML


def test_feeds_and_pages_show_the_safe_html_and_readers_see_list_and_link(html_cfg: Config, html_store: Store) -> None:
    cfg = dataclasses.replace(html_cfg, feeds=dataclasses.replace(html_cfg.feeds, formats=("atom", "rss", "json")))
    pipeline.build_feeds(cfg, html_store)
    folder = cfg.feeds.dir
    with html_store.session() as s:
        slug = s.scalars(select(Release.slug).where(Release.body_format == BodyFormat.HTML)).one()
        text_slug = s.scalars(select(Release.slug).where(Release.external_id == "urn:partner:news:40")).one()
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse((folder / f"all.{fmt}").read_bytes())
        assert not parsed.bozo, parsed.bozo_exception
        entry = next(e for e in parsed.entries if e.link == "https://partner.example/news/41")
        content = entry.content[0].value
        assert "<li>forged passports</li>" in content
        assert 'href="https://partner.example/projects/bomca"' in content
        plain = next(e for e in parsed.entries if e.link == "https://partner.example/news/40").content[0].value
        assert "&lt;b&gt; tag here is text" in plain
    item = next(i for i in json.loads((folder / "all.json").read_bytes())["items"] if i["url"].endswith("/41"))
    assert "<li>forged passports</li>" in item["content_html"]
    page = (folder / f"news/{slug}.html").read_text("utf-8")
    assert '<div class="body"><h2>Training week</h2>' in page and page.count("<h1>") == 1
    for name in ("all.atom", "all.rss", "all.json", f"news/{slug}.html"):
        data = (folder / name).read_text("utf-8")
        for bad in HOSTILE:
            assert bad not in data, (name, bad)
    assert "the &lt;b&gt; tag here is text." in (folder / f"news/{text_slug}.html").read_text("utf-8")
    for name, golden in (("all.atom", "html__all.atom"), (f"news/{slug}.html", "html__release.html")):
        got = (folder / name).read_bytes()
        if os.environ.get("UPDATE_GOLDEN"):
            (GOLDEN / golden).write_bytes(got)
        assert got == (GOLDEN / golden).read_bytes(), f"{name} differs from {golden} (UPDATE_GOLDEN=1 after review)"


def test_outputs_sanitise_stored_html_again(html_cfg: Config, html_store: Store) -> None:
    """A row written by an older version (or by hand) with markup the policy drops: it never goes live."""
    hostile = '<p onclick="steal()">ok</p><script>leftover()</script><a href="javascript:steal()">x</a>'
    with html_store.session() as s:
        s.execute(
            update(Release)
            .where(Release.body_format == BodyFormat.HTML)
            .values(body_html=hostile, content_hash="older", updated_at=dt.datetime(2025, 3, 20, tzinfo=dt.UTC))
        )
        slug = s.scalars(select(Release.slug).where(Release.body_format == BodyFormat.HTML)).one()
    pipeline.build_feeds(html_cfg, html_store, full=True)
    for name in ("all.atom", "all.rss", f"news/{slug}.html"):
        data = (html_cfg.feeds.dir / name).read_text("utf-8")
        assert "ok" in data and not [bad for bad in HOSTILE if bad in data], name


def test_reingest_changes_nothing_and_an_html_edit_is_an_update(
    html_cfg: Config, html_store: Store, tmp_path: Path
) -> None:
    partner = next(s for s in pipeline.configured_sources(html_cfg) if s.config.name == "partner")
    again = ingest_source(html_store, html_cfg, partner, now=FIXED_NOW + dt.timedelta(days=1))
    assert (again.added, again.updated) == (0, 0)
    edited = tmp_path / "edited.atom"
    # Only the markup changes (a link is added), the text stays the same: that is still an edit readers see.
    edited.write_text(
        FIXTURE.read_text("utf-8").replace(
            "Photo: partner.", "Photo: &lt;a href='https://partner.example/'&gt;partner&lt;/a&gt;."
        ),
        "utf-8",
    )
    src = make_source(dataclasses.replace(partner.config, path=edited), html_cfg)
    result = ingest_source(html_store, html_cfg, src, now=FIXED_NOW + dt.timedelta(days=2))
    assert (result.added, result.updated) == (0, 1)
    with html_store.session() as s:
        row = s.scalars(select(Release).where(Release.body_format == BodyFormat.HTML)).one()
    assert '<a href="https://partner.example/" rel="nofollow noopener noreferrer">partner</a>' in row.body_html
