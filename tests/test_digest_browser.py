"""The digest HTML in real headless Chromium: fits 600 px and a 375 px phone without horizontal scrolling."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import axe_violations, describe_violations

from publisher.config import Config
from publisher.digest import DigestItem, RelatedProject, parse_period, personalise, render_digest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            java_script_enabled=True,
            offline=True,
        )
        yield context
        context.close()


def hard_items() -> list[DigestItem]:
    """Content that breaks naive layouts: very long words and URLs, many labels, many projects."""
    long_word = "Grenzschutzkapazitätsaufbauprogramm" * 3
    projects = tuple(
        RelatedProject(
            f"Project {i} with a rather long official name ({long_word[:30]})",
            "2019–2025",
            ("Kyrgyzstan", "Tajikistan", "Uzbekistan"),
            ("Names BOMCA 10", "Both about border management in Kyrgyzstan"),
            f"https://example.org/projects/{'x' * 120}/{i}",
        )
        for i in range(3)
    )
    return [
        DigestItem(
            i,
            dt.date(2025, 3, 10 + i),
            f"Release {i}: {long_word}",
            f"Summary {i}. " * 30 + long_word,
            f"https://news.example.org/news/{'very-long-slug-' * 10}{i}?utm=1&x=2",
            ("border-management", "labour-migration"),
            ("central-asia", "europe", "western-balkans"),
            ("Kyrgyzstan", "Tajikistan", "Uzbekistan", "Kazakhstan", "Turkmenistan"),
            projects,
        )
        for i in range(6)
    ]


@pytest.mark.parametrize("width", [600, 375])
def test_digest_fits_the_width_without_horizontal_scrolling(
    browser: Any, cfg: Config, tmp_path: Path, width: int
) -> None:
    rendered = render_digest(cfg, parse_period("2025-03"), hard_items(), view_url="https://news.example.org/v/1")
    html, _text = personalise(
        rendered,
        "Reader",
        {"manage": "https://news.example.org/m/" + "t" * 150, "unsubscribe": "https://news.example.org/u/" + "t" * 150},
    )
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        page.set_content(html, wait_until="load")
        shot = tmp_path / f"digest-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000  # a real rendering, not a blank page
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        container = page.locator("table.container").bounding_box()
        assert container is not None and container["width"] <= min(width, 600) + 0.5
        # The first headline is visible and inside the viewport horizontally.
        title = page.locator("p.item-title").first.bounding_box()
        assert title is not None and title["x"] >= 0 and title["x"] + title["width"] <= width
        # The footer with the legally required address renders.
        assert cfg.site.postal_address in page.locator("td.footer").inner_text()
    finally:
        page.close()


def test_phone_width_uses_the_narrow_padding(browser: Any, cfg: Config) -> None:
    rendered = render_digest(cfg, parse_period("2025-03"), hard_items())
    page = browser.new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    try:
        page.set_content(rendered.html, wait_until="load")
        padding = page.evaluate("getComputedStyle(document.querySelector('td.item')).paddingLeft")
        assert padding == "14px"  # the @media rule survived premailer and wins over the inlined 24px
    finally:
        page.close()


def test_digest_has_no_accessibility_violations(browser: Any, cfg: Config) -> None:
    rendered = render_digest(cfg, parse_period("2025-03"), hard_items(), view_url="https://news.example.org/v/1")
    html, _text = personalise(
        rendered, "Reader", {"manage": "https://news.example.org/m/t", "unsubscribe": "https://news.example.org/u/t"}
    )
    page = browser.new_page()
    try:
        page.set_content(html, wait_until="load")
        # A mail body is shown inside the mail client's own page, which owns the landmarks (main, regions):
        # those two rules judge a whole web page, not a message.
        violations = axe_violations(page, disable=("landmark-one-main", "region"))
        assert not violations, describe_violations(violations)
    finally:
        page.close()
