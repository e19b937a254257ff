"""Driver-level ``executemany`` for the aggregator's hot write paths.

SQLAlchemy compiles parameters row by row and builds a statement object per call; for the
thousands of rows of an aggregation cycle that costs more than the database's own work.
Here a statement is written once and the rows go to the driver as they are. Values of
``UTCDateTime`` columns are converted by that type's own bind processor, so the stored
form is exactly what SQLAlchemy stores (on SQLite, its text format).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from feeds.store.types import UTCDateTime

__all__ = ["insert_many", "update_many"]

_Convert = Callable[[Any], Any] | None


def _converters(conn: Connection, table: Table, names: Sequence[str]) -> list[_Convert]:
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    converters: list[_Convert] = []
    for name in names:
        column_type = table.c[name].type
        if not isinstance(column_type, UTCDateTime):
            converters.append(None)
        elif conn.dialect.name == "sqlite":
            converters.append(_sqlite_text)
        else:
            # The dialect's implementation, not the generic type, whose processor would
            # leave the formatting to the driver.
            converters.append(column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
    return converters


def _sqlite_text(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` stores on SQLite, in one C call instead of two processors:
    naive UTC in SQLAlchemy's DATETIME format (``2026-11-14 08:00:00.000000``). The bulk
    insert test compares the stored text with SQLAlchemy's own."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to store naive datetime {value.isoformat()}")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _bound(rows: Sequence[tuple[Any, ...]], converters: list[_Convert]) -> list[tuple[Any, ...]]:
    """The rows with their datetimes converted."""
    todo = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if not todo:
        return list(rows)
    bound = []
    for row in rows:
        values = list(row)
        for i, convert in todo:
            values[i] = convert(values[i])
        bound.append(tuple(values))
    return bound


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_many(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` (tuples in the order of ``names``) into ``table`` in one call."""
    if not rows:
        return
    converters = _converters(conn, table, names)
    columns = ", ".join(names)
    marks = ", ".join([_mark(conn)] * len(names))
    # Identifiers come from our own Table objects (checked above); values are bound.
    statement = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(statement, _bound(rows, converters))


def update_many(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    key: str,
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """UPDATE ``table`` SET ``names`` WHERE ``key`` = the row's last value, for every row."""
    if not rows:
        return
    converters = _converters(conn, table, [*names, key])
    mark = _mark(conn)
    assignments = ", ".join(f"{name} = {mark}" for name in names)
    # Identifiers come from our own Table objects (checked above); values are bound.
    statement = f"UPDATE {table.name} SET {assignments} WHERE {key} = {mark}"  # noqa: S608
    conn.exec_driver_sql(statement, _bound(rows, converters))
