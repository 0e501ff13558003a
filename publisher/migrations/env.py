"""Alembic environment: runs migrations on the connection the Store hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from publisher.models import Base
from publisher.models.jobs import include_object  # keeps APScheduler's own table out of autogenerate

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line use
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///store/publisher.db")
        with engine.begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
            )
            context.run_migrations()
        return
    # render_as_batch lets ALTERs work on SQLite, which cannot alter most constraints in place.
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
    )
    context.run_migrations()


run()
