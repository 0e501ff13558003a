"""The web front: `create_app` (Flask) and `make_server` (a threaded WSGI server for `serve` and `run`)."""

from __future__ import annotations

from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import make_server as _werkzeug_server

from publisher.config import Config
from publisher.store import Store
from publisher.web.app import create_app

__all__ = ["create_app", "make_server"]


def make_server(
    cfg: Config, store: Store | None = None, host: str | None = None, port: int | None = None
) -> BaseWSGIServer:
    """A threaded server for the app, bound but not yet serving: call `serve_forever()` (in a thread if you
    like), then `shutdown()` and `server_close()`. Port 0 picks a free port (see `server.server_port`)."""
    app = create_app(cfg, store)
    return _werkzeug_server(
        host if host is not None else cfg.web.host, cfg.web.port if port is None else port, app, threaded=True
    )
