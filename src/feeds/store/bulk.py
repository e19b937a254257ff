"""Rows inserted through the database driver's own ``executemany``.

SQLAlchemy's ``insert(table)`` with a list of dicts processes every value of every row in
Python (its parameter dictionaries, each column's bind processor) before the driver sees
them. The write path inserts thousands of small rows a batch (sixteen band rows, a key and
a search row per story): for those the caller hands plain tuples, with the few datetimes
already bound (``bind``), and the driver takes the list as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table

__all__ = ["bind", "insert_many"]

_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def bind(conn: Connection, column: Column[Any]) -> Callable[[Any], Any]:
    """What ``column``'s type sends the driver for a value (a UTC datetime as SQLite's text,
    say): apply it once per value, however many rows repeat it."""
    process = column.type.bind_processor(conn.dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def insert_many(
    conn: Connection,
    table: Table,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (values in the order of ``columns``, by default the table's, as the
    driver takes them: see ``bind``) with one ``executemany``."""
    if not rows:
        return
    names = list(columns) if columns is not None else [c.name for c in table.c]
    quote = conn.dialect.identifier_preparer.quote
    mark = _PLACEHOLDER[conn.dialect.paramstyle]
    listed = ", ".join(quote(n) for n in names)
    marks = ", ".join([mark] * len(names))
    # Names from the schema's Table, values bound: nothing from outside is in the text.
    sql = f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(sql, list(rows))
