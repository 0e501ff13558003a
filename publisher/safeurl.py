"""Which links may be shown live: absolute http(s) URLs only, checked at the source boundary and at every output."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL = 1000  # the store's URL columns
SCHEMES = frozenset({"http", "https"})
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")  # whitespace and control characters inside a URL


def is_safe_url(url: str) -> bool:
    """An absolute http(s) URL with a host, without whitespace, control characters or credentials.

    Escaping a `javascript:` or `data:` URL does not make it safe in an href, so outputs check this too.
    """
    if not url or len(url) > MAX_URL or _UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname) and "@" not in parts.netloc


def safe_href(url: str) -> str:
    """`url` when it is safe to link to, else "" (the caller shows text, or its own page, instead)."""
    return url if is_safe_url(url) else ""
