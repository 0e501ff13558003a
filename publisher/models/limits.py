"""Rate-limit counters in the store, so limits on the public forms hold across processes and restarts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from publisher.models.base import Base

__all__ = ["RateCounter", "count_hit", "prune_counters"]


class RateCounter(Base):
    """Hits of one key (e.g. `subscribe-client:203.0.113.9`) in one fixed window starting at `window_start`."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


def count_hit(session: Session, key: str, window_seconds: int, now: dt.datetime) -> int:
    """Count one hit of `key` in the current window and return the window's count including it.

    One atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING), so concurrent processes never lose a hit.
    """
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % window_seconds, dt.UTC)
    table = RateCounter.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(RateCounter)
        .values(key=key, window_start=start, hits=1)
        .on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": table.c.hits + 1})
        .returning(table.c.hits)
    )
    return int(session.execute(stmt).scalar_one())


def prune_counters(session: Session, before: dt.datetime) -> int:
    """Drop windows that started before `before`; returns how many."""
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
