"""What the operator console shows of the site's traffic: partners' requests per day (and
how many were refused with 429), the last ingests (who sent which story, what changed) and
the WebSub notifications delivered.

Each is a small log. Partner usage is one row per partner and UTC day, added to in
batches (the web process counts in memory and flushes, so a partner request never waits
for a write). The ingest and delivery logs keep their newest ``KEEP_INGESTS`` and
``KEEP_DELIVERED`` rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    case,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from feeds.store.engine import Database
from feeds.store.schema import ingest_log, partner_usage, websub_delivered
from feeds.store.websub import websub_outbox

__all__ = [
    "Activity",
    "Delivery",
    "IngestRow",
    "PartnerDay",
    "Usage",
    "changed_fields",
    "record_delivered",
    "record_ingest",
]

KEEP_INGESTS = 500
KEEP_DELIVERED = 500


@dataclass(frozen=True)
class PartnerDay:
    partner: str
    day: date
    requests: int
    throttled: int
    last_at: datetime


@dataclass(frozen=True)
class IngestRow:
    at: datetime
    who: str
    article_id: str
    action: str  # "created", "updated", "unchanged", "retracted"
    changed: tuple[str, ...]  # the fields that differ from the stored story


@dataclass(frozen=True)
class Delivery:
    feed_key: str
    delivered_at: datetime
    attempts: int


@dataclass(frozen=True)
class OutboxEntry:
    """A notification not yet delivered to every hub (``gave_up_at``: tried for good)."""

    feed_key: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    gave_up_at: datetime | None


@dataclass(frozen=True)
class Usage:
    """Requests counted in memory since the last flush, for one partner and day."""

    requests: int
    throttled: int
    last_at: datetime


def _trim(conn: Connection, table: Table, keep: int) -> None:
    cutoff = conn.execute(
        select(table.c.id).order_by(table.c.id.desc()).offset(keep).limit(1)
    ).scalar()
    if cutoff is not None:
        conn.execute(delete(table).where(table.c.id <= cutoff))


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """What an ingest changed of a story's document: its top-level fields, and per
    translation ``lang.field`` (``lang`` alone when the translation came or went). Empty
    when the story is new or identical."""
    if before is None:
        return []
    found = [
        key
        for key in sorted(set(before) | set(after))
        if key != "translations" and before.get(key) != after.get(key)
    ]
    old, new = before.get("translations") or {}, after.get("translations") or {}
    for lang in sorted(set(old) | set(new)):
        if lang not in old or lang not in new:
            found.append(lang)
            continue
        fields = sorted(set(old[lang]) | set(new[lang]))
        found.extend(f"{lang}.{f}" for f in fields if old[lang].get(f) != new[lang].get(f))
    return found


def record_ingest(
    conn: Connection, at: datetime, who: str, article_id: str, action: str, changed: Sequence[str]
) -> None:
    """One ingest, in the transaction that wrote it."""
    conn.execute(
        insert(ingest_log).values(
            at=at,
            who=who[:100],
            article_id=article_id[:200],
            action=action,
            changed=json.dumps(list(changed)),
        )
    )
    _trim(conn, ingest_log, KEEP_INGESTS)


def record_delivered(conn: Connection, feed_key: str, at: datetime, attempts: int) -> None:
    """A notification every hub took, in the transaction that forgets its outbox row."""
    conn.execute(
        insert(websub_delivered).values(feed_key=feed_key, delivered_at=at, attempts=attempts)
    )
    _trim(conn, websub_delivered, KEEP_DELIVERED)


def add_usage(conn: Connection, counts: Mapping[tuple[str, date], Usage]) -> None:
    """Add to each partner's row of the day, made if missing. One upsert per row, so that
    workers flushing at once add up instead of one failing on the key."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for (partner, day), usage in counts.items():
        stmt = dialect_insert(partner_usage).values(
            partner=partner,
            day=day,
            requests=usage.requests,
            throttled=usage.throttled,
            last_at=usage.last_at,
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[partner_usage.c.partner, partner_usage.c.day],
                set_={
                    "requests": partner_usage.c.requests + stmt.excluded.requests,
                    "throttled": partner_usage.c.throttled + stmt.excluded.throttled,
                    "last_at": case(
                        (stmt.excluded.last_at > partner_usage.c.last_at, stmt.excluded.last_at),
                        else_=partner_usage.c.last_at,
                    ),
                },
            )
        )


class Activity:
    """Partner usage, the ingest log and WebSub deliveries: ``Store.activity``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_usage(self, counts: Mapping[tuple[str, date], Usage]) -> None:
        """Add requests counted in memory (per partner and UTC day) in one transaction."""
        if counts:
            with self._db.transaction() as conn:
                add_usage(conn, counts)

    def usage(self, partner: str | None = None, days: int = 14) -> list[PartnerDay]:
        """Per partner and day, newest day first (the last ``days`` days with requests)."""
        u = partner_usage.c
        stmt = select(u.partner, u.day, u.requests, u.throttled, u.last_at)
        if partner is not None:
            stmt = stmt.where(u.partner == partner)
        with self._db.reading() as conn:
            rows = conn.execute(stmt.order_by(u.day.desc(), u.partner).limit(days * 50)).all()
        found = [PartnerDay(*row) for row in rows]
        recent = sorted({d.day for d in found}, reverse=True)[:days]
        return [d for d in found if d.day in recent]

    def ingests(self, limit: int = 50) -> list[IngestRow]:
        i = ingest_log.c
        with self._db.reading() as conn:
            rows = conn.execute(
                select(i.at, i.who, i.article_id, i.action, i.changed)
                .order_by(i.id.desc())
                .limit(limit)
            ).all()
        return [
            IngestRow(r.at, r.who, r.article_id, r.action, tuple(json.loads(r.changed)))
            for r in rows
        ]

    def outbox(self, limit: int = 200) -> list[OutboxEntry]:
        """The outbox's rows, those given up and failing first, then by next attempt."""
        o = websub_outbox.c
        with self._db.reading() as conn:
            rows = conn.execute(
                select(
                    o.feed_key,
                    o.created_at,
                    o.attempts,
                    o.next_attempt_at,
                    o.last_error,
                    o.gave_up_at,
                )
                .order_by(o.gave_up_at.is_(None), o.attempts.desc(), o.next_attempt_at)
                .limit(limit)
            ).all()
        return [OutboxEntry(*row) for row in rows]

    def delivered(self, limit: int = 50) -> list[Delivery]:
        d = websub_delivered.c
        with self._db.reading() as conn:
            rows = conn.execute(
                select(d.feed_key, d.delivered_at, d.attempts).order_by(d.id.desc()).limit(limit)
            ).all()
        return [Delivery(*row) for row in rows]
