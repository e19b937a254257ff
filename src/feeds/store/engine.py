"""Engines for the two supported databases, set up the way feeds needs them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from feeds.store.errors import StoreError, StoreUnavailableError, store_fault
from feeds.store.outage import Outage

__all__ = ["Database", "StoreError", "create_store_engine", "is_database_url", "normalise_url"]


class Database:
    """An engine and the two ways the store uses it: a read and a write transaction.

    Only ``feeds.store`` holds one: every other room goes through ``Store`` and its
    ``sources``, ``partners`` and ``outbox``, so no connection is opened anywhere else.
    That makes these two methods the one place where a driver's error becomes a
    ``StoreUnavailableError`` or ``StorageFullError`` (``feeds.store.errors.store_fault``), and
    where ``outage`` hears of every call's success or failure.

    ``clock`` dates the store's own writes: the revision's ``changed_at``, a story's
    ``created_at`` and retraction time, a source's registration (a test moves it instead of
    waiting for time to pass).
    """

    def __init__(
        self,
        engine: Engine,
        outage: Outage | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.outage = outage or Outage()
        self.now: Callable[[], datetime] = clock or _wall_clock

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite); commits on success, else rolls back."""
        began = self.outage.now()
        try:
            connection = self.engine.connect().execution_options(sqlite_immediate=True)
            with connection as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc
        self.outage.succeeded(began, wrote=True)

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read. With ``snapshot`` its statements all see the store as of one moment:
        PostgreSQL's default isolation gives each statement its own (SQLite's read
        transaction is one snapshot already)."""
        began = self.outage.now()
        try:
            with self.engine.connect() as conn:
                if snapshot and conn.dialect.name == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                yield conn
        except SQLAlchemyError as exc:
            fault = self._fault(exc)
            if fault is None:
                raise
            raise fault from exc
        self.outage.succeeded(began, wrote=False)

    def _fault(self, exc: SQLAlchemyError) -> StoreUnavailableError | None:
        fault = store_fault(exc)
        if fault is not None:
            self.outage.failed(fault)
        return fault


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def is_database_url(url: str) -> bool:
    """Whether ``url`` reads as a database URL at all (``feeds.config`` checks settings with
    it); whether feeds supports that database is ``normalise_url``'s to say."""
    try:
        make_url(url)
    except ArgumentError:
        return False
    return True


def normalise_url(url: str) -> URL:
    """Accept ``postgresql://`` and ``postgres://`` as the psycopg 3 driver; check the rest."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise StoreError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"database URL {url!r}: only sqlite and postgresql are supported")
    return parsed


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite files get WAL, a busy timeout and their folder created."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # A server that does not answer at all (a cut network) fails a connect after this long
    # instead of hanging a request or a poll; a URL's own connect_timeout wins.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    return create_engine(
        parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
    )


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (SQLAlchemy's
        # documented recipe for pysqlite), so that writers can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 16 MiB of page cache per connection instead of 2: a cold aggregation cycle inserts
        # into indexes spread over the whole table (about 8% more feeds/s in
        # bench/aggregate.py); 64 MiB gained little more and cost 50 MB of RSS.
        cursor.execute("PRAGMA cache_size=-16384")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write takes the database's write lock up front: two writers then queue on the
        # busy timeout instead of one failing with "database is locked" on upgrade.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
