"""The web app over real HTTP on 127.0.0.1: subscriber pages, CSRF, RFC 8058 one-click, digest archive."""

from __future__ import annotations

import datetime as dt
import http.client
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import mailed_link, outbox_mails

from publisher import subscribers as subs
from publisher.config import Config
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow
from publisher.store import Store


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def csrf(self) -> str:
        m = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert m, "no CSRF field on the page"
        return m.group(1)


@dataclass
class Browser:
    """A minimal HTTP client with a cookie jar (one cookie name → value), no redirects followed."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        cookies: bool = True,
    ) -> Reply:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        hdrs = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies and self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, urlsplit(path).path if path.startswith("http") else path, body=body, headers=hdrs)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        for raw in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return reply

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict[str, Any], **kw: Any) -> Reply:
        return self.request("POST", path, form=form, **kw)

    def submit(self, path: str, fields: dict[str, Any] | None = None) -> Reply:
        """GET the page, then POST its form back with the CSRF token, like a person would."""
        page = self.get(path)
        assert page.status == 200, page.text
        return self.post(path, {"csrf_token": page.csrf(), **(fields or {})})


def _insert(
    store: Store, email: str = "ada@example.org", status: SubscriberStatus = SubscriberStatus.ACTIVE, **kw: Any
) -> Subscriber:
    now = utcnow()
    with store.session() as s:
        sub = Subscriber(
            email=email,
            name=kw.get("name", ""),
            status=status,
            frequency=Frequency.WEEKLY,
            topics=kw.get("topics", []),
            regions=[],
            created_at=now,
            updated_at=now,
            token_version=1,
        )
        s.add(sub)
        s.flush()
        return sub


def _row(store: Store, email: str) -> Subscriber:
    with store.session() as s:
        sub = subs.find_subscriber(s, email)
        assert sub is not None
        return sub


# ---------------------------------------------------------------- the whole flow


def test_subscribe_confirm_preferences_unsubscribe(cfg: Config, store: Store, web_server: str) -> None:
    b = Browser(web_server)
    page = b.get("/subscribe")
    assert page.status == 200
    for slug in ("border-management", "west-africa", "monthly"):
        assert f'value="{slug}"' in page.text  # choices come from the taxonomy
    done = b.post(
        "/subscribe",
        {
            "csrf_token": page.csrf(),
            "email": "Ada@Example.org",
            "name": "Ada",
            "topics": ["border-management", "research-data"],
            "frequency": "monthly",
        },
    )
    assert done.status == 200 and "Check your inbox" in done.text
    assert _row(store, "ada@example.org").status is SubscriberStatus.PENDING

    confirm = mailed_link(cfg, "confirm/")
    page = b.get(confirm)
    assert page.status == 200 and "Yes, subscribe me" in page.text
    assert _row(store, "ada@example.org").status is SubscriberStatus.PENDING  # GET alone confirms nothing
    done = b.post(confirm, {"csrf_token": page.csrf()})
    assert done.status == 200 and "You are subscribed" in done.text
    sub = _row(store, "ada@example.org")
    assert sub.status is SubscriberStatus.ACTIVE and sub.confirmed_at is not None
    assert sub.frequency is Frequency.MONTHLY and sub.topics == ["border-management", "research-data"]

    links = subs.subscriber_links(cfg, sub)
    shown = re.search(r'href="' + re.escape(cfg.site.url("preferences/")) + r'([^"]+)"', done.text)
    assert shown, "the confirmation page links to the preferences page"
    assert subs.read_token(cfg, shown.group(1), subs.TokenPurpose.MANAGE).subscriber_id == sub.id
    saved = b.submit(links["manage"], {"name": "Ada L.", "regions": ["west-africa"], "frequency": "weekly"})
    assert saved.status == 200 and "preferences are saved" in saved.text
    sub = _row(store, "ada@example.org")
    assert (sub.name, sub.topics, sub.regions, sub.frequency) == ("Ada L.", [], ["west-africa"], Frequency.WEEKLY)

    page = b.get(links["unsubscribe"])
    assert "Stop sending" in page.text
    assert _row(store, "ada@example.org").status is SubscriberStatus.ACTIVE
    done = b.post(links["unsubscribe"], {"csrf_token": page.csrf()})
    assert done.status == 200 and "You are unsubscribed" in done.text
    assert _row(store, "ada@example.org").status is SubscriberStatus.UNSUBSCRIBED
    # The old manage link died with the unsubscribe; the unsubscribe link still answers.
    assert b.get(links["manage"]).status == 400
    again = b.get(links["unsubscribe"])
    assert again.status == 200 and "You are unsubscribed" in again.text


def test_pages_send_security_headers_and_escape_input(cfg: Config, web_server: str) -> None:
    b = Browser(web_server)
    page = b.get("/subscribe")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # URLs carry tokens
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    bad = b.post(
        "/subscribe",
        {"csrf_token": page.csrf(), "email": "<script>alert(1)</script>", "name": "<b>Eve</b>", "topics": ["nonsense"]},
    )
    assert bad.status == 400
    assert "<script>alert(1)</script>" not in bad.text and "&lt;script&gt;" in bad.text
    assert "&lt;b&gt;Eve&lt;/b&gt;" in bad.text  # the form keeps what was typed, escaped
    assert "unknown topic" in bad.text
    css = b.get("/_/style.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")


def test_form_posts_need_a_matching_csrf_token(cfg: Config, store: Store, web_server: str) -> None:
    b = Browser(web_server)
    form = {"email": "x@example.org"}
    assert b.post("/subscribe", form).status == 400  # no token at all
    token = b.get("/subscribe").csrf()
    assert b.post("/subscribe", {**form, "csrf_token": token}, cookies=False).status == 400  # no session cookie
    assert Browser(web_server).post("/subscribe", {**form, "csrf_token": token}).status == 400  # someone else's
    sub = _insert(store)
    unsub = subs.subscriber_links(cfg, sub)["unsubscribe"]
    other_form = b.get(unsub).csrf()
    assert b.post("/subscribe", {**form, "csrf_token": other_form}).status == 400  # token of another form
    assert b.post(unsub, {"csrf_token": token}).status == 400
    assert _row(store, "ada@example.org").status is SubscriberStatus.ACTIVE
    with store.session() as s:
        assert subs.find_subscriber(s, "x@example.org") is None
    assert b.post("/subscribe", {**form, "csrf_token": token}).status == 200


def test_subscribing_an_existing_address_reveals_nothing_and_is_rate_limited(
    cfg: Config, store: Store, web_server: str
) -> None:
    _insert(store, "known@example.org", topics=["research-data"])
    b = Browser(web_server)

    def subscribe(email: str) -> str:
        reply = b.submit("/subscribe", {"email": email, "topics": ["border-management"]})
        assert reply.status == 200
        return reply.text.replace(email, "EMAIL")

    assert subscribe("known@example.org") == subscribe("stranger@example.org")
    mails = {m["To"].addresses[0].addr_spec: m for m in outbox_mails(cfg)}
    assert "/confirm/" in mails["stranger@example.org"].get_content()
    note = mails["known@example.org"].get_content()
    assert "already subscribed" in note and "/confirm/" not in note
    assert _row(store, "known@example.org").topics == ["research-data"]  # strangers change nothing

    first_id = mails["stranger@example.org"]["Message-ID"]
    assert subscribe("stranger@example.org") == subscribe("known@example.org")
    again = {m["To"].addresses[0].addr_spec: m for m in outbox_mails(cfg)}
    assert again["stranger@example.org"]["Message-ID"] == first_id  # no second mail within a minute


# ---------------------------------------------------------------- confirm links


def _old_token(
    cfg: Config, sub: Subscriber, purpose: subs.TokenPurpose, monkeypatch: pytest.MonkeyPatch, days: int
) -> str:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: past.timestamp())
        return subs.make_token(cfg, sub, purpose)


def test_expired_confirm_link_offers_a_new_one(
    cfg: Config, store: Store, web_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = _insert(store, status=SubscriberStatus.PENDING)
    token = _old_token(cfg, sub, subs.TokenPurpose.CONFIRM, monkeypatch, cfg.digest.token_max_age_days + 1)
    b = Browser(web_server)
    page = b.get(f"/confirm/{token}")
    assert page.status == 400 and "expired" in page.text and "Send me a new link" in page.text
    assert _row(store, "ada@example.org").status is SubscriberStatus.PENDING
    reply = b.post("/confirm/resend", {"csrf_token": page.csrf(), "token": token})
    assert reply.status == 200 and "Check your inbox" in reply.text
    fresh = mailed_link(cfg, "confirm/")
    assert fresh != cfg.site.url(f"confirm/{token}")
    page = b.get(fresh)
    assert page.status == 200
    assert b.post(fresh, {"csrf_token": page.csrf()}).status == 200
    assert _row(store, "ada@example.org").status is SubscriberStatus.ACTIVE


def test_resend_refuses_forged_tokens(cfg: Config, store: Store, web_server: str) -> None:
    b = Browser(web_server)
    page = b.get("/confirm/forged.token.value")
    assert page.status == 400 and "Send me a new link" not in page.text
    csrf = b.get("/subscribe").csrf()
    # A valid CSRF token for another form is refused, and so is a forged confirm token.
    assert b.post("/confirm/resend", {"csrf_token": csrf, "token": "forged.token.value"}).status == 400
    assert not outbox_mails(cfg)


def test_bad_confirm_links_get_a_clear_400(cfg: Config, store: Store, web_server: str) -> None:
    sub = _insert(store, status=SubscriberStatus.PENDING)
    b = Browser(web_server)
    page = b.get("/confirm/not-a-token")
    assert page.status == 400 and "not valid" in page.text and "Send me a new link" not in page.text
    manage = subs.make_token(cfg, sub, subs.TokenPurpose.MANAGE)
    assert b.get(f"/confirm/{manage}").status == 400  # a token for another purpose


# ---------------------------------------------------------------- RFC 8058 one-click


def test_one_click_unsubscribe_is_a_plain_idempotent_post(cfg: Config, store: Store, web_server: str) -> None:
    sub = _insert(store)
    one_click = subs.subscriber_links(cfg, sub)["one_click"]
    b = Browser(web_server)  # no cookies, no CSRF token: mailbox providers send neither
    assert b.post(one_click, {"something": "else"}).status == 400
    assert _row(store, "ada@example.org").status is SubscriberStatus.ACTIVE
    for _ in range(2):
        reply = b.post(one_click, {"List-Unsubscribe": "One-Click"})
        assert reply.status == 200 and not b.cookies
    sub = _row(store, "ada@example.org")
    assert sub.status is SubscriberStatus.UNSUBSCRIBED and sub.token_version == 2  # bumped once only
    assert b.post("/one-click/forged", {"List-Unsubscribe": "One-Click"}).status == 400
    # Opened in a browser, the link shows the normal page instead of acting on a GET.
    reply = b.get(one_click)
    assert reply.status == 303 and reply.headers["Location"].endswith(
        urlsplit(one_click).path.replace("/one-click/", "/unsubscribe/")
    )


def test_one_click_for_a_purged_subscriber_still_answers_200(cfg: Config, store: Store, web_server: str) -> None:
    sub = _insert(store)
    one_click = subs.subscriber_links(cfg, sub)["one_click"]
    with store.session() as s:
        subs.purge(s, subs.get_subscriber(s, "ada@example.org"))
    assert Browser(web_server).post(one_click, {"List-Unsubscribe": "One-Click"}).status == 200


# ---------------------------------------------------------------- digest archive


def test_digest_archive_page(
    cfg: Config, store: Store, web_server: str, digest_world: dict[str, Any], add_subscribers: Any
) -> None:
    from publisher import digest as digest_step
    from publisher.models import Delivery

    add_subscribers([("ada@example.org", "monthly", ["border-management"], [])])
    period = digest_step.parse_period("2025-03", "monthly")
    with store.session() as s:
        digest_step.build_edition(s, cfg, period, now=dt.datetime(2025, 4, 1, 8, tzinfo=dt.UTC))
    with store.session() as s:
        d = s.query(Delivery).one()
        edition_id, variant = d.edition_id, d.variant
    b = Browser(web_server)
    page = b.get(f"/digests/{edition_id}/{variant}")
    assert page.status == 200 and "Border training in Serbia" in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert b.get(f"/digests/{edition_id}/nosuchvariant").status == 404
    assert b.get(f"/digests/{edition_id + 99}/{variant}").status == 404


# ---------------------------------------------------------------- less common paths (Flask's test client)


def _client_post(client: Any, path: str, fields: dict[str, Any]) -> Any:
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token, page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": token.group(1), **fields})


def test_an_unsubscribed_address_stays_so_until_the_owner_confirms(cfg: Config, store: Store) -> None:
    from publisher.web import create_app

    _insert(store, status=SubscriberStatus.UNSUBSCRIBED)
    with store.session() as s:
        row = subs.get_subscriber(s, "ada@example.org")
        row.token_version = 2  # as after a real unsubscribe
    client = create_app(cfg, store).test_client()
    assert _client_post(client, "/subscribe", {"email": "ada@example.org", "frequency": "monthly"}).status_code == 200
    assert _row(store, "ada@example.org").status is SubscriberStatus.UNSUBSCRIBED
    confirm = urlsplit(mailed_link(cfg, "confirm/")).path
    assert _client_post(client, confirm, {}).status_code == 200
    sub = _row(store, "ada@example.org")
    assert sub.status is SubscriberStatus.ACTIVE and sub.frequency is Frequency.MONTHLY
    assert sub.unsubscribed_at is None


def test_operator_templates_override_the_bundled_pages(make_config: Any, store: Store, tmp_path: Any) -> None:
    from publisher.web import create_app

    folder = tmp_path / "my-templates"
    (folder / "web").mkdir(parents=True)
    (folder / "web" / "check_inbox.html").write_text(
        '{% extends "web/base.html" %}{% block content %}<h1>Almost there, {{ email }}</h1>{% endblock %}'
    )
    cfg = make_config(digest={"templates_dir": str(folder)})
    client = create_app(cfg, store).test_client()
    reply = _client_post(client, "/subscribe", {"email": "ok@example.org", "name": "<i>x</i>"})
    assert "<h1>Almost there, ok@example.org</h1>" in reply.get_data(as_text=True)  # the override
    assert 'name="email"' in client.get("/subscribe").get_data(as_text=True)  # the rest stay bundled


def test_a_transport_failure_says_so_and_keeps_the_request(make_config: Any, store: Store) -> None:
    import socket

    from publisher.web import create_app

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = make_config(delivery={"transport": "smtp"}, smtp={"host": "127.0.0.1", "port": port, "timeout": 5})
    client = create_app(cfg, store).test_client()
    reply = _client_post(client, "/subscribe", {"email": "ada@example.org"})
    assert reply.status_code == 503 and "could not send" in reply.get_data(as_text=True)
    assert _row(store, "ada@example.org").status is SubscriberStatus.PENDING  # a later try re-sends
