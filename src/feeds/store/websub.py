"""The WebSub outbox: feeds to announce to the hubs, kept in the store so none is lost.

``enqueue`` runs inside the transaction that writes articles (called from
``feeds.store.writes``), so a story is never committed without the notification of its
feeds, and a notification never survives a rolled-back write.

A row names one feed by its outbox key (``feeds.feedkeys.FeedKey.outbox_key``), a feed
independent of format and host: ``en``, ``en/section/politics``, ``en/tag/elections``,
``en/author/anna-petrosyan``, ``en/aggregated``. The notifier (``feeds.syndicate.notifier``)
turns a key into topic URLs (one per format) and posts them to every configured hub,
recording in ``done`` which ``hub topic`` pairs succeeded, so a retry only repeats what
failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    or_,
    select,
    update,
)

from feeds.store.engine import Database
from feeds.store.schema import metadata
from feeds.store.types import UTCDateTime

__all__ = [
    "Outbox",
    "OutboxRow",
    "any_due",
    "claim_due",
    "enqueue",
    "finish",
    "pending",
    "reschedule",
]

websub_outbox = Table(
    "websub_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_key", String(500), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("done", Text, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("gave_up_at", UTCDateTime, nullable=True),
    Index("ix_websub_outbox_due", "gave_up_at", "next_attempt_at"),
)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    feed_key: str
    attempts: int
    done: frozenset[str]


def enqueue(conn: Connection, keys: Iterable[str], when: datetime, now: datetime) -> None:
    """Add ``keys`` to the outbox, due at ``when``.

    A key already waiting for the same moment (due now and untried, or due at the same
    embargo time) is not added twice: one announcement covers both changes.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return
    o = websub_outbox.c
    same_time = o.next_attempt_at <= now if when <= now else o.next_attempt_at == when
    waiting = set(
        conn.execute(
            select(o.feed_key).where(
                o.feed_key.in_(wanted),
                o.attempts == 0,
                o.locked_until.is_(None),
                o.gave_up_at.is_(None),
                same_time,
            )
        ).scalars()
    )
    rows = [
        {
            "feed_key": key,
            "created_at": now,
            "next_attempt_at": when,
            "attempts": 0,
            "done": "[]",
        }
        for key in wanted
        if key not in waiting
    ]
    if rows:
        conn.execute(insert(websub_outbox), rows)


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether a row is waiting for a worker: a read, so an idle poll takes no write lock."""
    o = websub_outbox.c
    free = or_(o.locked_until.is_(None), o.locked_until < now)
    row = conn.execute(
        select(o.id).where(o.gave_up_at.is_(None), o.next_attempt_at <= now, free).limit(1)
    ).first()
    return row is not None


def claim_due(
    conn: Connection, now: datetime, lease: timedelta, limit: int = 100
) -> list[OutboxRow]:
    """Rows due at ``now`` that no other worker holds, leased to the caller for ``lease``.

    A worker that dies mid-delivery loses its lease when it runs out, and another worker
    (or the same one after a restart) delivers the row.
    """
    o = websub_outbox.c
    free = or_(o.locked_until.is_(None), o.locked_until < now)
    candidates = conn.execute(
        select(o.id, o.feed_key, o.attempts, o.done)
        .where(o.gave_up_at.is_(None), o.next_attempt_at <= now, free)
        .order_by(o.next_attempt_at, o.id)
        .limit(limit)
    ).all()
    claimed = []
    for row in candidates:
        taken = conn.execute(
            update(websub_outbox).where(o.id == row.id, free).values(locked_until=now + lease)
        )
        if taken.rowcount == 1:
            claimed.append(
                OutboxRow(row.id, row.feed_key, row.attempts, frozenset(json.loads(row.done)))
            )
    return claimed


def finish(conn: Connection, row_id: int, now: datetime | None = None) -> None:
    """Every hub took every topic of the row: forget it (the console's delivery log keeps
    its feed and when)."""
    from feeds.store.activity import record_delivered  # activity reads this table

    o = websub_outbox.c
    gone = conn.execute(
        delete(websub_outbox).where(o.id == row_id).returning(o.feed_key, o.attempts)
    ).first()
    if gone is not None:
        record_delivered(conn, gone.feed_key, now or datetime.now(UTC), gone.attempts + 1)


def reschedule(
    conn: Connection,
    row_id: int,
    *,
    done: Iterable[str],
    error: str,
    next_attempt_at: datetime,
    gave_up_at: datetime | None = None,
) -> None:
    """Some hub failed: remember what succeeded and when to try the rest again."""
    conn.execute(
        update(websub_outbox)
        .where(websub_outbox.c.id == row_id)
        .values(
            attempts=websub_outbox.c.attempts + 1,
            done=json.dumps(sorted(done)),
            last_error=error[:2000],
            next_attempt_at=next_attempt_at,
            locked_until=None,
            gave_up_at=gave_up_at,
        )
    )


def pending(conn: Connection) -> list[tuple[str, int, datetime, str | None]]:
    """``(feed key, attempts, next attempt, last error)`` of every row not given up."""
    o = websub_outbox.c
    rows = conn.execute(
        select(o.feed_key, o.attempts, o.next_attempt_at, o.last_error)
        .where(o.gave_up_at.is_(None))
        .order_by(o.next_attempt_at, o.feed_key)
    ).all()
    return [(r.feed_key, r.attempts, r.next_attempt_at, r.last_error) for r in rows]


class Outbox:
    """The WebSub outbox as the notifier uses it: ``Store.outbox``. Each call is one
    transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 100) -> list[OutboxRow]:
        """Lease the rows due at ``now`` (see ``claim_due``). Nothing due is found by a read,
        so an idle notifier takes no write lock."""
        with self._db.reading() as conn:
            if not any_due(conn, now):
                return []
        with self._db.transaction() as conn:
            return claim_due(conn, now, lease, limit)

    def finish(self, row_id: int) -> None:
        """Every hub took every topic of the row: forget it."""
        with self._db.transaction() as conn:
            finish(conn, row_id)

    def reschedule(
        self,
        row_id: int,
        *,
        done: Iterable[str],
        error: str,
        next_attempt_at: datetime,
        gave_up_at: datetime | None = None,
    ) -> None:
        """Some hub failed: remember what succeeded and when to try the rest again."""
        with self._db.transaction() as conn:
            reschedule(
                conn,
                row_id,
                done=done,
                error=error,
                next_attempt_at=next_attempt_at,
                gave_up_at=gave_up_at,
            )

    def pending(self) -> list[tuple[str, int, datetime, str | None]]:
        """``(feed key, attempts, next attempt, last error)`` of every row not given up."""
        with self._db.reading() as conn:
            return pending(conn)
