"""The static site in real headless Chromium: no horizontal scrolling at 320, 375 and 1280 px, axe-core clean."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import axe_violations, describe_violations
from conftest import FEEDS_T0

from publisher import pipeline
from publisher.config import Config
from publisher.models import Release, ReleaseTopic
from publisher.store import Store

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PAGES = [
    "index.html",
    "archive/index.html",
    "topics/index.html",
    "topics/border-management/index.html",
    "countries/at/index.html",
    "projects/index.html",
    "projects/labour-lab/index.html",
    "digests/index.html",
    "feeds/index.html",
    "news/release-2.html",
    "news/release-6.html",
]
LONG_WORD = "Grenzschutzkapazitätsaufbauprogramm" * 4


@pytest.fixture
def site(cfg: Config, feed_store: Store) -> Path:
    """The feed sample plus a release whose headline and body are one unbreakable word and a long URL."""
    with feed_store.session() as s:
        s.add(
            Release(
                id=6,
                key="k6",
                guid="tag:news.example.org,2025-03-01:news/release-6",
                slug="release-6",
                source="test",
                published=dt.date(2025, 3, 1),
                title=LONG_WORD,
                summary=f"See https://www.example.org/{'x' * 200}/report.pdf",
                body=f"{LONG_WORD}\n\nhttps://www.example.org/{'y' * 200}",
                url=f"https://www.example.org/{'z' * 200}",
                content_hash="h6",
                created_at=FEEDS_T0,
                updated_at=FEEDS_T0,
            )
        )
        s.flush()
        s.add(ReleaseTopic(release_id=6, topic="border-management", score=1.0, reasons=[]))
    pipeline.build_feeds(cfg, feed_store)
    return cfg.feeds.dir


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS, offline=True
        )
        yield context
        context.close()


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_no_page_scrolls_sideways(browser: Any, site: Path, width: int) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        wide = []
        for name in PAGES:
            page.goto((site / name).as_uri(), wait_until="load")
            # The shared stylesheet loaded (a page without it would "pass" for the wrong reason).
            assert page.evaluate("getComputedStyle(document.body).overflowWrap") == "anywhere", name
            if page.evaluate("document.scrollingElement.scrollWidth") > width:
                wide.append(name)
        assert wide == []
    finally:
        page.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_pages_are_axe_clean(browser: Any, site: Path, width: int) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        problems = {}
        for name in PAGES:
            page.goto((site / name).as_uri(), wait_until="load")
            assert page.locator("main").count() == 1 and page.locator("h1").count() == 1, name
            violations = axe_violations(page)
            if violations:
                problems[name] = describe_violations(violations)
        assert problems == {}
    finally:
        page.close()
