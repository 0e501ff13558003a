"""Open the database (SQLite by default, PostgreSQL by URL), migrate it, and hand out transactions."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from publisher.config import DATABASE_URL_ENV, Config
from publisher.errors import StoreError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept plain postgres:// URLs and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web server read while the scheduler writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _parse(url: str) -> Any:
    try:
        return make_url(normalise_url(url))
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL: {exc}") from None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = _parse(url)
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    """An engine for `url`; with `create`, a SQLite file's folder is made so the first connection can create it."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if create and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {exc}") from None


class Store:
    """An engine plus a session factory; `session()` is one transaction."""

    def __init__(self, url: str, *, echo: bool = False, create: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, echo=echo, create=create)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _alembic_config(self, connection: Any) -> Any:
        from alembic.config import Config as AlembicConfig

        acfg = AlembicConfig()
        acfg.set_main_option("script_location", str(MIGRATIONS))
        acfg.attributes["connection"] = connection
        return acfg

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema in place to `revision`; existing data is kept."""
        from alembic import command

        try:
            with self.engine.begin() as conn:
                command.upgrade(self._alembic_config(conn), revision)
        except DBAPIError as exc:
            raise StoreError(f"cannot migrate {self.display_url()}: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate {self.display_url()}: {exc}") from None

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        self.engine.dispose()


SQLITE_HEADER = b"SQLite format 3\x00"
CREATE_HINT = "run `publisher ingest` (or `make run`) to create and fill it"


def url_origin(cfg: Config) -> str:
    """Which setting chose the database, for messages: the environment variable or store.url of the file."""
    if os.environ.get(DATABASE_URL_ENV):
        return f"the environment variable {DATABASE_URL_ENV}"
    return f"store.url in {cfg.path}" if cfg.path is not None else "store.url"


def describe_store(cfg: Config) -> str:
    """The configured database for check-config (password hidden), without connecting or creating anything."""
    shown = _parse(cfg.database_url).render_as_string(hide_password=True)
    path = sqlite_path(cfg.database_url)
    if path is not None and not path.is_file():
        shown += " (not created yet: `publisher ingest` creates it)"
    return f"{shown} (from {url_origin(cfg)})"


def _require_existing(cfg: Config) -> Store:
    """The configured store, opened only if it already exists and holds publisher's schema: a read-only command
    must not leave a new empty store behind at a mistyped path and then report it empty."""
    url = cfg.database_url
    where = url_origin(cfg)
    path = sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise StoreError(f"no store at {path} (from {where}): is the path right? If it is, {CREATE_HINT}")
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"cannot read the store {path} (from {where}): {exc.strerror}") from None
        if header != SQLITE_HEADER:  # checked before connecting: a connection would turn an empty file into a db
            raise StoreError(
                f"{path} (from {where}) is not a publisher store (not an SQLite database): point the setting at "
                "the store, or remove the file and run `publisher ingest`"
            )
    store = Store(url, echo=cfg.store.echo, create=False)
    try:
        revision = store.current_revision()
    except DBAPIError as exc:
        store.dispose()
        raise StoreError(f"cannot open the store {store.display_url()} (from {where}): {exc.orig}") from None
    except SQLAlchemyError as exc:
        store.dispose()
        raise StoreError(f"cannot open the store {store.display_url()} (from {where}): {exc}") from None
    if revision is None:
        store.dispose()
        shown = path if path is not None else store.display_url()
        raise StoreError(f"{shown} (from {where}) is not a publisher store (it has no schema yet); {CREATE_HINT}")
    return store


def open_store(cfg: Config, *, migrate: bool = True, create: bool = True) -> Store:
    """The configured store, migrated to the newest schema unless told otherwise.

    With `create` false (read-only commands) a missing or schema-less store is a StoreError naming the setting
    and the command that creates it; an older publisher store is still upgraded in place.
    """
    store = Store(cfg.database_url, echo=cfg.store.echo) if create else _require_existing(cfg)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.dispose()
            raise
    return store
