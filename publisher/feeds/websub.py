"""WebSub publishing: after a build, tell the configured hub which feed URLs changed (one ping per feed)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlencode

from publisher import __version__

log = logging.getLogger(__name__)

TIMEOUT = 10.0


def ping_hub(hub: str, feed_urls: Iterable[str], timeout: float = TIMEOUT) -> tuple[list[str], list[str]]:
    """POST `hub.mode=publish&hub.url=<feed>` for each URL; return (pinged, errors).

    One request per feed, the form every hub accepts. A hub that is down or refuses costs only the push: the files
    are written and readers still poll, so failures are logged and reported, never raised.
    """
    pinged: list[str] = []
    errors: list[str] = []
    for url in feed_urls:
        request = urllib.request.Request(
            hub,
            data=urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": f"publisher/{__version__}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            errors.append(f"{url}: hub answered {exc.code} {exc.reason}")
        except (urllib.error.URLError, OSError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
        else:
            pinged.append(url)
    for err in errors:
        log.warning("websub ping to %s failed: %s", hub, err)
    return pinged, errors
