"""Shared fixtures: a fresh store per test (SQLite, or PostgreSQL when PUBLISHER_TEST_DATABASE_URL is set),
a config bound to temporary folders, and the bundled sample data."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publisher.config import DATABASE_URL_ENV, Config, config_from_dict
from publisher.store import Store, normalise_url

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "PUBLISHER_TEST_DATABASE_URL"
BASE_URL = "https://news.example.org/"
FIXED_NOW = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


def pytest_report_header(config: Any) -> str:
    return f"store backend: {'postgresql' if os.environ.get(PG_ENV) else 'sqlite'}"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated empty database that each test copies (much faster than migrating per test)."""
    base = os.environ.get(PG_ENV)
    if not base:
        path = tmp_path_factory.mktemp("template") / "template.db"
        store = Store(f"sqlite:///{path}")
        store.migrate()
        store.dispose()
        yield str(path)
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"tmpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.migrate()
    store.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(tmp_path: Path, template_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a fresh, migrated database for this test only."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    base = os.environ.get(PG_ENV)
    if not base:
        path = tmp_path / "store" / "publisher.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    yield make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a fresh database with no schema at all (for migration tests)."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    base = os.environ.get(PG_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"e_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """Copies of the bundled seed documents in a temporary folder (tests may edit them)."""
    d = tmp_path / "data"
    d.mkdir()
    for name in ("releases.txt", "projects.txt"):
        shutil.copy(FIXTURES / name, d / name)
    return d


@pytest.fixture
def make_config(tmp_path: Path, db_url: str, sample_dir: Path) -> Callable[..., Config]:
    """Build a Config rooted in tmp_path; keyword arguments replace whole sections, e.g. feeds={...}."""

    def make(**sections: Any) -> Config:
        data: dict[str, Any] = {
            "site": {"base_url": BASE_URL, "tag_authority": "news.example.org", "timezone": "Europe/Vienna"},
            "store": {"url": db_url},
            "sources": [
                {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
                {"name": "releases", "kind": "release-text", "path": str(sample_dir / "releases.txt")},
            ],
            "feeds": {"dir": "feeds"},
            "delivery": {"transport": "outbox", "outbox_dir": "outbox"},
        }
        data.update(sections)
        return config_from_dict(data, root=tmp_path)

    return make


@pytest.fixture
def cfg(make_config: Callable[..., Config]) -> Config:
    return make_config()


@pytest.fixture
def store(cfg: Config) -> Iterator[Store]:
    s = Store(cfg.database_url)
    yield s
    s.dispose()


@pytest.fixture
def ingested(cfg: Config, store: Store) -> Store:
    """The store after ingesting the bundled sample (projects, then releases) at a fixed time."""
    from publisher import pipeline
    from publisher.ingest import ingest_source

    for source in pipeline.configured_sources(cfg):
        ingest_source(store, cfg, source, now=FIXED_NOW)
    return store
