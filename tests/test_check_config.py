"""check-config: --explain shows the effective settings of the given file; --online tries every source."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from publisher.config import DATABASE_URL_ENV

SECRET = "an-operator-secret-0123456789"


def _lines(out: str) -> dict[str, str]:
    """key → the rest of its `key = value    # origin` line."""
    found = {}
    for line in out.splitlines():
        if " = " in line and not line.startswith((" ", "#")):
            key, rest = line.split(" = ", 1)
            found[key] = rest
    return found


def test_explain_prints_effective_values_and_their_origin(
    config_file: Callable[..., Path],
    sample_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = config_file(
        feeds={"dir": "public", "formats": ["atom"], "max_entries": 7},
        digest={"secret_key": SECRET, "max_items": 20},
        schedules={"nightly": {"job": "ingest", "cron": "0 3 * * *"}},
    )
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://publisher:hunter2-password@db.example.org/news")
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    code, out, err = run_cli(["check-config", "--explain", "--config", str(conf)], capsys)
    assert code == 0, err
    keys = _lines(out)
    assert keys["feeds.max_entries"] == "7    # file; default 50"
    assert keys["feeds.dir"].startswith(f'"{conf.parent / "public"}"    # file')
    assert keys["feeds.formats"] == '["atom"]    # file; default ["atom", "rss", "json"]'
    assert keys["site.title"] == '"ICMPD News"    # default'
    assert keys["sources[1].name"] == '"releases"    # file'
    assert keys["sources[1].path"] == f'"{sample_dir / "releases.txt"}"    # file; default (unset)'
    assert keys["sources[1].timeout"] == "20.0    # default"
    assert keys["schedules.nightly.cron"] == '"0 3 * * *"    # file; default ""'
    assert keys["store.url"] == (
        '"postgresql://publisher:********@db.example.org/news"    # environment PUBLISHER_DATABASE_URL'
    )
    assert keys["digest.secret_key"].startswith("********    # file")
    assert keys["smtp.password_env"] == '"PUBLISHER_SMTP_PASSWORD"    # default; $PUBLISHER_SMTP_PASSWORD is not set'
    assert (
        keys["taxonomy.topics"].startswith("10 topics: border-management, ")
        and "# default taxonomy" in keys["taxonomy.topics"]
    )
    assert SECRET not in out and "hunter2" not in out
    assert "Maximum" in out or "entries" in out  # the meaning is still there, under each key


def test_explain_names_the_secret_from_the_environment_without_showing_it(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET_KEY", SECRET)
    code, out, _ = run_cli(["check-config", "--explain", "--config", str(config_file())], capsys)
    keys = _lines(out)
    assert code == 0 and keys["digest.secret_key"] == "********    # environment PUBLISHER_SECRET_KEY"
    assert keys["digest.secret_key_env"].endswith("$PUBLISHER_SECRET_KEY is set")
    assert SECRET not in out


# ---- --online ---------------------------------------------------------------------------------------

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link>
<description>d</description></channel></rss>"""


class _Feed(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.path != "/feed.xml":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def feed_server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("Handler", (_Feed,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()
    thread.join()


def _closed_port() -> int:
    with socket.socket() as s:  # bound and closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_remote(config_file: Callable[..., Path], sample_dir: Path, url: str) -> str:
    return str(
        config_file(
            sources=[
                {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
                {"name": "releases", "kind": "release-text", "path": str(sample_dir / "releases.txt")},
                {"name": "remote", "kind": "feed", "url": url, "timeout": 10, "retries": 0},
            ]
        )
    )


def test_without_online_nothing_touches_the_network(
    feed_server: tuple[str, list[str]],
    config_file: Callable[..., Path],
    sample_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, requests = feed_server
    conf = _with_remote(config_file, sample_dir, f"{base}/feed.xml")
    code, out, _ = run_cli(["check-config", "--config", conf], capsys)
    assert code == 0 and out.rstrip().endswith(": OK")
    assert requests == []


def test_online_reports_each_source_ok(
    feed_server: tuple[str, list[str]],
    config_file: Callable[..., Path],
    sample_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, requests = feed_server
    conf = _with_remote(config_file, sample_dir, f"{base}/feed.xml")
    code, out, err = run_cli(["check-config", "--online", "--config", conf], capsys)
    assert code == 0, err
    assert f"online remote ({base}/feed.xml): OK: fetched {len(FEED)} bytes" in out
    assert f"online releases ({sample_dir / 'releases.txt'}): OK: readable" in out
    assert requests == ["/feed.xml"]


@pytest.mark.parametrize("down", ["refused", "404"])
def test_online_fails_for_an_unreachable_source(
    down: str,
    feed_server: tuple[str, list[str]],
    config_file: Callable[..., Path],
    sample_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, _ = feed_server
    url = f"http://127.0.0.1:{_closed_port()}/feed.xml" if down == "refused" else f"{base}/gone.xml"
    conf = _with_remote(config_file, sample_dir, url)
    code, out, err = run_cli(["check-config", "--online", "--config", conf], capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("online remote"))
    assert line.startswith(f"online remote ({url}): FAILED: ")
    assert ("HTTP 404" in line) if down == "404" else ("cannot fetch" in line)
    assert "online releases" in out and ": OK: readable" in out
    assert err.strip() == "SourceError: 1 of 3 sources failed the online check: remote"
    assert not out.rstrip().endswith(": OK")
