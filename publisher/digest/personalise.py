"""Per-recipient slots: the placeholders a rendered variant carries and filling them in."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from publisher.digest.model import RenderedDigest

# Placeholders survive Jinja2 escaping and premailer untouched (only [a-z_]); filled in per recipient.
PLACEHOLDERS = {
    "greeting": "__pub_greeting__",
    "manage": "__pub_manage__",
    "unsubscribe": "__pub_unsubscribe__",
    "feed": "__pub_feed__",
}
PLACEHOLDER_RE = re.compile(r"__pub_(greeting|manage|unsubscribe|feed)__")


def greeting(name: str) -> str:
    return f"Hello {name}," if name.strip() else "Hello,"


def personal_values(name: str, links: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(HTML-escaped, plain) values for the placeholders of one recipient. Links without "feed" (generic ones)
    show the manage link there: never another subscriber's private feed."""
    values = {
        "greeting": greeting(name),
        "manage": links["manage"],
        "unsubscribe": links["unsubscribe"],
        "feed": links.get("feed", links["manage"]),
    }
    return {k: html.escape(v, quote=True) for k, v in values.items()}, values


def personalise(rendered: RenderedDigest, name: str, links: Mapping[str, str]) -> tuple[str, str]:
    """(html, text) for one recipient: placeholders replaced in ONE pass (values cannot inject placeholders)."""
    escaped, values = personal_values(name, links)
    html_out = PLACEHOLDER_RE.sub(lambda m: escaped[m[1]], rendered.html)
    text_out = PLACEHOLDER_RE.sub(lambda m: values[m[1]], rendered.text)
    return html_out, text_out
