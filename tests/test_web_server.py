"""The production server (waitress) behind `serve` and `run`: no banner, graceful stop, real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from publisher.config import Config
from publisher.store import Store
from publisher.web import WebServer, make_server


def _start(server: WebServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="test-web", daemon=True)
    thread.start()
    return thread


def test_responses_carry_no_server_banner(cfg: Config, store: Store, web_server: str) -> None:
    for path in ("/subscribe", "/no-such-page"):
        try:
            with urllib.request.urlopen(web_server + path, timeout=10) as resp:
                headers = resp.headers
        except urllib.error.HTTPError as exc:
            headers = exc.headers
            exc.close()
        assert headers.get("Server") is None, path
        assert "werkzeug" not in str(headers).lower()


def slow_app(started: threading.Event, delay: float) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        started.set()
        time.sleep(delay)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return iter([b"done"])

    return app


def test_shutdown_lets_a_request_in_progress_finish_and_refuses_new_ones() -> None:
    started = threading.Event()
    server = WebServer(slow_app(started, 0.5), "127.0.0.1", 0)
    port = server.server_port
    thread = _start(server)
    answers: list[bytes] = []

    def client() -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
            answers.append(resp.read())

    caller = threading.Thread(target=client)
    caller.start()
    assert started.wait(10)
    server.shutdown()  # while the request sleeps
    caller.join(10)
    thread.join(10)
    assert answers == [b"done"]
    assert not thread.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_shutdown_gives_up_on_a_request_that_outlasts_the_grace() -> None:
    started, release = threading.Event(), threading.Event()

    def stuck_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        started.set()
        release.wait(60)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"late"])

    server = WebServer(stuck_app, "127.0.0.1", 0, grace=0.2)
    thread = _start(server)
    outcome: list[str] = []

    def client() -> None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/", timeout=30) as resp:
                resp.read()
            outcome.append("answered")
        except OSError:
            outcome.append("connection closed")

    caller = threading.Thread(target=client, daemon=True)
    caller.start()
    assert started.wait(10)
    try:
        server.shutdown()  # the request is still stuck: the stop must not wait for it
        thread.join(10)
        assert not thread.is_alive()
        caller.join(10)
        assert outcome == ["connection closed"]
    finally:
        release.set()


def test_a_server_made_but_never_served_releases_its_port(cfg: Config, store: Store) -> None:
    server = make_server(cfg, store, host="127.0.0.1", port=0)
    port = server.server_port
    server.server_close()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
