"""Feeds: valid, deterministic, escaped RSS/Atom/OPML/HTML; incremental builds rewrite only what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import stat
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
from conftest import BASE_URL, FEEDS_T0, TRICKY_TITLE
from sqlalchemy import delete, select, update

from publisher import feeds
from publisher.config import Config
from publisher.errors import FeedError
from publisher.models import Project, Release, ReleaseProject, ReleaseTopic, Topic
from publisher.store import Store

GOLDEN = Path(__file__).parent / "golden" / "feeds"
T1 = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)


def build(cfg: Config, store: Store, **kw: object) -> feeds.FeedsSummary:
    return feeds.build(cfg, store, **kw)  # type: ignore[arg-type]


def rel_paths(cfg: Config, paths: list[Path]) -> set[str]:
    return {p.relative_to(cfg.feeds.dir).as_posix() for p in paths}


def parse(path: Path) -> feedparser.FeedParserDict:
    # Parse bytes we read ourselves (never hand feedparser a URL).
    return feedparser.parse(path.read_bytes())


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_tags(markup: str) -> _TagCollector:
    p = _TagCollector()
    p.feed(markup)
    p.close()
    return p


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", ["all.atom", "all.rss", "feeds.opml", "news/release-2.html"])
def test_output_matches_golden_file(cfg: Config, feed_store: Store, name: str) -> None:
    build(cfg, feed_store)
    got = (cfg.feeds.dir / name).read_bytes()
    golden = GOLDEN / name.replace("/", "__")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(got)
    assert got == golden.read_bytes(), f"{name} differs from {golden} (UPDATE_GOLDEN=1 regenerates after review)"


# ---------------------------------------------------------------- validity for real readers


def test_every_feed_parses_cleanly_with_expected_channel_fields(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    infos = feeds.list_feeds(cfg, feed_store)
    assert {i.key for i in infos} == {
        "all",
        "topic:border-management",
        "topic:labour-migration",
        "topic:trafficking",
        "region:north-africa",
        "region:western-balkans",
        "project:bmp-tunisia",
        "project:labour-lab",
        "project:quiet-project",
    }
    for info in infos:
        for fmt, path in info.paths.items():
            d = parse(path)
            assert d.bozo == 0, f"{path}: {d.get('bozo_exception')}"
            assert d.version == ("atom10" if fmt == "atom" else "rss20")
            f = d.feed
            assert f.title == info.title
            assert f.subtitle
            assert f.language == "en"
            assert "publisher" in f.generator
            self_links = [ln.href for ln in f.links if ln.rel == "self"]
            assert self_links == [BASE_URL + path.relative_to(cfg.feeds.dir).as_posix()] == [info.urls[fmt]]
            assert any(ln.rel == "alternate" and ln.href.startswith("http") for ln in f.links)
            if fmt == "atom":
                assert f.id == info.urls[fmt]
                assert f.author_detail.name == "ICMPD" and f.author_detail.email == "news@example.org"
                assert dt.datetime.fromisoformat(f.updated) == info.updated
            else:
                assert "news@example.org" in f.get("author", "") + f.get("publisher", "")
            assert len(d.entries) == info.entries


def test_entries_have_stable_ids_order_times_categories_and_projects(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    atom, rss = parse(cfg.feeds.dir / "all.atom"), parse(cfg.feeds.dir / "all.rss")
    # Newest first; release 2 and 3 share a date, so the higher id comes first.
    order = ["release-3", "release-2", "release-1", "release-4", "release-5"]
    for d in (atom, rss):
        assert [e.id.rsplit("/", 1)[1] for e in d.entries] == order
        assert all(e.id.startswith("tag:news.example.org,") for e in d.entries)
    assert all(e.guidislink is False for e in rss.entries)

    newest = atom.entries[0]
    # Noon UTC of the release day plus the id in seconds; updated is the edit (a fraction of a second from the id).
    assert newest.published == "2025-02-03T12:00:03+00:00"
    assert newest.updated == "2025-03-05T10:00:00.000003+00:00"
    assert atom.feed.updated == newest.updated  # the feed is as new as its newest entry, not "now"
    assert rss.entries[0].published_parsed[:6] == (2025, 2, 3, 12, 0, 3)

    first = atom.entries[2]  # release-1
    assert first.link == BASE_URL + "news/release-1.html"
    assert [(t.term, t.label) for t in first.tags] == [
        ("border-management", "Border Management"),
        ("north-africa", "North Africa"),
        ("TN", "Tunisia"),
        ("bmp-tunisia", "Border Management Programme Tunisia (BMP-T)"),
    ]
    content = first.content[0].value
    assert "Related projects" in content and "Names BMP-T" in content
    assert 'href="https://www.example.org/projects/bmp-t"' in content
    assert atom.entries[3].link == "https://www.example.org/original/4"  # a source URL is kept
    assert [t.term for t in rss.entries[2].tags] == [
        "Border Management",
        "North Africa",
        "Tunisia",
        "Border Management Programme Tunisia (BMP-T)",
    ]


def test_markup_in_release_text_never_goes_live(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    for name in ("all.atom", "all.rss"):
        d = parse(cfg.feeds.dir / name)
        e = next(x for x in d.entries if x.id.endswith("release-2"))
        assert e.title == TRICKY_TITLE  # round-trips exactly, non-ASCII included
        assert e.title_detail.type == "text/plain"
        assert e.link == BASE_URL + "news/release-2.html"  # javascript: source URL replaced by our page
        # Release text arrives as text inside the HTML, never as elements or attributes.
        for markup in (e.content[0].value, e.summary if name.endswith("rss") else html.escape(e.summary)):
            parsed = html_tags(markup)
            assert not {"script", "b", "img", "i"} & set(parsed.tags), (name, parsed.tags)
            assert all(not (v or "").startswith("javascript:") for _, v in parsed.attrs)
        text = "".join(html_tags(e.content[0].value).text)
        assert '<script>alert("body")</script>' in text and "Grüße aus Wien" in text
        assert "Labour <Lab> & Co" in text and "<i>topic</i> & country" in text
        summary = "Summary with <img src=x onerror=alert(1)> & ampersand"
        if name.endswith("atom"):
            assert (e.summary, e.summary_detail.type) == (summary, "text/plain")
        else:
            assert e.summary_detail.type == "text/html" and "".join(html_tags(e.summary).text) == summary


def test_empty_feed_is_valid_with_a_stable_updated_time(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    quiet = parse(cfg.feeds.dir / "projects/quiet-project.atom")
    assert quiet.bozo == 0 and quiet.entries == []
    assert quiet.feed.updated == "2024-06-01T12:00:00+00:00"  # the project's own update time
    with feed_store.session() as s:
        s.add(Topic(slug="asylum", name="Asylum"))
    build(cfg, feed_store)
    asylum = parse(cfg.feeds.dir / "topics/asylum.rss")
    assert asylum.bozo == 0 and asylum.entries == []
    assert asylum.feed.updated_parsed[:3] == (2000, 1, 1)


def test_max_entries_keeps_the_newest(make_config: Callable[..., Config], feed_store: Store) -> None:
    cfg = make_config(feeds={"dir": "feeds", "max_entries": 2, "formats": ["rss"]})
    build(cfg, feed_store)
    d = parse(cfg.feeds.dir / "all.rss")
    assert [e.id.rsplit("/", 1)[1] for e in d.entries] == ["release-3", "release-2"]
    assert not (cfg.feeds.dir / "all.atom").exists()
    info = next(i for i in feeds.list_feeds(cfg, feed_store) if i.key == "all")
    assert (info.entries, info.total) == (2, 5)


def test_opml_lists_every_feed_once_with_absolute_urls(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    root = ET.parse(cfg.feeds.dir / "feeds.opml").getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    infos = feeds.list_feeds(cfg, feed_store)
    assert urls == [i.urls["atom"] for i in infos]
    for url in urls:
        assert url and (cfg.feeds.dir / url.removeprefix(BASE_URL)).is_file()


def test_index_has_autodiscovery_for_every_feed_file(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    page = html_tags((cfg.feeds.dir / "feeds/index.html").read_text("utf-8"))
    # Relative to feeds/index.html, which sits one folder below the site root.
    alternates = {
        str(a["href"]).removeprefix("../") for tag, a in page.elements if tag == "link" and a.get("rel") == "alternate"
    }
    expected = {
        p.relative_to(cfg.feeds.dir).as_posix() for i in feeds.list_feeds(cfg, feed_store) for p in i.paths.values()
    }
    assert alternates == expected
    assert all((cfg.feeds.dir / str(h)).is_file() for h in alternates)


# ---------------------------------------------------------------- deterministic, atomic, incremental


def test_same_store_gives_byte_identical_files(make_config: Callable[..., Config], feed_store: Store) -> None:
    a = make_config(feeds={"dir": "a"})
    b = make_config(feeds={"dir": "b"})
    build(a, feed_store)
    build(b, feed_store, full=True)
    files_a = sorted(p.relative_to(a.feeds.dir) for p in a.feeds.dir.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.feeds.dir) for p in b.feeds.dir.rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 20
    for rel in files_a:
        assert (a.feeds.dir / rel).read_bytes() == (b.feeds.dir / rel).read_bytes(), rel


def test_second_build_writes_nothing_and_keeps_mtimes(cfg: Config, feed_store: Store) -> None:
    first = build(cfg, feed_store)
    assert len(first.written) == first.planned == 25 and first.removed == []
    mtimes = {p: p.stat().st_mtime_ns for p in first.written}
    again = build(cfg, feed_store)
    assert again.written == [] and again.removed == [] and again.unchanged == 25
    assert again.planned == 2  # only feeds/index.html and feeds.opml are re-rendered to compare
    full = build(cfg, feed_store, full=True)
    assert full.written == [] and full.planned == 25
    assert {p: p.stat().st_mtime_ns for p in first.written} == mtimes


def test_incremental_build_rewrites_only_feeds_of_the_changed_release(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    with feed_store.session() as s:
        s.execute(
            update(Release)
            .where(Release.id == 3)
            .values(title="Labour migration study in Albania (updated)", content_hash="h3b", updated_at=T1)
        )
    summary = build(cfg, feed_store)
    assert rel_paths(cfg, summary.written) == {
        "all.atom",
        "all.rss",
        "topics/labour-migration.atom",
        "topics/labour-migration.rss",
        "regions/western-balkans.atom",
        "regions/western-balkans.rss",
        "projects/labour-lab.atom",
        "projects/labour-lab.rss",
        "news/release-3.html",
        "feeds/index.html",
        "feeds.opml",
    }
    assert summary.planned == 11
    d = parse(cfg.feeds.dir / "topics/labour-migration.atom")
    assert d.entries[0].title.endswith("(updated)") and d.feed.updated == "2025-03-20T12:00:00.000003+00:00"


def test_relinking_without_text_change_is_noticed(cfg: Config, feed_store: Store) -> None:
    """Tags and project links show in entries, so a change to them alone makes the feeds stale."""
    build(cfg, feed_store)
    with feed_store.session() as s:
        s.add(ReleaseProject(release_id=5, project_id=3, score=0.8, reasons=["quiet"]))
    summary = build(cfg, feed_store)
    assert rel_paths(cfg, summary.written) == {
        "all.atom",
        "all.rss",
        "projects/quiet-project.atom",
        "projects/quiet-project.rss",
        "news/release-5.html",
        "feeds/index.html",
    }
    assert len(parse(cfg.feeds.dir / "projects/quiet-project.rss").entries) == 1


def test_touched_feeds_are_rerendered_even_if_fingerprints_match(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    (cfg.feeds.dir / "topics/trafficking.rss").write_bytes(b"damaged by hand")
    summary = build(cfg, feed_store, touched={"topic:trafficking", "topic:no-such-topic"})
    assert rel_paths(cfg, summary.written) == {"topics/trafficking.rss"}
    assert summary.planned == 4
    assert parse(cfg.feeds.dir / "topics/trafficking.rss").bozo == 0


def test_missing_file_is_rebuilt_and_deleted_things_are_removed(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    (cfg.feeds.dir / "regions/north-africa.atom").unlink()
    operator_file = cfg.feeds.dir / "topics" / "README.txt"
    operator_file.write_text("not ours")
    with feed_store.session() as s:
        s.execute(delete(ReleaseTopic).where(ReleaseTopic.topic == "trafficking"))
        s.execute(delete(Topic).where(Topic.slug == "trafficking"))
        s.delete(s.get(Project, 2))
        s.delete(s.get(Release, 5))
    summary = build(cfg, feed_store)
    assert rel_paths(cfg, summary.removed) == {
        "topics/trafficking.atom",
        "topics/trafficking.rss",
        "projects/labour-lab.atom",
        "projects/labour-lab.rss",
        "news/release-5.html",
    }
    assert "regions/north-africa.atom" in rel_paths(cfg, summary.written)
    assert (cfg.feeds.dir / "regions/north-africa.atom").is_file()
    for p in summary.removed:
        assert not p.exists()
    assert operator_file.read_text() == "not ours"
    manifest = json.loads((cfg.feeds.dir / feeds.MANIFEST_NAME).read_text())
    assert "topic:trafficking" not in manifest["feeds"] and "news/release-5.html" not in manifest["pages"]
    opml = (cfg.feeds.dir / "feeds.opml").read_text()
    assert "trafficking" not in opml and "labour-lab" not in opml


def test_dropping_a_format_removes_its_files(make_config: Callable[..., Config], feed_store: Store) -> None:
    cfg = make_config()
    build(cfg, feed_store)
    atom_only = make_config(feeds={"dir": "feeds", "formats": ["atom"]})
    summary = build(atom_only, feed_store)
    assert summary.removed and all(p.suffix == ".rss" for p in summary.removed)
    assert not list(cfg.feeds.dir.rglob("*.rss"))


def test_config_change_makes_everything_stale(make_config: Callable[..., Config], feed_store: Store) -> None:
    cfg = make_config()
    build(cfg, feed_store)
    renamed = make_config(site={"base_url": BASE_URL, "tag_authority": "news.example.org", "title": "Renamed"})
    summary = build(renamed, feed_store)
    assert summary.planned == 25 and len(summary.written) == 25
    assert parse(cfg.feeds.dir / "all.atom").feed.title == "Renamed"


def test_dry_run_reports_and_writes_nothing(cfg: Config, feed_store: Store) -> None:
    summary = build(cfg, feed_store, dry_run=True)
    assert len(summary.written) == 25 and summary.dry_run
    assert "would write 25 files" in summary.describe()
    assert not cfg.feeds.dir.exists()
    build(cfg, feed_store)
    with feed_store.session() as s:
        s.execute(update(Release).where(Release.id == 1).values(title="New title", content_hash="x", updated_at=T1))
    before = {p: p.read_bytes() for p in cfg.feeds.dir.rglob("*") if p.is_file()}
    preview = build(cfg, feed_store, dry_run=True)
    assert "all.atom" in rel_paths(cfg, preview.written)
    assert {p: p.read_bytes() for p in cfg.feeds.dir.rglob("*") if p.is_file()} == before
    assert rel_paths(cfg, build(cfg, feed_store).written) == rel_paths(cfg, preview.written)


def test_write_atomic_is_public_readable_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.atom"
    assert feeds.write_atomic(target, b"one") is True
    assert feeds.write_atomic(target, b"one") is False
    assert feeds.write_atomic(target, b"two") is True
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["x.atom"]


def test_unsafe_slug_fails_before_anything_is_written(cfg: Config, feed_store: Store) -> None:
    with feed_store.session() as s:
        s.execute(update(Project).where(Project.id == 3).values(slug="../../etc/evil"))
    with pytest.raises(FeedError, match=r"project:\.\./\.\./etc/evil"):
        build(cfg, feed_store)
    assert not [p for p in cfg.feeds.dir.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_broken_operator_template_is_a_feed_error(
    make_config: Callable[..., Config], feed_store: Store, tmp_path: Path
) -> None:
    tdir = tmp_path / "mytemplates" / "feeds"
    tdir.mkdir(parents=True)
    (tdir / "index.html").write_text("{% for x in %}")
    cfg = make_config(digest={"templates_dir": str(tmp_path / "mytemplates")})
    with pytest.raises(FeedError, match="feeds/index.html"):
        build(cfg, feed_store)
    assert not (cfg.feeds.dir / "all.atom").exists()


def test_build_feed_is_pure_and_caps_entries(cfg: Config) -> None:
    spec = feeds.FeedSpec(feeds.FeedKind.TOPIC, "x", "X & Y")
    entries = [
        feeds.FeedEntry(
            id=i,
            guid=f"tag:a,2025-01-0{i}:news/e{i}",
            slug=f"e{i}",
            title=f"E{i}",
            url="",
            published=dt.date(2025, 1, i),
            updated=FEEDS_T0,
            summary="s",
            body="b",
        )
        for i in (3, 2, 1)
    ]
    small = dataclasses.replace(cfg, feeds=dataclasses.replace(cfg.feeds, max_entries=2))
    one = feeds.build_feed(spec, entries, small, "atom")
    assert one == feeds.build_feed(spec, list(entries), small, "atom")
    d = feedparser.parse(one)
    assert [e.title for e in d.entries] == ["E3", "E2"]
    assert d.feed.title == "ICMPD News: X & Y"
    assert not cfg.feeds.dir.exists()


def test_list_feeds_reports_paths_urls_counts_and_built_state(cfg: Config, feed_store: Store) -> None:
    before = {i.key: i for i in feeds.list_feeds(cfg, feed_store)}
    assert not any(i.built for i in before.values())
    build(cfg, feed_store)
    infos = {i.key: i for i in feeds.list_feeds(cfg, feed_store)}
    bm = infos["topic:border-management"]
    assert (bm.entries, bm.total, bm.built) == (2, 2, True)
    assert bm.paths["rss"] == cfg.feeds.dir / "topics/border-management.rss"
    assert bm.urls["atom"] == BASE_URL + "topics/border-management.atom"
    # Neither member was edited after its first ingest: the newest publication (release 2, noon UTC + 2 s).
    assert bm.updated == dt.datetime(2025, 2, 3, 12, 0, 2, tzinfo=dt.UTC)
    with feed_store.session() as s:
        assert s.scalar(select(Release.id).where(Release.id == 2)) == 2


def test_project_edit_rebuilds_only_that_projects_feeds(cfg: Config, feed_store: Store) -> None:
    build(cfg, feed_store)
    with feed_store.session() as s:
        s.execute(update(Project).where(Project.id == 3).values(end_date=dt.date(2027, 1, 1), updated_at=T1))
    summary = build(cfg, feed_store)
    # feeds.opml too: its dateModified is the newest feed update, now this empty feed's project update time.
    assert rel_paths(cfg, summary.written) == {
        "projects/quiet-project.atom",
        "projects/quiet-project.rss",
        "feeds.opml",
    }
    assert parse(cfg.feeds.dir / "projects/quiet-project.atom").feed.updated == "2025-03-20T12:00:00+00:00"
    with feed_store.session() as s:
        s.execute(update(Project).where(Project.id == 1).values(name="BMP Tunisia renamed"))
    renamed = rel_paths(cfg, build(cfg, feed_store).written)
    assert {"news/release-1.html", "news/release-2.html", "all.atom", "projects/bmp-tunisia.rss"} <= renamed


@pytest.mark.parametrize("limit", [1, 2, 50])
@pytest.mark.parametrize("strategy", ["walk newest releases", "join the tag table"])
def test_feed_members_query_matches_the_catalog(feed_store: Store, limit: int, strategy: str) -> None:
    """The fast path's per-feed query gives the same newest entries and totals as filing the whole catalog, with
    either strategy (the store size it is given only picks the strategy: a tiny one makes every feed "large")."""
    with feed_store.session() as s:
        catalog = feeds.load_catalog(s)
        members, totals = catalog.memberships(limit)
        for spec in catalog.specs():
            everything = 0 if strategy.startswith("walk") else 10**9
            if spec.kind is feeds.FeedKind.ALL:
                everything = len(catalog.releases)
            ids, total = feeds.feed_members(s, spec, limit, everything)
            assert (ids, total) == ([r.id for r in members.get(spec.key, [])], totals.get(spec.key, 0)), spec.key
