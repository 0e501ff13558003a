"""The link policy at the source boundary: only absolute http(s) URLs of bounded length enter the store."""

from __future__ import annotations

import logging

from publisher.safeurl import MAX_URL, is_safe_url

log = logging.getLogger("publisher.sources")


def source_url(value: object, what: str, where: str) -> str:
    """`value` as a link to keep, or "" when it is missing or not an absolute http(s) URL.

    `what` names the field ("url", "projects[3].url"), `where` the place (`file:line`) for the warning that
    says a link was dropped: a `javascript:`, `data:`, relative or malformed link must never reach a feed,
    page or mail as a live link, but the record itself is good and is kept. Over `MAX_URL` characters the
    record is invalid (ValueError): cutting a URL would store a link that goes somewhere else.
    """
    url = str(value or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise ValueError(f"{what}: longer than {MAX_URL} characters")
    if not is_safe_url(url):
        log.warning("%s: %s dropped: only absolute http(s) URLs are kept, got %r", where, what, url[:80])
        return ""
    return url
