"""The static news site: golden pages, every internal link resolves, pagination, hostile titles, incremental."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET

import pytest
from conftest import BASE_URL, FEEDS_T0, TRICKY_TITLE
from sqlalchemy import delete, select

from publisher import pipeline
from publisher.config import Config
from publisher.feeds.load import load_catalog
from publisher.feeds.model import release_times
from publisher.models import Release, ReleaseRegion, ReleaseTopic
from publisher.models.mail import Delivery, Edition, Subscriber
from publisher.site import build_site, site_urls
from publisher.store import Store

GOLDEN = Path(__file__).parent / "golden" / "site"
# Routes of the web app served beside the static folder (publisher serve), not files.
DYNAMIC = (re.compile(r"^subscribe$"), re.compile(r"^digests/\d+/[^/]+$"))


class Links(HTMLParser):
    """Every href/src of a page, the number of <main> and <h1> elements, and whether a <script> appears."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.mains = self.h1s = self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.mains += tag == "main"
        self.h1s += tag == "h1"
        self.scripts += tag == "script"
        self.links += [v for k, v in attrs if k in ("href", "src") and v is not None]


def parse_page(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text("utf-8"))
    return p


def resolve(folder: Path, page: Path, href: str) -> Path | None:
    """The file an internal link leads to (a folder URL to its index.html), None for a dynamic route."""
    parts = urlsplit(href)
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    rel = os.path.relpath(target, folder.resolve())
    if any(d.match(rel) for d in DYNAMIC):
        return None
    return target / "index.html" if href.split("?")[0].endswith("/") or target.is_dir() else target


def html_pages(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.html") if not p.name.startswith("."))


def written(cfg: Config, paths: list[Path]) -> set[str]:
    return {p.relative_to(cfg.feeds.dir).as_posix() for p in paths}


# ---------------------------------------------------------------- the pages


SITE_PAGES = [
    "index.html",
    "archive/index.html",
    "topics/index.html",
    "topics/border-management/index.html",
    "regions/index.html",
    "countries/index.html",
    "countries/at/index.html",
    "projects/index.html",
    "projects/labour-lab/index.html",
    "digests/index.html",
    "feeds/index.html",
    "news/release-2.html",
    "sitemap.xml",
]


@pytest.mark.parametrize("name", SITE_PAGES)
def test_page_matches_golden_file(cfg: Config, feed_store: Store, name: str) -> None:
    pipeline.build_feeds(cfg, feed_store)
    got = (cfg.feeds.dir / name).read_bytes()
    golden = GOLDEN / name.replace("/", "__")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(got)
    assert got == golden.read_bytes(), f"{name} differs from {golden} (UPDATE_GOLDEN=1 regenerates after review)"


def test_every_internal_link_resolves_and_every_page_has_main_and_one_h1(cfg: Config, feed_store: Store) -> None:
    pipeline.build_feeds(
        cfg,
        feed_store,
    )
    folder = cfg.feeds.dir
    pages = html_pages(folder)
    assert len(pages) >= 24
    checked = 0
    for page in pages:
        links = parse_page(page)
        assert (links.mains, links.h1s, links.scripts) == (1, 1, 0), page
        for href in links.links:
            if href.startswith(BASE_URL) or re.match(r"^[a-z]+:", href):
                assert not href.startswith("javascript:"), (page, href)
                continue  # canonical and external links
            target = resolve(folder, page, href)
            if target is not None:
                assert target.is_file(), f"{page.relative_to(folder)}: {href} -> {target} is missing"
                checked += 1
    assert checked > 400


def test_category_scheme_urls_of_the_feeds_resolve(cfg: Config, feed_store: Store) -> None:
    pipeline.build_feeds(cfg, feed_store)
    atom = (cfg.feeds.dir / "all.atom").read_text("utf-8")
    schemes = set(re.findall(r'scheme="([^"]+)"', atom))
    assert {BASE_URL + d for d in ("topics/", "regions/", "countries/", "projects/")} <= schemes
    for s in schemes:
        assert (cfg.feeds.dir / s.removeprefix(BASE_URL) / "index.html").is_file(), s


def test_list_pages_offer_feed_and_prefilled_email(cfg: Config, feed_store: Store) -> None:
    pipeline.build_feeds(cfg, feed_store)
    topic = (cfg.feeds.dir / "topics/trafficking/index.html").read_text("utf-8")
    assert 'href="../../topics/trafficking.atom"' in topic and 'href="../../subscribe?topics=trafficking"' in topic
    region = (cfg.feeds.dir / "regions/north-africa/index.html").read_text("utf-8")
    assert 'href="../../subscribe?regions=north-africa"' in region
    assert '<link rel="alternate" type="application/atom+xml"' in region
    release = (cfg.feeds.dir / "news/release-2.html").read_text("utf-8")
    assert 'href="../subscribe?topics=border-management&amp;topics=trafficking"' in release
    assert 'href="../topics/trafficking/"' in release and '.atom">Trafficking' not in release


def test_hostile_titles_are_escaped_everywhere(cfg: Config, feed_store: Store) -> None:
    pipeline.build_feeds(cfg, feed_store)
    for page in html_pages(cfg.feeds.dir):
        text = page.read_text("utf-8")
        assert "<script" not in text and "<img" not in text and "javascript:" not in text, page
    home = (cfg.feeds.dir / "index.html").read_text("utf-8")
    assert "Fish &amp; Chips &lt;script&gt;" in home and TRICKY_TITLE not in home
    assert "Labour &lt;Lab&gt; &amp; Co" in (cfg.feeds.dir / "projects/index.html").read_text("utf-8")


# ---------------------------------------------------------------- pagination


def test_lists_are_paginated_newest_first(cfg: Config, feed_store: Store) -> None:
    build_site(cfg, feed_store, page_size=2)
    folder = cfg.feeds.dir
    pages = [folder / "archive/index.html", folder / "archive/page/2/index.html", folder / "archive/page/3/index.html"]
    assert all(p.is_file() for p in pages) and not (folder / "archive/page/4").exists()
    order = [re.findall(r"news/(release-\d+)\.html", p.read_text("utf-8")) for p in pages]
    assert order == [["release-3", "release-2"], ["release-1", "release-4"], ["release-5"]]
    middle = pages[1].read_text("utf-8")
    assert 'rel="prev" href="../../../archive/"' in middle and 'rel="next" href="../../../archive/page/3/"' in middle
    assert "Page 2 of 3" in middle
    first, last = pages[0].read_text("utf-8"), pages[2].read_text("utf-8")
    assert 'rel="prev"' not in first and 'rel="next"' not in last
    # A shorter list removes the pages it no longer needs.
    with feed_store.session() as s:
        s.execute(delete(Release).where(Release.id.in_([4, 5])))
    summary = build_site(cfg, feed_store, page_size=2)
    assert written(cfg, summary.removed) == {"archive/page/3/index.html"}


def test_site_urls_lists_every_page_built(cfg: Config, feed_store: Store) -> None:
    build_site(cfg, feed_store, page_size=2)
    with feed_store.session() as s:
        urls = site_urls(cfg, load_catalog(s), page_size=2)
    built = {p.relative_to(cfg.feeds.dir).as_posix() for p in cfg.feeds.dir.rglob("index.html")}
    assert {u.removeprefix(BASE_URL) + "index.html" for u in urls} == built
    assert BASE_URL in urls and BASE_URL + "archive/page/3/" in urls


# ---------------------------------------------------------------- incremental


def test_second_build_writes_nothing(cfg: Config, feed_store: Store) -> None:
    first = build_site(cfg, feed_store)
    assert first.written and first.removed == []
    mtimes = {p: p.stat().st_mtime_ns for p in first.written}
    again = build_site(cfg, feed_store)
    assert again.written == [] and again.planned == 0 and again.unchanged == len(first.written)
    full = build_site(cfg, feed_store, full=True)
    assert full.written == [] and full.planned == len(first.written)
    assert {p: p.stat().st_mtime_ns for p in first.written} == mtimes


def test_new_release_rewrites_only_the_pages_it_appears_on(cfg: Config, feed_store: Store) -> None:
    build_site(cfg, feed_store)
    with feed_store.session() as s:
        s.add(
            Release(
                id=6,
                key="k6",
                guid="tag:news.example.org,2025-03-01:news/release-6",
                slug="release-6",
                source="test",
                published=dt.date(2025, 3, 1),
                title="New labour study",
                summary="A new study.",
                body="A new study.",
                url="",
                content_hash="h6",
                created_at=FEEDS_T0,
                updated_at=FEEDS_T0,
            )
        )
        s.flush()
        s.add(ReleaseTopic(release_id=6, topic="labour-migration", score=1.0, reasons=[]))
        s.add(ReleaseRegion(release_id=6, region="western-balkans", score=1.0, reasons=[]))
    summary = build_site(cfg, feed_store)
    assert written(cfg, summary.written) == {
        "index.html",
        "archive/index.html",
        "topics/labour-migration/index.html",
        "regions/western-balkans/index.html",
        "topics/index.html",  # the counts
        "regions/index.html",
        "sitemap.xml",  # the new page, and the lists' new dates
    }
    assert "New labour study" in (cfg.feeds.dir / "topics/labour-migration/index.html").read_text("utf-8")


def test_dry_run_writes_nothing(cfg: Config, feed_store: Store) -> None:
    summary = build_site(cfg, feed_store, dry_run=True)
    assert len(summary.written) == summary.planned == 20
    assert not [p for p in cfg.feeds.dir.rglob("*") if p.is_file()]


# ---------------------------------------------------------------- the subscribe form pre-filled


def test_subscribe_form_is_prefilled_from_the_query(cfg: Config, store: Store) -> None:
    from publisher.web import create_app

    topic, region = next(iter(cfg.taxonomy.topics)), next(iter(cfg.taxonomy.regions))
    client = create_app(cfg, store).test_client()
    page = client.get(f"/subscribe?topics={topic}&topics=no-such&regions={region}&frequency=monthly").text
    assert re.search(rf'value="{re.escape(topic)}" checked', page)
    assert re.search(rf'name="regions" value="{re.escape(region)}" checked', page)
    assert re.search(r'value="monthly" checked', page) and "no-such" not in page
    plain = client.get("/subscribe").text
    assert " checked" not in plain.replace('value="weekly" checked', "")


# ---------------------------------------------------------------- the digest archive


def test_digest_archive_lists_editions_and_links_the_fullest_variant(
    cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]
) -> None:
    from conftest import FIXED_NOW

    from publisher.web import create_app

    add_subscribers(
        [
            ("all@example.org", "monthly", [], []),
            ("capacity@example.org", "monthly", ["capacity-building"], []),
            ("weekly@example.org", "weekly", ["capacity-building"], []),
        ]
    )
    pipeline.build_editions(cfg, ingested, now=FIXED_NOW)
    with ingested.session() as s:
        editions = {e.period: e.id for e in s.scalars(select(Edition))}
        everything = s.scalars(select(Delivery).join(Subscriber).where(Subscriber.email == "all@example.org")).one()
        full_variant, full_items = everything.variant, len(everything.release_ids)
    build_site(cfg, ingested)
    page = (cfg.feeds.dir / "digests/index.html").read_text("utf-8")
    hrefs = re.findall(r'href="\.\./(digests/\d+/[^"]+)"', page)
    assert f"digests/{editions['2025-03']}/{full_variant}" in hrefs and len(hrefs) == len(editions) == 2
    assert f"{full_items} items" in page and "1 March 2025" in page and "31 March 2025" in page
    assert hrefs[0].startswith(f"digests/{editions['2025-W13']}/")  # newest period first
    client = create_app(cfg, ingested).test_client()
    for href in hrefs:
        assert client.get("/" + href).status_code == 200, href
    assert client.get("/digests/").status_code == 200


def test_digest_archive_shows_a_new_edition_in_the_same_run(
    cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]
) -> None:
    """The cycle builds feeds (and the site) before editions: the archive page must still show an edition built
    after it, without waiting for the next feeds build; only the archive page is rewritten."""
    from conftest import FIXED_NOW

    add_subscribers([("all@example.org", "monthly", [], [])])
    pipeline.build_feeds(cfg, ingested)
    archive = cfg.feeds.dir / "digests/index.html"
    before = archive.read_text("utf-8")
    assert "digests/" in before and not re.search(r'href="\.\./digests/\d+/', before)
    # Every served file but the archive (the manifests are dot-files and record the runs).
    mtimes = {
        p: p.stat().st_mtime_ns
        for p in cfg.feeds.dir.rglob("*")
        if p.is_file() and p != archive and not p.name.startswith(".")
    }
    summary = pipeline.run_cycle(cfg, ingested, now=FIXED_NOW)
    assert summary.editions is not None and summary.editions.created == 2  # the weekly one has no readers
    with ingested.session() as s:
        edition = s.scalars(select(Edition).where(Edition.frequency == "monthly")).one()
    assert f'href="../digests/{edition.id}/' in archive.read_text("utf-8")
    changed = {p.relative_to(cfg.feeds.dir).as_posix() for p, m in mtimes.items() if p.stat().st_mtime_ns != m}
    assert changed == {"sitemap.xml"}  # the archive's date in it
    # The next build sees the archive as current: nothing to render again.
    again = build_site(cfg, ingested)
    assert again.written == [] and again.planned == 0


def test_digest_build_refreshes_the_archive_only_where_a_site_was_built(
    cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]
) -> None:
    from conftest import FIXED_NOW

    add_subscribers([("all@example.org", "monthly", [], []), ("weekly@example.org", "weekly", [], [])])
    pipeline.build_editions(cfg, ingested, frequency="monthly", now=FIXED_NOW)
    assert not (cfg.feeds.dir / "digests/index.html").exists()  # no site here: the editions alone write none
    pipeline.build_feeds(cfg, ingested)
    pipeline.build_editions(cfg, ingested, frequency="weekly", now=FIXED_NOW)
    with ingested.session() as s:
        ids = list(s.scalars(select(Edition.id)))
    page = (cfg.feeds.dir / "digests/index.html").read_text("utf-8")
    assert len(ids) == 2 and all(f'href="../digests/{i}/' in page for i in ids)


# ---------------------------------------------------------------- the sitemap

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def read_sitemap(path: Path) -> dict[str, str | None]:
    root = ET.fromstring(path.read_bytes())
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    out: dict[str, str | None] = {}
    for url in root.findall("s:url", SITEMAP_NS):
        loc = url.findtext("s:loc", namespaces=SITEMAP_NS)
        assert loc is not None and loc not in out
        out[loc] = url.findtext("s:lastmod", namespaces=SITEMAP_NS)
    return out


def test_sitemap_lists_every_page_once_each_built_dated_by_its_content(cfg: Config, feed_store: Store) -> None:
    pipeline.build_feeds(cfg, feed_store)
    folder = cfg.feeds.dir
    urls = read_sitemap(folder / "sitemap.xml")
    with feed_store.session() as s:
        catalog = load_catalog(s)
        releases = {r.slug: r for r in s.scalars(select(Release))}
    pages = {f"{BASE_URL}news/{slug}.html" for slug in releases}
    assert set(urls) == set(site_urls(cfg, catalog)) | pages | {f"{BASE_URL}feeds/"}
    for url in urls:
        rel = url.removeprefix(BASE_URL)
        assert (folder / (rel + "index.html" if rel.endswith("/") or not rel else rel)).is_file(), url
    # A release page is dated by its release's own last change (publication, or the edit ingest saw).
    changed = {slug: release_times(r.id, r.published, r.updated_at, r.created_at)[1] for slug, r in releases.items()}
    for slug, when in changed.items():
        assert urls[f"{BASE_URL}news/{slug}.html"] == when.replace(microsecond=0).isoformat()
    newest = max(changed.values()).replace(microsecond=0).isoformat()
    assert urls[BASE_URL] == urls[f"{BASE_URL}archive/"] == newest  # not the time of the build
    assert urls[f"{BASE_URL}digests/"] is None  # no edition yet: no date to claim


def test_sitemap_is_rewritten_only_when_a_date_or_page_changes(cfg: Config, feed_store: Store) -> None:
    build_site(cfg, feed_store)
    sitemap = cfg.feeds.dir / "sitemap.xml"
    before, mtime = read_sitemap(sitemap), sitemap.stat().st_mtime_ns
    assert build_site(cfg, feed_store).written == [] and sitemap.stat().st_mtime_ns == mtime
    edited = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC)
    with feed_store.session() as s:
        release = s.scalars(select(Release).where(Release.slug == "release-2")).one()
        release.updated_at, release.content_hash = edited, "edited"
    build_site(cfg, feed_store)
    after = read_sitemap(sitemap)
    moved = {url for url in after if after[url] != before[url]}
    assert after[f"{BASE_URL}news/release-2.html"] == "2025-06-01T09:30:00+00:00"
    assert {BASE_URL, f"{BASE_URL}archive/", f"{BASE_URL}news/release-2.html"} <= moved
    assert f"{BASE_URL}news/release-1.html" not in moved


def test_an_operators_robots_txt_names_the_sitemap_once(cfg: Config, feed_store: Store) -> None:
    robots = cfg.feeds.dir / "robots.txt"
    robots.parent.mkdir(parents=True)
    robots.write_text("User-agent: *\nDisallow: /subscribe", "utf-8")
    build_site(cfg, feed_store)
    build_site(cfg, feed_store, full=True)
    assert robots.read_text("utf-8") == f"User-agent: *\nDisallow: /subscribe\nSitemap: {BASE_URL}sitemap.xml\n"


def test_a_site_too_large_for_one_sitemap_gets_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.site import sitemap

    monkeypatch.setattr(sitemap, "MAX_URLS", 2)
    when = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    entries = [(f"{BASE_URL}p{i}", when + dt.timedelta(days=i) if i != 4 else None) for i in range(5)]
    files = sitemap.sitemap_files(entries, BASE_URL)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [
        (x.findtext("s:loc", namespaces=SITEMAP_NS), x.findtext("s:lastmod", namespaces=SITEMAP_NS))
        for x in index.findall("s:sitemap", SITEMAP_NS)
    ]
    assert parts == [
        (f"{BASE_URL}sitemap-1.xml", "2025-03-02T12:00:00+00:00"),
        (f"{BASE_URL}sitemap-2.xml", "2025-03-04T12:00:00+00:00"),
        (f"{BASE_URL}sitemap-3.xml", None),
    ]
    listed = [loc for name in parts for loc in _locs(files[str(name[0]).removeprefix(BASE_URL)])]
    assert listed == [u for u, _ in entries]


def _locs(data: bytes) -> list[str]:
    return [str(x.text) for x in ET.fromstring(data).iterfind("s:url/s:loc", SITEMAP_NS)]
