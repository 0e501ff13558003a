"""A person in headless Chromium: subscribe → confirm (link from the outbox) → preferences → unsubscribe."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import axe_violations, describe_violations
from conftest import mailed_link

from publisher import subscribers as subs
from publisher.config import Config
from publisher.models import Frequency, SubscriberStatus
from publisher.store import Store

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def local(web_server: str, url: str) -> str:
    """A mailed or linked absolute URL (site.base_url) as the same path on the test server."""
    return web_server + urlsplit(url).path


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe_violations(violations)}"


def test_subscribe_confirm_preferences_unsubscribe_in_chromium(
    chromium: Any, cfg: Config, store: Store, web_server: str
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)  # e.g. CSP violations
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(f"{web_server}/subscribe")
        assert_accessible(page)
        page.fill("#email", "Grace@Example.org")
        page.fill("#name", "Grace")
        page.check("input[name=topics][value=border-management]")
        page.check("input[name=regions][value=western-balkans]")
        page.check("input[name=frequency][value=monthly]")
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Check your inbox"
        assert_accessible(page)

        page.goto(local(web_server, mailed_link(cfg, "confirm/")))
        assert page.locator("h1").inner_text() == "Confirm your subscription"
        assert_accessible(page)
        page.click("text=Yes, subscribe me")
        assert page.locator("h1").inner_text() == "You are subscribed"
        assert_accessible(page)
        with store.session() as s:
            sub = subs.get_subscriber(s, "grace@example.org")
            assert sub.status is SubscriberStatus.ACTIVE
            assert (sub.topics, sub.regions, sub.frequency) == (
                ["border-management"],
                ["western-balkans"],
                Frequency.MONTHLY,
            )

        page.goto(local(web_server, page.get_attribute("#manage-link", "href") or ""))
        assert page.is_checked("input[name=topics][value=border-management]")
        assert page.is_checked("input[name=frequency][value=monthly]")
        assert_accessible(page)
        page.uncheck("input[name=topics][value=border-management]")
        page.check("input[name=topics][value=labour-migration]")
        page.check("input[name=frequency][value=weekly]")
        page.click("text=Save preferences")
        assert page.locator("#saved").is_visible()
        assert_accessible(page)
        assert page.is_checked("input[name=topics][value=labour-migration]")
        with store.session() as s:
            sub = subs.get_subscriber(s, "grace@example.org")
            assert (sub.topics, sub.frequency) == (["labour-migration"], Frequency.WEEKLY)

        # The private feed: a labelled, copyable address; the reset button gives a new one on the same page.
        old_feed = page.input_value("#private-feed-atom")
        assert old_feed.startswith(cfg.site.url("feeds/private/")) and page.is_visible("label[for=private-feed-atom]")
        page.click("text=Reset private feed link")
        assert page.locator("#feed-reset").is_visible()
        assert page.input_value("#private-feed-atom") not in ("", old_feed)
        assert_accessible(page)

        page.goto(local(web_server, page.get_attribute("#unsubscribe-link", "href") or ""))
        assert_accessible(page)
        page.click("button:text('Unsubscribe')")
        assert page.locator("h1").inner_text() == "You are unsubscribed"
        assert_accessible(page)
        with store.session() as s:
            assert subs.get_subscriber(s, "grace@example.org").status is SubscriberStatus.UNSUBSCRIBED
        assert not problems, problems
    finally:
        context.close()
