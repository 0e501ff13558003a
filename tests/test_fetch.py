"""Remote sources against real HTTP servers on 127.0.0.1: a trickling server cannot hold a fetch past its total
deadline, failures are retried with backoff, and conditional GET makes an unchanged feed cost nothing (issue 11, 5)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

import publisher.sources  # noqa: F401  (registers every kind)
from publisher.config import Config, SourceConfig
from publisher.errors import FetchError
from publisher.ingest import ingest_source
from publisher.models import IngestRun, Release, RunStatus
from publisher.sources.base import make_source
from publisher.sources.fetch import fetch_bytes
from publisher.store import Store

LINE = b'{"date": "2025-03-01", "body": "A release fetched over HTTP.", "id": "r1"}\n'


class _Server:
    """A ThreadingHTTPServer whose behaviour each test sets: `script` maps a request number to a handler."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.respond: Callable[[http.server.BaseHTTPRequestHandler, int], None] = lambda h, n: None
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(dict(self.headers.items()))
                outer.respond(self, len(outer.requests))

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/r.jsonl"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _ok(h: http.server.BaseHTTPRequestHandler, body: bytes = LINE, etag: str = "") -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    if etag:
        h.send_header("ETag", etag)
    h.end_headers()
    h.wfile.write(body)


def _trickle(server: _Server, data: bytes) -> Callable[[http.server.BaseHTTPRequestHandler, int], None]:
    def respond(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        for i in range(len(data)):
            if server.stop.wait(0.2):
                return
            try:
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
            except OSError:
                return  # the client gave up: that is the point

    return respond


def test_a_server_trickling_the_body_cannot_hold_the_fetch_past_its_deadline(server: _Server) -> None:
    body = LINE * 20

    def respond(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        _trickle(server, body)(h, n)

    server.respond = respond
    # Each byte comes well within the per-read timeout; only a total deadline ends this.
    with pytest.raises(FetchError, match=r"took longer than 1 s in total"):
        fetch_bytes(server.url, timeout=1.0, max_bytes=10_000)


def test_a_server_trickling_its_headers_cannot_hold_the_fetch_either(server: _Server) -> None:
    server.respond = lambda h, n: _trickle(server, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 400)(h, n)
    src = SourceConfig(name="slow", kind="jsonl", url=server.url, timeout=1.0, retries=0)
    with pytest.raises(FetchError, match=r"r\.jsonl: took longer than 1 s in total"):
        list(make_source(src, Config()).read())


def test_server_errors_are_retried_with_backoff_then_succeed(server: _Server) -> None:
    def respond(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        if n < 3:
            h.send_error(503)
        else:
            _ok(h)

    server.respond = respond
    assert fetch_bytes(server.url, timeout=5, max_bytes=10_000, retries=2, backoff=0.01) == LINE
    assert len(server.requests) == 3


def test_retries_give_up_with_the_last_error(server: _Server) -> None:
    server.respond = lambda h, n: h.send_error(502)
    with pytest.raises(FetchError, match=r"HTTP 502 .*\(after 3 attempts\)"):
        fetch_bytes(server.url, timeout=5, max_bytes=10_000, retries=2, backoff=0.01)
    assert len(server.requests) == 3


def test_client_errors_are_not_retried(server: _Server) -> None:
    server.respond = lambda h, n: h.send_error(404)
    with pytest.raises(FetchError, match=r"HTTP 404"):
        fetch_bytes(server.url, timeout=5, max_bytes=10_000, retries=3, backoff=0.01)
    assert len(server.requests) == 1


def test_a_refused_connection_is_retried() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(FetchError, match=r"cannot fetch: .*\(after 2 attempts\)"):
            fetch_bytes(f"http://127.0.0.1:{port}/x", timeout=5, max_bytes=100, retries=1, backoff=0.01)


def test_redirects_are_followed(server: _Server) -> None:
    def respond(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        if h.path == "/r.jsonl":
            h.send_response(301)
            h.send_header("Location", "/moved.jsonl")
            h.send_header("Content-Length", "0")
            h.end_headers()
        else:
            _ok(h)

    server.respond = respond
    assert fetch_bytes(server.url, timeout=5, max_bytes=10_000) == LINE


def _etag_server(server: _Server, state: dict[str, Any]) -> None:
    def respond(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        if h.headers.get("If-None-Match") == state["etag"]:
            h.send_response(304)
            h.send_header("ETag", state["etag"])
            h.end_headers()
        else:
            _ok(h, state["body"], state["etag"])

    server.respond = respond


def test_conditional_get_makes_an_unchanged_source_a_no_op(
    server: _Server, make_config: Callable[..., Config], store: Store
) -> None:
    state = {"etag": '"v1"', "body": LINE}
    _etag_server(server, state)
    cfg = make_config(sources=[{"name": "wire", "kind": "jsonl", "url": server.url, "retries": 0}])
    source = make_source(cfg.sources[0], cfg)

    first = ingest_source(store, cfg, source)
    assert first.added == 1 and not first.not_modified
    assert "If-None-Match" not in server.requests[0]

    second = ingest_source(store, cfg, source)
    assert server.requests[1].get("If-None-Match") == '"v1"'
    assert second.not_modified and not second.changed and second.unchanged == 0

    state.update(etag='"v2"', body=LINE + LINE.replace(b"r1", b"r2").replace(b"A release", b"Another release"))
    third = ingest_source(store, cfg, source)
    assert server.requests[2].get("If-None-Match") == '"v1"'
    assert third.added == 1 and not third.not_modified

    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 2
        runs = list(session.scalars(select(IngestRun).where(IngestRun.source == "wire").order_by(IngestRun.id)))
        assert [r.status for r in runs] == [RunStatus.OK] * 3
        assert [r.details["http"]["etag"] for r in runs] == ['"v1"', '"v1"', '"v2"']
        assert [r.details.get("not_modified", False) for r in runs] == [False, True, False]


def test_a_failed_run_does_not_lose_the_validators(
    server: _Server, make_config: Callable[..., Config], store: Store
) -> None:
    state = {"etag": '"v1"', "body": LINE}
    _etag_server(server, state)
    cfg = make_config(sources=[{"name": "wire", "kind": "jsonl", "url": server.url, "retries": 0}])
    source = make_source(cfg.sources[0], cfg)
    ingest_source(store, cfg, source)
    server.respond = lambda h, n: h.send_error(500)
    with pytest.raises(FetchError):
        ingest_source(store, cfg, source)
    _etag_server(server, state)
    assert ingest_source(store, cfg, source).not_modified
    assert server.requests[-1].get("If-None-Match") == '"v1"'
