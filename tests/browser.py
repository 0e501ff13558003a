"""Browser test helpers: axe-core accessibility checks run inside the page of a Playwright (Chromium) test.

axe-core comes from the PyPI package axe-playwright-python, which ships axe.min.js; only the script is used,
injected through Playwright's evaluate (a DevTools call, so the pages' strict Content-Security-Policy, which
forbids every script, does not block it and needs no loosening for tests).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

# WCAG 2.x A and AA plus axe's best practices: what a person with a screen reader or low vision runs into.
DEFAULT_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")


@functools.cache
def axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(
    page: Any, *, tags: tuple[str, ...] = DEFAULT_TAGS, disable: tuple[str, ...] = (), context: Any = None
) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; its violations (each: id, impact, help, nodes with targets).

    `disable` names rules to skip (say why at the call site); `context` limits the check (a CSS selector)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "rules": {rule: {"enabled": False} for rule in disable},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("([context, options]) => axe.run(context || document, options)", [context, options])
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violated rule and node, for assertion messages."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: {node['html'][:160]}")
    return "\n".join(lines)
