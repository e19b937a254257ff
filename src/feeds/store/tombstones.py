"""Stories retracted recently: the Atom feeds keep a tombstone for each (RFC 6721)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, select

from feeds.model import Article, Status, article_from_dict
from feeds.store.schema import articles

__all__ = ["retracted_since"]


def retracted_since(conn: Connection, since: datetime) -> list[tuple[Article, datetime]]:
    """``(story, retracted_at)`` for stories retracted at or after ``since`` that had been
    public (published before their retraction), newest retraction first."""
    a = articles.c
    rows = conn.execute(
        select(a.document, a.retracted_at)
        .where(
            a.status == Status.RETRACTED.value,
            a.retracted_at >= since,
            a.published <= a.retracted_at,
        )
        .order_by(a.retracted_at.desc(), a.id)
    ).all()
    return [(article_from_dict(json.loads(row.document)), row.retracted_at) for row in rows]
