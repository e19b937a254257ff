"""The recent polls of each source, for the operator console: one row per poll, the
newest ``KEEP`` per source.

The aggregator hands each poll's ``PollLog`` with its write (``sources.save_polls``), so
a poll's row is committed with the poll itself, and a batch of polls costs one insert and
one trimming delete. The trim numbers each listed source's rows newest first (a window
function, which SQLite and PostgreSQL both have) and deletes those past ``KEEP``: a
source polled every five minutes for a year still has ``KEEP`` rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    select,
)

from feeds.hygiene import clean_text
from feeds.pollrecords import PollLog
from feeds.store.engine import Database
from feeds.store.schema import source_polls

__all__ = ["KEEP", "PollHistory", "PollRow", "record_polls"]

KEEP = 50  # polls kept per source


_REASONS = 5  # refused entries' reasons kept per poll, each at most _REASON_CHARS
_REASON_CHARS = 300


@dataclass(frozen=True)
class PollRow:
    """One recorded poll."""

    polled_at: datetime
    outcome: str
    http_status: int | None
    duration_ms: int
    health: str
    new: int
    changed: int
    refused: int
    refused_reasons: tuple[str, ...]
    error: str | None


def record_polls(conn: Connection, polls: Sequence[tuple[int, datetime, PollLog]]) -> None:
    """Add ``(source id, polled at, log)`` rows, then trim those sources to ``KEEP``."""
    if not polls:
        return
    conn.execute(
        insert(source_polls),
        [
            {
                "source_id": source_id,
                "polled_at": at,
                "outcome": log.outcome[:32],
                "http_status": log.http_status,
                "duration_ms": max(0, round(log.duration * 1000)),
                "health": log.health[:16],
                "new": log.new,
                "changed": log.changed,
                "refused": log.refused,
                "refused_reasons": json.dumps(
                    [clean_text(r[:_REASON_CHARS]) for r in log.refused_reasons[:_REASONS]],
                    ensure_ascii=False,
                )
                if log.refused_reasons
                else "[]",
                # Errors quote what a server sent; PostgreSQL text cannot even hold a NUL.
                "error": clean_text(log.error[:2000]) if log.error else None,
            }
            for source_id, at, log in polls
        ],
    )
    ids = sorted({source_id for source_id, _, _ in polls})
    p = source_polls.c
    numbered = (
        select(
            p.id,
            func.row_number().over(partition_by=p.source_id, order_by=p.id.desc()).label("n"),
        )
        .where(p.source_id.in_(ids))
        .subquery()
    )
    old = select(numbered.c.id).where(numbered.c.n > KEEP)
    conn.execute(delete(source_polls).where(p.id.in_(old)))


def recent_polls(conn: Connection, source_id: int, limit: int = KEEP) -> list[PollRow]:
    p = source_polls.c
    rows = conn.execute(
        select(
            p.polled_at,
            p.outcome,
            p.http_status,
            p.duration_ms,
            p.health,
            p.new,
            p.changed,
            p.refused,
            p.refused_reasons,
            p.error,
        )
        .where(p.source_id == source_id)
        .order_by(p.id.desc())
        .limit(limit)
    ).all()
    return [
        PollRow(*row[:8], tuple(json.loads(row.refused_reasons or "[]")), row.error) for row in rows
    ]


def entries_per_day(conn: Connection, source_id: int, days: int, today: date) -> list[int]:
    """Entries first stored per day, the last ``days`` days up to ``today``, oldest first."""
    from feeds.store.sources import source_entries

    start = today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    seen = conn.execute(
        select(source_entries.c.first_seen).where(
            source_entries.c.source_id == source_id, source_entries.c.first_seen >= since
        )
    ).scalars()
    per_day = Counter(when.astimezone(UTC).date() for when in seen)
    return [per_day.get(start + timedelta(days=n), 0) for n in range(days)]


class PollHistory:
    """Recent polls and entries per day of a source: ``Store.polls``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def recent(self, source_id: int, limit: int = KEEP) -> list[PollRow]:
        """The source's recorded polls, newest first."""
        with self._db.reading() as conn:
            return recent_polls(conn, source_id, limit)

    def entries_per_day(self, source_id: int, days: int, today: date) -> list[int]:
        with self._db.reading() as conn:
            return entries_per_day(conn, source_id, days, today)
