"""The web front: `create_app` (Flask) and `make_server` (waitress, for `serve` and `run`)."""

from __future__ import annotations

from publisher.config import Config
from publisher.store import Store
from publisher.web.app import create_app
from publisher.web.server import WebServer

__all__ = ["WebServer", "create_app", "make_server"]


def make_server(cfg: Config, store: Store | None = None, host: str | None = None, port: int | None = None) -> WebServer:
    """A production server for the app, bound but not yet serving: call `serve_forever()` (in a thread if you
    like), then `shutdown()` from another thread. Port 0 picks a free port (see `server.server_port`)."""
    app = create_app(cfg, store)
    return WebServer(
        app,
        host if host is not None else cfg.web.host,
        cfg.web.port if port is None else port,
        trusted_proxy=cfg.web.trusted_proxy,
        trusted_proxy_count=cfg.web.trusted_proxy_count,
    )
