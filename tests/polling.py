"""Helpers for the aggregator's tests: register a source, make every source due, read
back what a poll stored. Through the test's ``Store`` (its one door) and the store's own
functions, as the aggregator itself writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from feeds.model import Article
from feeds.store import Store
from feeds.store.articles import list_articles
from feeds.store.sources import SourceRecord, SourceSpec, add_source, find_source, sources


def add(store: Store, url: str, **spec: Any) -> SourceRecord:
    """Register ``url`` as a source (``spec``: the rest of its ``SourceSpec``), due at once."""
    with store._db.transaction() as conn:
        return add_source(conn, SourceSpec(url=url, **spec))


def make_due(store: Store) -> None:
    """Every source due now, as if its interval had passed."""
    with store._db.transaction() as conn:
        conn.execute(update(sources).values(next_poll=datetime.now(UTC) - timedelta(seconds=1)))


def stored(store: Store) -> list[Article]:
    """Every stored article, newest first."""
    with store._db.reading() as conn:
        return list_articles(conn)


def source(store: Store, ref: str | int) -> SourceRecord:
    """The source ``ref`` (id or URL) as stored now."""
    with store._db.reading() as conn:
        found = find_source(conn, ref)
    assert found is not None
    return found
