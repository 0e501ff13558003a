"""Store: migrations create and upgrade the schema in place; models and migrations agree."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from publisher.errors import StoreError
from publisher.models import Base
from publisher.store import Store, normalise_url


def test_migrate_from_empty_creates_every_table(empty_db_url: str) -> None:
    store = Store(empty_db_url)
    store.migrate()
    tables = set(store.table_names())
    assert set(Base.metadata.tables) <= tables
    assert store.current_revision() is not None
    store.dispose()


def test_models_match_migrations(db_url: str) -> None:
    store = Store(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.dispose()
    assert diff == []


def test_upgrade_in_place_keeps_data(empty_db_url: str) -> None:
    store = Store(empty_db_url)
    store.migrate("0001")
    now = dt.datetime(2025, 1, 1)
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO releases (key, guid, slug, source, published, title, summary, body, url, content_hash,"
                " created_at, updated_at) VALUES ('k', 'tag:x,2025-01-01:news/a', 'a', 's', '2025-01-01', 'T', 'S',"
                " 'B', 'u', 'h', :now, :now)"
            ),
            {"now": now},
        )
    store.migrate()
    assert store.current_revision() != "0001"
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT guid FROM releases")).scalar_one() == "tag:x,2025-01-01:news/a"
    store.migrate()  # idempotent
    store.dispose()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unreachable_database_is_a_store_error() -> None:
    store = Store("postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="cannot migrate"):
        store.migrate()


def test_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="invalid database URL"):
        Store("not a url")
