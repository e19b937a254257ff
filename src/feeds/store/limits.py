"""State that every process on one database shares: rate-limit buckets and host pauses.

A partner's rate limit must hold however many web workers answer it, and a host that
answered 429 with ``Retry-After`` must be left alone by every aggregator daemon, not
only the one that was told. Both live here, in the database the deployment already
has, so the embedded default (one SQLite file) needs nothing else to run.

``take`` is one short write transaction (a row lock on PostgreSQL, the write lock on
SQLite); callers take tokens in batches (``feeds.syndicate.ratelimit``) so that a busy
partner costs a write every few requests, not on each one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Double, Index, String, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from feeds.store.engine import Database
from feeds.store.schema import metadata
from feeds.store.types import UTCDateTime

__all__ = ["Grant", "Limits", "host_pauses", "rate_buckets"]

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tokens", Double, nullable=False),
    Column("updated_at", Double, nullable=False),  # seconds since the epoch
)

host_pauses = Table(
    "host_pauses",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("paused_until", UTCDateTime, nullable=False),
    Index("ix_host_pauses_paused_until", "paused_until"),
)


@dataclass(frozen=True)
class Grant:
    """What a bucket gave: ``tokens`` (0 to the number asked for) and, when it gave
    none, how many seconds until one is there."""

    tokens: int
    wait: float


def _insert_missing(conn: Connection, table: Table, values: dict[str, object]) -> None:
    """Insert ``values`` unless the row is there (another process may insert it too)."""
    stmt = pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)
    conn.execute(stmt.values(**values).on_conflict_do_nothing())


def take_tokens(
    conn: Connection,
    key: str,
    capacity: float,
    per_second: float,
    want: int,
    now: float,
    give_back: int = 0,
) -> Grant:
    """Up to ``want`` tokens from bucket ``key`` (full at ``capacity``, refilled at
    ``per_second``), as of ``now`` (epoch seconds), after putting back ``give_back``
    tokens taken earlier and not spent. Call inside a write transaction."""
    _insert_missing(conn, rate_buckets, {"key": key, "tokens": capacity, "updated_at": now})
    query = select(rate_buckets.c.tokens, rate_buckets.c.updated_at).where(
        rate_buckets.c.key == key
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one()
    # A clock that went back (another host's) refills nothing rather than going negative.
    elapsed = max(0.0, now - float(row.updated_at))
    tokens = min(capacity, float(row.tokens) + elapsed * per_second + give_back)
    granted = max(0, min(want, int(tokens)))
    left = tokens - granted
    conn.execute(
        update(rate_buckets)
        .where(rate_buckets.c.key == key)
        .values(tokens=left, updated_at=max(now, float(row.updated_at)))
    )
    wait = 0.0 if granted else (1.0 - left) / per_second
    return Grant(granted, wait)


def bucket_wait(
    conn: Connection, key: str, capacity: float, per_second: float, now: float
) -> float:
    """Seconds until bucket ``key`` holds a whole token again, without taking any (0: it
    has one now, or was never drawn from)."""
    row = conn.execute(
        select(rate_buckets.c.tokens, rate_buckets.c.updated_at).where(rate_buckets.c.key == key)
    ).first()
    if row is None:
        return 0.0
    elapsed = max(0.0, now - float(row.updated_at))
    tokens = min(capacity, float(row.tokens) + elapsed * per_second)
    return 0.0 if tokens >= 1 else (1.0 - tokens) / per_second


def pause_host(conn: Connection, host: str, until: datetime) -> None:
    """Leave ``host`` alone until ``until`` (a later pause already there stays)."""
    _insert_missing(conn, host_pauses, {"host": host, "paused_until": until})
    conn.execute(
        update(host_pauses)
        .where(host_pauses.c.host == host, host_pauses.c.paused_until < until)
        .values(paused_until=until)
    )


def paused_hosts(conn: Connection, now: datetime) -> dict[str, datetime]:
    rows = conn.execute(
        select(host_pauses.c.host, host_pauses.c.paused_until).where(
            host_pauses.c.paused_until > now
        )
    ).all()
    return {str(row.host): row.paused_until for row in rows}


class Limits:
    """Rate-limit buckets and host pauses: ``Store.limits``. Each call is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def take(
        self,
        key: str,
        capacity: float,
        per_second: float,
        want: int,
        now: float,
        give_back: int = 0,
    ) -> Grant:
        """Up to ``want`` tokens from the shared bucket ``key`` (see ``take_tokens``)."""
        with self._db.transaction() as conn:
            return take_tokens(conn, key, capacity, per_second, want, now, give_back)

    def wait(self, key: str, capacity: float, per_second: float, now: float) -> float:
        """Seconds until the shared bucket ``key`` has a token (see ``bucket_wait``)."""
        with self._db.reading() as conn:
            return bucket_wait(conn, key, capacity, per_second, now)

    def refill(self, keys: Iterable[str]) -> None:
        """Buckets ``keys`` full again (their rows forgotten: a missing bucket is full)."""
        with self._db.transaction() as conn:
            conn.execute(delete(rate_buckets).where(rate_buckets.c.key.in_(list(keys))))

    def pause_hosts(self, pauses: Iterable[tuple[str, datetime]], now: datetime) -> None:
        """Record that each host asked to be left alone until its time; pauses over by
        ``now`` are forgotten (the table holds only hosts that asked lately)."""
        with self._db.transaction() as conn:
            conn.execute(delete(host_pauses).where(host_pauses.c.paused_until <= now))
            for host, until in pauses:
                pause_host(conn, host, until)

    def paused_hosts(self, now: datetime) -> dict[str, datetime]:
        """Every host paused after ``now``, with the time its pause ends."""
        with self._db.reading() as conn:
            return paused_hosts(conn, now)
