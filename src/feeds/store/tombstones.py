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


def retracted(
    conn: Connection,
    *,
    since: datetime | None = None,
    published: tuple[datetime, datetime] | None = None,
) -> list[tuple[Article, datetime]]:
    """``(story, retracted_at)`` of public retractions, newest retraction first: those
    retracted at or after ``since``, and/or published in ``[start, end)``."""
    a = articles.c
    conditions = [public_retraction()]
    if since is not None:
        conditions.append(a.retracted_at >= since)
    if published is not None:
        conditions += [a.published >= published[0], a.published < published[1]]
    rows = conn.execute(
        select(a.document, a.retracted_at).where(*conditions).order_by(a.retracted_at.desc(), a.id)
    ).all()
    return [(article_from_dict(json.loads(row.document)), row.retracted_at) for row in rows]


def retracted_since(conn: Connection, since: datetime) -> list[tuple[Article, datetime]]:
    """Public retractions at or after ``since`` (the live feeds' recent tombstones)."""
    return retracted(conn, since=since)
