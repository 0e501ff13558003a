"""CLI command `serve`: run the web app (subscriber pages, digest archive, feed folder) until interrupted."""

from __future__ import annotations

import signal
from typing import Any

import click

from publisher.cli.common import with_config
from publisher.config import Config


@click.command()
@with_config
@click.option("--host", default=None, help="Address to listen on (default: web.host).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: web.port; 0: any free).")
def serve(cfg: Config, host: str | None, port: int | None) -> None:
    """Serve the feeds folder at the site root plus the subscribe, confirm, preferences and unsubscribe pages.

    \b
    URLs (relative to site.base_url):
      /                     index.html of the feeds folder
      /all.atom, /all.rss   and every other file of feeds.dir (e.g. /topics/<slug>.atom, /feeds.opml)
      /news/<slug>          news/<slug>.html
      /subscribe            subscribe form (double opt-in)
      /digests/<id>/<variant>  web version of a digest

    Put a TLS-terminating reverse proxy in front of it in production.
    """
    from publisher.web import make_server

    server = make_server(cfg, host=host, port=port)

    def _stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds serve_forever in this thread; the finally below closes the socket

    signal.signal(signal.SIGTERM, _stop)
    click.echo(
        f"serving {cfg.feeds.dir} and subscriber pages on http://{server.server_address[0]}:{server.server_port}/ (Ctrl-C to stop)",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()


COMMANDS = [serve]
