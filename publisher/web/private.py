"""Private feeds on the web: GET /feeds/private/<token>.<format> and the preferences page's reset button."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for

from publisher import pipeline
from publisher.config import Config
from publisher.store import Store

# Types and errors only: every action goes through publisher.pipeline.
from publisher.subscribers import TokenError
from publisher.web.static import CONTENT_TYPES, JSON_FEED_TYPE

log = logging.getLogger(__name__)

# A personal URL: any cache may keep it for this reader only, and search engines must never list it. The
# app's security headers add Referrer-Policy: no-referrer, so the token never leaves in a Referer either.
PRIVATE_HEADERS = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex, nofollow, noarchive"}
NOT_FOUND = "There is no such page or feed."  # the very words of any other 404: nothing says a link once worked


def private_feeds(cfg: Config) -> Blueprint:
    """The blueprint; `create_app` registers it beside its own routes (it reads the store the app holds)."""
    bp = Blueprint("private_feeds", __name__)

    def store() -> Store:
        from flask import current_app

        s: Store = current_app.extensions["publisher.store"]
        return s

    @bp.app_context_processor
    def feed_links() -> dict[str, Any]:
        # templates/web/preferences.html lists the subscriber's private feed in every served format.
        return {"private_feed_links": lambda subscriber: pipeline.private_feed_links(cfg, subscriber)}

    @bp.get("/feeds/private/<name>")
    def private_feed(name: str) -> Response:
        token, _, fmt = name.rpartition(".")
        if not token or fmt not in cfg.feeds.formats:
            abort(404, description=NOT_FOUND)
        try:
            body = pipeline.private_feed(cfg, token, fmt, store())
        except TokenError:
            # Forged, another link's token, reset, unsubscribed, not confirmed, purged: one answer for all.
            abort(404, description=NOT_FOUND)
        ctype = JSON_FEED_TYPE if fmt == "json" else CONTENT_TYPES[f".{fmt}"]  # as the public feeds are served
        resp = Response(body, content_type=ctype, headers=PRIVATE_HEADERS)
        resp.set_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
        # If-None-Match with the current ETag: 304 without the body (HEAD is answered the same way).
        resp.make_conditional(request)  # changes resp in place
        return resp

    @bp.post("/preferences/<token>/private-feed")
    def reset_private_feed(token: str) -> Response:
        from publisher.web.app import _token_error, check_csrf  # deferred: app imports this module

        check_csrf()
        try:
            pipeline.reset_private_feed(cfg, token, store())
        except TokenError as exc:
            return _token_error(exc)
        # Back to the page (POST-redirect-GET: a reload does not reset again), which shows the new URL.
        target = url_for("preferences", token=token, feed="new") + "#private-feed"
        return redirect(target, code=303)  # type: ignore[return-value]

    return bp
