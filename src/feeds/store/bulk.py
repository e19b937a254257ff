"""Driver-level ``executemany`` for the aggregator's hot write paths.

SQLAlchemy compiles parameters row by row and runs every value through its type's bind
processor; for the thousands of rows of a cold aggregation cycle that costs more than the
database's own work. Here a statement is written once and the rows go to the driver as
they are, with datetimes converted by the column type's own bind processor, so the stored
form is exactly what SQLAlchemy would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table

from feeds.store.types import UTCDateTime

__all__ = ["insert_many", "time_binder"]


def insert_many(
    conn: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` (tuples in the order of ``names``) into ``table`` in one call."""
    if not rows:
        return
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(names)
    marks = ", ".join([mark] * len(names))
    # Identifiers come from our own Table objects (checked above); values are bound.
    statement = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(statement, list(rows))


def time_binder(conn: Connection) -> Callable[[datetime | None], Any]:
    """A ``UTCDateTime`` value as this connection's driver takes it (refuses naive times)."""
    # The dialect's implementation (on SQLite: text in SQLAlchemy's own format), not the
    # generic type, whose processor would hand the driver a datetime to format its own way.
    column_type = UTCDateTime().dialect_impl(conn.dialect)
    process = column_type.bind_processor(conn.dialect)
    if process is None:  # pragma: no cover - UTCDateTime always converts
        raise RuntimeError("UTCDateTime has no bind processor")
    return process
