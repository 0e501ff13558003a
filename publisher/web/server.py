"""The production WSGI server behind `serve` and `run`: waitress, bound at creation, no banner, graceful stop."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import waitress
from waitress import wasyncore

log = logging.getLogger(__name__)

THREADS = 8  # request threads; feed files are cached in memory, so requests are short
GRACE_SECONDS = 10.0  # how long a stop waits for requests in progress before closing their connections
CHANNEL_TIMEOUT = 60  # idle keep-alive connections are closed after this many seconds
CONNECTION_LIMIT = 200  # beyond this, new connections wait in the listen backlog instead of piling up


class WebServer:
    """A waitress server for one WSGI app, listening as soon as it is made.

    The interface is the one `serve` and `run` need from a server: `serve_forever()` (blocks, in any thread),
    `shutdown()` (from another thread: stop accepting, let requests in progress finish, close), `server_close()`,
    `server_address` and `server_port` (port 0 picks a free one). No `Server` header is sent: a version banner
    only helps an attacker pick an exploit.
    """

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        threads: int = THREADS,
        grace: float = GRACE_SECONDS,
        trusted_proxy: str = "",
        trusted_proxy_count: int = 1,
    ):
        self.grace = grace
        # Only a configured proxy's X-Forwarded-For/-Proto are believed (waitress sets REMOTE_ADDR from them);
        # from anyone else such headers are dropped, so a client cannot pick its own address for the limits.
        proxy: dict[str, Any] = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_count": trusted_proxy_count,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            }
        self._server = waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="",  # no Server header
            channel_timeout=CHANNEL_TIMEOUT,
            connection_limit=CONNECTION_LIMIT,
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
            **proxy,
        )
        self._serving = threading.Event()
        self._finished = threading.Event()
        self._closed = False

    @property
    def server_address(self) -> tuple[str, int]:
        return str(self._server.effective_host), int(self._server.effective_port)

    @property
    def server_port(self) -> int:
        return self.server_address[1]

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until `shutdown()`; `poll_interval` is accepted for the socketserver interface and unused."""
        self._serving.set()
        try:
            if not self._closed:
                self._server.run()  # waitress's loop ends once shutdown() has closed every socket it watches
        except OSError as exc:
            # Closing sockets while the loop polls them can surface as EBADF in its last round: expected once a
            # stop has begun, a real failure before that.
            if not self._closed:
                raise
            log.debug("web server: loop ended while stopping: %s", exc)
        finally:
            self._finished.set()

    def shutdown(self) -> None:
        """Stop accepting at once, give requests in progress up to `grace` seconds, then close every connection."""
        if self._closed:
            return
        self._closed = True
        server = self._server
        if not self._serving.is_set():  # never served: nothing runs the loop, close here
            self._close_all()
            return
        server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))  # in the loop's thread
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and self._busy():
            time.sleep(0.02)
        if self._busy():
            log.warning("web server: closing connections with requests still in progress after %.0f s", self.grace)
        server.trigger.pull_trigger(self._close_all)
        if not self._finished.wait(self.grace):
            log.warning("web server: the serving loop did not end")
        server.task_dispatcher.shutdown(timeout=self.grace)

    def server_close(self) -> None:
        """Release the listening socket if `shutdown()` has not (a server made but never served)."""
        if not self._closed:
            self._closed = True
            self._close_all()
            self._server.task_dispatcher.shutdown(timeout=self.grace)

    def _busy(self) -> bool:
        """Any request being read, queued or answered?"""
        dispatcher = self._server.task_dispatcher
        with dispatcher.lock:
            if dispatcher.queue:
                return True
        return any(channel.requests or channel.total_outbufs_len for channel in self._channels())

    def _channels(self) -> list[Any]:
        return list(self._server.active_channels.values())

    def _close_all(self) -> None:
        for channel in self._channels():
            channel.handle_close()
        server = self._server
        if server.socket is not None:
            wasyncore.dispatcher.close(server)
        server.trigger.close()
