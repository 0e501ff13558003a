"""The Flask app: subscribe / confirm / preferences / unsubscribe pages, RFC 8058 one-click, digest archive, feeds."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import jinja2
from flask import Flask, Request, Response, abort, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from publisher import pipeline
from publisher.config import Config
from publisher.errors import DeliveryError, NotFoundError, PublisherError
from publisher.models import Frequency, SubscriberStatus
from publisher.store import Store, open_store

# Types and errors only: every action goes through publisher.pipeline.
from publisher.subscribers import InvalidSubscriberError, StoreLimiter, TokenError, TokenPurpose
from publisher.web.private import private_feeds
from publisher.web.static import FeedFiles, serve_path

log = logging.getLogger(__name__)

# Pages use only our stylesheet; no scripts anywhere. Links carry tokens, so never send a Referer.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The digest archive is mail HTML: inlined styles and remote images, still no scripts.
ARCHIVE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; frame-ancestors 'none'; base-uri 'none'"
CSRF_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
ONE_CLICK_BODY = "One-Click"


class _SessionInterface(SecureCookieSessionInterface):
    """Secure cookies over HTTPS only, so the same app works on plain http://127.0.0.1 in development."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def _csrf(app: Flask) -> URLSafeTimedSerializer:
    ser: URLSafeTimedSerializer = app.extensions["publisher.csrf"]
    return ser


def csrf_token(action: str | None = None) -> str:
    """A signed token bound to the form's target path (default: this page) and to a random nonce in the
    visitor's session cookie, so a token is good for one form of one visitor only."""
    from flask import current_app

    nonce = session.get("csrf")
    if not nonce:
        nonce = session["csrf"] = secrets.token_urlsafe(16)
    return _csrf(current_app).dumps([action or request.path, nonce])


def check_csrf() -> None:
    from flask import current_app

    token = request.form.get(CSRF_FIELD, "")
    try:
        path, nonce = _csrf(current_app).loads(token, max_age=CSRF_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        abort(400, description="This form has expired or was not sent from our page. Please reload it and try again.")
    if path != request.path or not nonce or nonce != session.get("csrf"):
        abort(400, description="This form has expired or was not sent from our page. Please reload it and try again.")


def create_app(cfg: Config, store: Store | None = None) -> Flask:
    """The web app for `publisher serve`: subscriber pages plus the feed folder served at the site root.

    Pass `store` to share one (tests, `publisher run`); otherwise the configured store is opened and migrated.
    """
    app = Flask("publisher.web", static_folder=None, template_folder=None)
    app.config.update(
        SECRET_KEY=cfg.secret_key,
        SESSION_COOKIE_NAME="publisher_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=64 * 1024,  # forms are tiny; refuse floods early
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.session_interface = _SessionInterface()
    # Operator templates first, then the bundled ones; Flask autoescapes every .html template.
    app.jinja_loader = jinja2.FileSystemLoader([str(d) for d in cfg.template_dirs])
    app.jinja_env.undefined = jinja2.StrictUndefined
    app.extensions["publisher.cfg"] = cfg
    app.extensions["publisher.store"] = store or open_store(cfg)
    # Counted in the store: the limits hold across `serve` processes and restarts.
    app.extensions["publisher.limiter"] = StoreLimiter(app.extensions["publisher.store"])
    app.extensions["publisher.csrf"] = URLSafeTimedSerializer(cfg.secret_key, salt="publisher.web.csrf")
    app.extensions["publisher.feeds"] = FeedFiles(cfg.feeds.dir)
    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=CSRF_FIELD, site=cfg.site)
    _register_routes(app, cfg)
    app.register_blueprint(private_feeds(cfg))
    return app


def _store(app: Flask) -> Store:
    s: Store = app.extensions["publisher.store"]
    return s


def _taxonomy(cfg: Config) -> dict[str, Any]:
    return {
        "topics": [(slug, t.name) for slug, t in cfg.taxonomy.topics.items()],
        "regions": [(slug, r.name) for slug, r in cfg.taxonomy.regions.items()],
        "frequencies": [f.value for f in Frequency],
    }


def _page(template: str, status: int = 200, **context: Any) -> Response:
    from flask import current_app

    cfg: Config = current_app.extensions["publisher.cfg"]
    body = render_template(f"web/{template}", **_taxonomy(cfg), **context)
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _form_lists(req: Request) -> dict[str, Any]:
    return {
        "name": req.form.get("name", ""),
        "topics": req.form.getlist("topics"),
        "regions": req.form.getlist("regions"),
        "frequency": req.form.get("frequency") or None,
    }


def _token_error(exc: TokenError, token: str = "") -> Response:
    return _page("token_error.html", 400, error=exc, token=token)


def _register_routes(app: Flask, cfg: Config) -> None:
    limiter: StoreLimiter = app.extensions["publisher.limiter"]
    feeds: FeedFiles = app.extensions["publisher.feeds"]

    @app.after_request
    def security_headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        # Subscriber pages are personal: never cache them anywhere.
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        resp = _page("error.html", exc.code or 500, code=exc.code, title=exc.name, message=exc.description)
        if exc.code == 405 and (allowed := exc.get_response().headers.get("Allow")):
            resp.headers["Allow"] = allowed
        return resp

    @app.errorhandler(PublisherError)
    def publisher_error(exc: PublisherError) -> Response:
        log.error("web: %s: %s", type(exc).__name__, exc)
        return _page("error.html", 500, code=500, title="Something went wrong", message="Please try again later.")

    @app.get("/_/style.css")
    def stylesheet() -> Response:
        body = render_template("web/style.css")
        return Response(body, content_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})

    # ---------------------------------------------------------------- subscribe

    @app.route("/subscribe", methods=["GET", "POST"])
    def subscribe() -> Response:
        if request.method == "GET":
            # The site's "get it by email" links pre-fill the form (`?topics=x&regions=y`); only known choices and
            # frequencies are taken, the rest is dropped, and nothing is stored until the form is posted.
            freq = request.args.get("frequency", "")
            return _page(
                "subscribe.html",
                form={
                    "email": "",
                    "name": "",
                    "topics": [t for t in request.args.getlist("topics") if t in cfg.taxonomy.topics],
                    "regions": [r for r in request.args.getlist("regions") if r in cfg.taxonomy.regions],
                    "frequency": freq if freq in {f.value for f in Frequency} else Frequency.WEEKLY.value,
                },
                errors={},
            )
        check_csrf()
        if not limiter.allow_client(request.remote_addr or ""):
            log.warning("web: subscribe limit reached for client %s", request.remote_addr)
            resp = _page(
                "error.html",
                429,
                code=429,
                title="Too many requests",
                message="Too many subscription requests came from your network. Please try again later.",
            )
            resp.headers["Retry-After"] = "600"
            return resp
        form = {"email": request.form.get("email", ""), **_form_lists(request)}
        if request.form.get("website", ""):
            # Only a bot fills the hidden field: answer as if it worked, store and send nothing.
            log.info("web: subscribe honeypot filled from %s; ignored", request.remote_addr)
            return _page("check_inbox.html", email=form["email"])
        try:
            data = pipeline.check_subscriber_form(
                cfg,
                form["email"],
                name=form["name"],
                topics=form["topics"],
                regions=form["regions"],
                frequency=form["frequency"],
            )
        except InvalidSubscriberError as exc:
            return _page("subscribe.html", 400, form=form, errors=exc.errors)
        try:
            pipeline.request_subscription(cfg, data, limiter=limiter, store=_store(app))
        except DeliveryError as exc:
            log.error("web: cannot send subscription mail to %s: %s", data.email, exc)
            return _page(
                "error.html",
                503,
                code=503,
                title="Mail could not be sent",
                message="We could not send the confirmation e-mail right now. Please try again later.",
            )
        # Same page whether the address was new, pending, active or rate-limited: nothing leaks.
        return _page("check_inbox.html", email=data.email)

    # ---------------------------------------------------------------- confirm

    @app.route("/confirm/<token>", methods=["GET", "POST"])
    def confirm(token: str) -> Response:
        try:
            sub = pipeline.subscriber_for_token(cfg, token, TokenPurpose.CONFIRM, store=_store(app))
            assert sub is not None
            if request.method == "GET":
                # A button, not a GET side effect: mail scanners follow links and must not confirm for anyone.
                return _page(
                    "confirm.html",
                    subscriber=sub,
                    done=sub.status is SubscriberStatus.ACTIVE,
                    links=pipeline.subscriber_links_for(cfg, sub),
                )
            check_csrf()
            sub, _changed = pipeline.confirm_subscription(cfg, token, store=_store(app))
        except TokenError as exc:
            return _token_error(exc, token)
        return _page("confirm.html", subscriber=sub, done=True, links=pipeline.subscriber_links_for(cfg, sub))

    @app.post("/confirm/resend")
    def confirm_resend() -> Response:
        check_csrf()
        token = request.form.get("token", "")
        try:
            pipeline.resend_confirmation(cfg, token, limiter=limiter, store=_store(app))
        except TokenError as exc:
            return _token_error(exc)
        except DeliveryError as exc:
            log.error("web: cannot re-send confirmation: %s", exc)
            return _page(
                "error.html",
                503,
                code=503,
                title="Mail could not be sent",
                message="We could not send the e-mail right now. Please try again later.",
            )
        return _page("check_inbox.html", email="")

    # ---------------------------------------------------------------- preferences

    @app.route("/preferences/<token>", methods=["GET", "POST"])
    def preferences(token: str) -> Response:
        store = _store(app)
        try:
            sub = pipeline.subscriber_for_token(cfg, token, TokenPurpose.MANAGE, store=store)
            assert sub is not None
            form: dict[str, Any] = {
                "name": sub.name,
                "topics": list(sub.topics),
                "regions": list(sub.regions),
                "frequency": sub.frequency.value,
            }
            if request.method == "GET":
                return _page(
                    "preferences.html",
                    subscriber=sub,
                    form=form,
                    errors={},
                    saved=False,
                    links=pipeline.subscriber_links_for(cfg, sub),
                )
            check_csrf()
            form = _form_lists(request)
            try:
                sub, _changed = pipeline.save_preferences(cfg, token, store=store, **form)
            except InvalidSubscriberError as exc:
                return _page(
                    "preferences.html",
                    400,
                    subscriber=sub,
                    form=form,
                    errors=exc.errors,
                    saved=False,
                    links=pipeline.subscriber_links_for(cfg, sub),
                )
        except TokenError as exc:
            return _token_error(exc)
        form = {
            "name": sub.name,
            "topics": list(sub.topics),
            "regions": list(sub.regions),
            "frequency": sub.frequency.value,
        }
        return _page(
            "preferences.html",
            subscriber=sub,
            form=form,
            errors={},
            saved=True,
            links=pipeline.subscriber_links_for(cfg, sub),
        )

    # ---------------------------------------------------------------- unsubscribe

    @app.route("/unsubscribe/<token>", methods=["GET", "POST"])
    def unsubscribe(token: str) -> Response:
        store = _store(app)
        try:
            sub = pipeline.subscriber_for_token(cfg, token, TokenPurpose.UNSUBSCRIBE, store=store)
            if request.method == "GET":
                gone = sub is None or sub.status is SubscriberStatus.UNSUBSCRIBED
                return _page("unsubscribe.html", subscriber=sub, done=gone)
            check_csrf()
            pipeline.unsubscribe_by_token(cfg, token, store=store)
        except TokenError as exc:
            return _token_error(exc)
        return _page("unsubscribe.html", subscriber=sub, done=True)

    @app.post("/one-click/<token>")
    def one_click(token: str) -> Response:
        # RFC 8058: the mailbox provider POSTs `List-Unsubscribe=One-Click`; no cookies, no CSRF token.
        if request.form.get("List-Unsubscribe") != ONE_CLICK_BODY:
            return Response(
                "expected the form body List-Unsubscribe=One-Click (RFC 8058)\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        try:
            pipeline.unsubscribe_by_token(cfg, token, store=_store(app))
        except TokenError:
            return Response("invalid unsubscribe link\n", status=400, content_type="text/plain; charset=utf-8")
        return Response("unsubscribed\n", status=200, content_type="text/plain; charset=utf-8")

    @app.get("/one-click/<token>")
    def one_click_page(token: str) -> Response:
        # A person who opens the List-Unsubscribe URL in a browser gets the normal page (GET never unsubscribes).
        from flask import redirect

        return redirect(url_for("unsubscribe", token=token), code=303)  # type: ignore[return-value]

    # ---------------------------------------------------------------- digest archive

    @app.get("/digests/<int:edition_id>/<variant>")
    def digest_archive(edition_id: int, variant: str) -> Response:
        page = getattr(pipeline, "digest_archive_page", None)
        if page is None:
            abort(404, description="The digest archive is not available.")
        try:
            html = page(cfg, edition_id, variant, _store(app))
        except NotFoundError:
            abort(404, description="There is no such digest.")
        return Response(
            html,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": ARCHIVE_CSP, "Cache-Control": "public, max-age=3600"},
        )

    # ---------------------------------------------------------------- the feed folder at the site root

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def feed_file(path: str) -> Response:
        resp = serve_path(request, feeds, path)
        if resp is None:
            if not path:
                # A fresh install: say what to do instead of a bare 404.
                return _page(
                    "error.html",
                    404,
                    code=404,
                    title="No feeds yet",
                    message="No feeds have been built yet: run `publisher feeds build` (or `publisher run --once`).",
                )
            abort(404, description="There is no such page or feed.")
        return resp
