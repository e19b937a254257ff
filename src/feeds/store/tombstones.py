"""Stories retracted after they had been public: Atom feeds and archives keep a tombstone
for each (RFC 6721)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, select

from feeds.model import Article, article_from_dict
from feeds.store.schema import articles
from feeds.store.visibility import public_retraction

__all__ = ["retracted", "retracted_since"]


def retracted(conn: Connection, *, since: datetime) -> list[tuple[Article, datetime]]:
    """``(story, retracted_at)`` of public retractions at or after ``since``, newest
    retraction first. (An archive page reads its own with its stories:
    ``feeds.store.archive``.)"""
    a = articles.c
    conditions = [public_retraction(), a.retracted_at >= since]
    rows = conn.execute(
        select(a.document, a.retracted_at).where(*conditions).order_by(a.retracted_at.desc(), a.id)
    ).all()
    return [(article_from_dict(json.loads(row.document)), row.retracted_at) for row in rows]


def retracted_since(conn: Connection, since: datetime) -> list[tuple[Article, datetime]]:
    """Public retractions at or after ``since`` (the live feeds' recent tombstones)."""
    return retracted(conn, since=since)
