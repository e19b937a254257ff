"""Queries for RFC 5005 archives: which months have stories, and a month's stories.

Only the newsroom's own visible stories (the ones ``/{lang}/rss.xml`` shows): an archive
must never show what the current feed would hide.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, and_, exists, select

from feeds.model import Article, Status, article_from_dict
from feeds.store.schema import article_languages, articles

__all__ = ["month_bounds", "months_with_stories", "stories_in_month"]

_VISIBLE = (Status.PUBLISHED.value, Status.SCHEDULED.value)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _visible(lang: str, now: datetime) -> ColumnElement[bool]:
    a = articles.c
    return and_(
        a.aggregated.is_(False),
        a.status.in_(_VISIBLE),
        a.published <= now,
        exists().where(
            and_(article_languages.c.article_id == a.id, article_languages.c.lang == lang)
        ),
    )


def months_with_stories(conn: Connection, lang: str, now: datetime) -> list[tuple[int, int]]:
    """``(year, month)`` of every month with a visible story in ``lang``, oldest first."""
    dates = conn.execute(select(articles.c.published).where(_visible(lang, now))).scalars()
    return sorted({(d.year, d.month) for d in (v.astimezone(UTC) for v in dates)})


def stories_in_month(
    conn: Connection, lang: str, year: int, month: int, now: datetime
) -> list[Article]:
    """Every visible story of ``lang`` published in that month (UTC), newest first."""
    start, end = month_bounds(year, month)
    a = articles.c
    rows = conn.execute(
        select(a.document)
        .where(_visible(lang, now), a.published >= start, a.published < end)
        .order_by(a.published.desc(), a.id.desc())
    ).scalars()
    return [article_from_dict(json.loads(doc)) for doc in rows]
