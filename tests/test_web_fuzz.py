"""Fuzzing the subscriber web forms (issue 11): arbitrary text and bytes in every field, token and body of
subscribe, confirm, preferences, unsubscribe and one-click give a 2xx/3xx/4xx page, never a 500 or a traceback,
and leave every stored subscriber valid."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

import hypothesis
import hypothesis.strategies as st
import pytest
from sqlalchemy import select

from publisher import pipeline
from publisher import subscribers as subs
from publisher.config import Config
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow
from publisher.store import Store
from publisher.subscribers import InvalidSubscriberError
from publisher.web import create_app

FUZZ = hypothesis.settings(
    max_examples=400,
    deadline=None,
    # One store and app for all examples on purpose: what one request stored must stay valid for the next.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)

# Arbitrary text, arbitrary bytes read as Latin-1 (every byte one character), and values the forms know.
KNOWN = ["", "border-management", "west-africa", "weekly", "monthly", "ada@example.org", "x" * 400, "\x00", "%"]
value = st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), st.sampled_from(KNOWN))
values = st.lists(value, max_size=4)
clients = st.ip_addresses(v=4).map(str)  # many clients, so the per-client limit does not answer every example


def _client(cfg: Config, store: Store) -> Any:
    return create_app(cfg, store).test_client()


def _ok(resp: Any) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)[:2000]
    assert b"Traceback" not in resp.data


def _csrf(client: Any, path: str, ip: str) -> str:
    page = client.get(path, environ_base={"REMOTE_ADDR": ip})
    _ok(page)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    return m.group(1) if m else ""


def _post(client: Any, path: str, body: bytes, ip: str) -> Any:
    resp = client.post(
        path, data=body, content_type="application/x-www-form-urlencoded", environ_base={"REMOTE_ADDR": ip}
    )
    _ok(resp)
    return resp


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs, doseq=True).encode("utf-8", "surrogatepass")


def _assert_store_consistent(cfg: Config, store: Store) -> None:
    """Every stored subscriber would pass the form's own validation, with a known status and frequency."""
    with store.session() as s:
        rows = list(s.scalars(select(Subscriber)))
    for sub in rows:
        assert isinstance(sub.status, SubscriberStatus) and isinstance(sub.frequency, Frequency)
        try:
            data = pipeline.check_subscriber_form(
                cfg,
                sub.email,
                name=sub.name,
                topics=sub.topics,
                regions=sub.regions,
                frequency=sub.frequency.value,
            )
        except InvalidSubscriberError as exc:
            raise AssertionError(f"stored subscriber {sub.id} is invalid: {exc.errors}") from None
        assert data.email == sub.email


def _active(store: Store, email: str = "ada@example.org") -> Subscriber:
    now = utcnow()
    with store.session() as s:
        found = subs.find_subscriber(s, email)
        if found is not None:
            return found
        sub = Subscriber(
            email=email,
            name="Ada",
            status=SubscriberStatus.ACTIVE,
            frequency=Frequency.WEEKLY,
            topics=[],
            regions=[],
            created_at=now,
            updated_at=now,
            token_version=1,
        )
        s.add(sub)
        s.flush()
        return sub


@pytest.fixture
def client(cfg: Config, store: Store) -> Any:
    return _client(cfg, store)


def test_subscribe_form_with_arbitrary_fields(cfg: Config, store: Store, client: Any) -> None:
    @FUZZ
    # Always tried, whatever is drawn: one form that is stored and one that is refused.
    @hypothesis.example("ada@example.org", "Ada", [], [], "weekly", "", "10.0.0.1")
    @hypothesis.example("", "", [], [], "", "", "10.0.0.2")
    @hypothesis.given(
        email=value, name=value, topics=values, regions=values, frequency=value, honeypot=value, ip=clients
    )
    def run(
        email: str, name: str, topics: list[str], regions: list[str], frequency: str, honeypot: str, ip: str
    ) -> None:
        token = _csrf(client, "/subscribe", ip)
        pairs = [("csrf_token", token), ("email", email), ("name", name), ("frequency", frequency)]
        pairs += [("topics", t) for t in topics] + [("regions", r) for r in regions]
        if honeypot and honeypot.startswith("h"):
            pairs.append(("website", honeypot))
        seen.add(_post(client, "/subscribe", _form(pairs), ip).status_code)
        _assert_store_consistent(cfg, store)

    seen: set[int] = set()
    run()
    assert {200, 400} <= seen  # the fuzz got past the CSRF check: some forms stored, some were refused


def test_subscribe_page_with_arbitrary_query(client: Any) -> None:
    @FUZZ
    @hypothesis.given(topics=values, regions=values, frequency=value)
    def run(topics: list[str], regions: list[str], frequency: str) -> None:
        query = _form([("topics", t) for t in topics] + [("regions", r) for r in regions] + [("frequency", frequency)])
        _ok(client.get("/subscribe?" + query.decode("ascii")))

    run()


def test_arbitrary_tokens_in_every_link(cfg: Config, store: Store, client: Any) -> None:
    ada = _active(store)

    @FUZZ
    @hypothesis.given(
        token=st.one_of(value, st.binary()),
        page=st.sampled_from(["confirm", "preferences", "unsubscribe", "one-click"]),
        ip=clients,
    )
    def run(token: str | bytes, page: str, ip: str) -> None:
        # Bytes are sent percent-encoded as they are: a path that is not UTF-8 at all.
        raw = token if isinstance(token, bytes) else token.encode("utf-8", "surrogatepass")
        path = f"/{page}/" + quote(raw, safe="")
        token = raw.decode("utf-8", "replace")
        _ok(client.get(path, environ_base={"REMOTE_ADDR": ip}))
        csrf = _csrf(client, path, ip) if page != "one-click" else ""
        body = [("csrf_token", csrf), ("List-Unsubscribe", "One-Click")]
        _post(client, path, _form(body), ip)
        _post(client, "/confirm/resend", _form([("csrf_token", _csrf(client, "/subscribe", ip)), ("token", token)]), ip)
        with store.session() as s:
            assert s.get_one(Subscriber, ada.id).status is SubscriberStatus.ACTIVE  # no forged token did anything
        _assert_store_consistent(cfg, store)

    run()


def test_preferences_form_with_arbitrary_fields(cfg: Config, store: Store, client: Any) -> None:
    ada = _active(store)
    path = "/preferences/" + subs.make_token(cfg, ada, subs.TokenPurpose.MANAGE)

    @FUZZ
    @hypothesis.example("Ada", ["border-management"], [], "monthly", "10.0.0.1")
    @hypothesis.example("Ada", [], [], "hourly", "10.0.0.2")
    @hypothesis.given(name=value, topics=values, regions=values, frequency=value, ip=clients)
    def run(name: str, topics: list[str], regions: list[str], frequency: str, ip: str) -> None:
        pairs = [("csrf_token", _csrf(client, path, ip)), ("name", name), ("frequency", frequency)]
        pairs += [("topics", t) for t in topics] + [("regions", r) for r in regions]
        seen.add(_post(client, path, _form(pairs), ip).status_code)
        _assert_store_consistent(cfg, store)

    seen: set[int] = set()
    run()
    assert {200, 400} <= seen


def test_arbitrary_bodies_on_every_form(cfg: Config, store: Store, client: Any) -> None:
    ada = _active(store)
    pages = [
        "/subscribe",
        "/confirm/resend",
        "/confirm/" + subs.make_token(cfg, ada, subs.TokenPurpose.CONFIRM),
        "/preferences/" + subs.make_token(cfg, ada, subs.TokenPurpose.MANAGE),
        "/unsubscribe/" + subs.make_token(cfg, ada, subs.TokenPurpose.UNSUBSCRIBE),
        "/one-click/" + subs.make_token(cfg, ada, subs.TokenPurpose.UNSUBSCRIBE),
    ]

    @FUZZ
    @hypothesis.given(body=st.binary(max_size=300), path=st.sampled_from(pages), with_csrf=st.booleans(), ip=clients)
    def run(body: bytes, path: str, with_csrf: bool, ip: str) -> None:
        if with_csrf:  # past the CSRF check, so the fields themselves are what is parsed
            page = "/subscribe" if path == "/confirm/resend" else path
            body = _form([("csrf_token", _csrf(client, page, ip))]) + b"&" + body
        _post(client, path, body, ip)
        _assert_store_consistent(cfg, store)

    run()
