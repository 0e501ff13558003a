"""Bulk INSERT of plain tuples through the DBAPI's executemany, each value bound as SQLAlchemy Core would bind it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

_Prepared = tuple[str, tuple[str, ...] | None, tuple[Callable[[Any], Any] | None, ...]]
_PREPARED: dict[tuple[str, str, tuple[str, ...]], _Prepared] = {}


def _prepare(table: Table, columns: tuple[str, ...], dialect: Dialect) -> _Prepared:
    """The INSERT compiled once per table, columns and dialect, the order its parameters take (None for named
    parameters) and each column's bind processor (the JSON serialiser, the date and enum conversions)."""
    key = (table.name, dialect.name, columns)
    prepared = _PREPARED.get(key)
    if prepared is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        # Every parameter must be one of ours: a column default filled in by Core would be missing here.
        if set(order if order is not None else compiled.binds) != set(columns):
            raise ValueError(f"{table.name}: the INSERT binds {sorted(compiled.binds)}, not {sorted(columns)}")
        procs = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
        prepared = _PREPARED[key] = (compiled.string, order, procs)
    return prepared


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT `rows` (tuples of values in `columns` order) into `table` with one executemany.

    Core's executemany builds a parameter dict per row and runs every value through its processors with
    bookkeeping that cost more than SQLite's insert itself; here the statement is compiled once and each row
    is one tuple, converted by the same bind processors, so the stored values are the same."""
    if not rows:
        return
    cols = tuple(columns)
    conn = session.connection()
    sql, order, procs = _prepare(table, cols, conn.dialect)
    convert = [(i, p) for i, p in enumerate(procs) if p is not None]
    if convert:
        converted = []
        for row in rows:
            values = list(row)
            for i, p in convert:
                values[i] = p(values[i])
            converted.append(tuple(values))  # exec_driver_sql takes tuples or dicts
        rows = converted
    if order is None:
        params: list[Any] = [dict(zip(cols, row, strict=True)) for row in rows]
    elif order != cols:
        at = [cols.index(c) for c in order]
        params = [tuple(row[i] for i in at) for row in rows]
    else:
        params = list(rows)
    conn.exec_driver_sql(sql, params)
