"""Bounded HTTP fetches for remote sources: a total deadline beside the size cap, retries, conditional GET."""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from publisher.errors import FetchError, NotModified

USER_AGENT = "publisher/0.1 (+https://example.org/publisher)"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Validators:
    """What a server said about its response, sent back next time (If-None-Match / If-Modified-Since)."""

    etag: str = ""
    last_modified: str = ""

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass
class Conditional:
    """One ingest's conditional-GET state: the validators to send, and those the server gave this time."""

    sent: Validators = field(default_factory=Validators)
    received: Validators = field(default_factory=Validators)


# Set by ingest around one source's read, so the sources' read() signature stays as it is.
_CONDITIONAL: contextvars.ContextVar[Conditional | None] = contextvars.ContextVar("conditional", default=None)


@contextlib.contextmanager
def conditional_get(previous: Validators) -> Iterator[Conditional]:
    """Within this block, fetches send `previous` and a 304 raises NotModified; `.received` holds the new ones."""
    state = Conditional(sent=previous)
    token = _CONDITIONAL.set(state)
    try:
        yield state
    finally:
        _CONDITIONAL.reset(token)


class _Retry(Exception):
    """A failure worth another attempt (connection refused or reset, 429, 5xx)."""


class _Watchdog:
    """Shuts the connection's socket down at the deadline: urllib's timeout is per read, so a server sending one
    byte a second would otherwise keep a fetch going for ever."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self._conn = conn
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url!r}", source=url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        context = ssl.create_default_context()
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context), target
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), target


def _fetch_once(
    url: str, deadline: float, timeout: float, max_bytes: int, sent: Validators
) -> tuple[bytes, Validators]:
    """One GET (following redirects) that ends by `deadline` (time.monotonic) whatever the server does."""
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"took longer than {timeout:g} s in total", source=url)
        conn, target = _connection(url, min(remaining, timeout))
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        if sent.etag:
            headers["If-None-Match"] = sent.etag
        if sent.last_modified:
            headers["If-Modified-Since"] = sent.last_modified
        watchdog: _Watchdog | None = None
        try:
            conn.connect()
            watchdog = _Watchdog(conn, deadline - time.monotonic())
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location", ""))
                continue
            if resp.status == 304 and sent:
                raise NotModified(url)
            if resp.status == 429 or resp.status >= 500:
                raise _Retry(f"HTTP {resp.status} {resp.reason}")
            if resp.status != 200:
                raise FetchError(f"HTTP {resp.status} {resp.reason}", source=url)
            declared = resp.getheader("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"response is {declared} bytes, over max_bytes={max_bytes}", source=url)
            chunks: list[bytes] = []
            size = 0
            while chunk := resp.read1(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"response is over max_bytes={max_bytes}", source=url)
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(f"took longer than {timeout:g} s in total", source=url)
            if watchdog.fired:  # the shutdown can look like an early end of the body
                raise FetchError(f"took longer than {timeout:g} s in total", source=url)
            received = Validators(resp.getheader("ETag", ""), resp.getheader("Last-Modified", ""))
            return b"".join(chunks), received
        except (FetchError, NotModified, _Retry):
            raise
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if watchdog is not None and watchdog.fired:
                raise FetchError(f"took longer than {timeout:g} s in total", source=url) from None
            if isinstance(exc, TimeoutError):
                raise FetchError(f"timed out after {timeout:g} s", source=url) from None
            raise _Retry(f"cannot fetch: {exc}") from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            conn.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", source=url)


def fetch_bytes(url: str, *, timeout: float, max_bytes: int, retries: int = 0, backoff: float = 1.0) -> bytes:
    """GET `url` ourselves (never via feedparser): each attempt ends within `timeout` seconds in total and at
    `max_bytes`; connection failures, 429 and 5xx are retried `retries` times, waiting `backoff` seconds and
    doubling. Inside conditional_get(), a 304 raises NotModified."""
    state = _CONDITIONAL.get()
    sent = state.sent if state is not None else Validators()
    for attempt in range(retries + 1):
        try:
            data, received = _fetch_once(url, time.monotonic() + timeout, timeout, max_bytes, sent)
        except _Retry as exc:
            if attempt == retries:
                raise FetchError(
                    str(exc) + (f" (after {retries + 1} attempts)" if retries else ""), source=url
                ) from None
            time.sleep(backoff * 2**attempt)
            continue
        if state is not None:
            state.received = received
        return data
    raise AssertionError("unreachable")  # the loop returns or raises
