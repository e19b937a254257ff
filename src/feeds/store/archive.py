"""Queries for RFC 5005 archives: which months have stories, and a month's stories.

Only the newsroom's own visible stories, chosen by the rule the live feeds use
(``feeds.store.visibility.visible_in``): an archive never shows what the current feed
would hide. A month also stays an archive month once a story in it was retracted after being
public, so that its archive keeps the story's tombstone (``feeds.store.tombstones``) and
its URL never turns into a 404.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, and_, select

from feeds.feedkeys import FeedScope
from feeds.model import Article, article_from_dict
from feeds.store.schema import articles
from feeds.store.visibility import in_scope, public_retraction, visible_in

__all__ = ["archive_months", "month_bounds", "months_with_stories", "stories_in_month"]

Month = tuple[int, int]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _own_stories(lang: str, now: datetime) -> ColumnElement[bool]:
    return visible_in(FeedScope(lang), now)


def _months(conn: Connection, where: ColumnElement[bool]) -> set[Month]:
    """The months (UTC) of the stories ``where`` selects, found by jumping from each
    month's first story to the next month: one short read per month, however many stories
    a month holds (reading every story's date cost a full scan of the scope)."""
    a = articles.c
    found: set[Month] = set()
    start: datetime | None = None
    while True:
        conditions = [where] if start is None else [where, a.published >= start]
        first = conn.execute(
            # By time only (the month is all that is kept): the retractions' walk can then
            # use ix_articles_visible (aggregated, status, published) in order; sorting by
            # id too made SQLite walk every own story when the language had no retraction.
            select(a.published).where(*conditions).order_by(a.published).limit(1)
        ).scalar()
        if first is None:
            return found
        when = first.astimezone(UTC)
        found.add((when.year, when.month))
        start = month_bounds(when.year, when.month)[1]


def months_with_stories(conn: Connection, lang: str, now: datetime) -> list[Month]:
    """``(year, month)`` of every month with a visible story in ``lang``, oldest first."""
    return sorted(_months(conn, _own_stories(lang, now)))


def archive_months(conn: Connection, lang: str, now: datetime) -> list[Month]:
    """Months with a visible own story in ``lang`` or a public retraction of one, oldest
    first: every month that has (or had) an archive."""
    retracted = _months(conn, and_(public_retraction(), in_scope(FeedScope(lang))))
    return sorted(set(months_with_stories(conn, lang, now)) | retracted)


def stories_in_month(
    conn: Connection, lang: str, year: int, month: int, now: datetime
) -> list[Article]:
    """Every visible story of ``lang`` published in that month (UTC), newest first."""
    start, end = month_bounds(year, month)
    a = articles.c
    rows = conn.execute(
        select(a.document)
        .where(_own_stories(lang, now), a.published >= start, a.published < end)
        .order_by(a.published.desc(), a.id.desc())
    ).scalars()
    return [article_from_dict(json.loads(doc)) for doc in rows]
