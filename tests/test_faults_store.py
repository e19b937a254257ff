"""The store's one translation of database faults, against real servers: a PostgreSQL
backend terminated by an administrator, a connection pool with nothing free, and a real
bug (bad SQL) that must stay what it is."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from feeds.store import Store, StoreUnavailableError, open_store
from tests.conftest import POSTGRES_URL


@pytest.mark.postgres
def test_a_terminated_postgresql_session_is_unavailable_then_heals(
    migrated_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(migrated_postgres_url)
    caplog.set_level(logging.WARNING, logger="feeds.store")
    with pytest.raises(StoreUnavailableError) as raised, store._db.reading() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(POSTGRES_URL)
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        conn.execute(text("SELECT 1"))  # what a server shutting down does to a session
    assert raised.value.cause in ("server shutting down", "connection lost")
    assert store.revision().number == 0  # the next call gets a new connection
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and lines[0].startswith("store unavailable since ")
    assert lines[1].startswith("store back after ")
    store.close()


@pytest.mark.postgres
def test_a_pool_with_no_free_connection_is_unavailable(migrated_postgres_url: str) -> None:
    engine = create_engine(migrated_postgres_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    store = Store(engine)
    with store._db.reading(), pytest.raises(StoreUnavailableError) as raised:
        store.revision()
    assert raised.value.cause == "no database connection free"
    assert store.outage.state is not None and store.outage.errors["unavailable"] == 1
    store.revision()
    assert store.outage.state is None
    store.close()


def test_a_bug_is_not_a_fault(store: Store) -> None:
    """Bad SQL is ours to fix: it propagates as the driver said it, and opens no incident."""
    with pytest.raises(DBAPIError), store._db.reading() as conn:
        conn.execute(text("SELECT no_such_column FROM articles"))
    assert store.outage.state is None and not store.outage.errors
