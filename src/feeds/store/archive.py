"""Queries for RFC 5005 archives: which months have stories, and a page of a month.

Only the newsroom's own visible stories, chosen by the rule the live feeds use
(``feeds.store.visibility.visible_in``): an archive never shows what the current feed
would hide. A month also stays an archive month once a story in it was retracted after being
public, so that its archive keeps the story's tombstone (``feeds.store.tombstones``) and
its URL never turns into a 404.

A month is read a page at a time (``page_slots``): its *slots* are its visible stories and
its public retractions, newest first, and page ``n`` holds slots ``(n-1)*size`` to
``n*size - 1``. A retracted story keeps its slot (its page shows its tombstone), so a
retraction changes one page and moves no story to another; the pages of a complete month
change only when a story is added to it or edited into or out of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from feeds.feedkeys import FeedScope
from feeds.model import Article, Status, article_from_dict
from feeds.store.schema import articles
from feeds.store.visibility import in_scope, public_retraction, visible_at, visible_in

__all__ = [
    "Slot",
    "archive_months",
    "month_bounds",
    "month_of",
    "months_with_stories",
    "page_count",
    "page_slots",
]

Month = tuple[int, int]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def month_of(when: datetime) -> Month:
    """The month (UTC) ``when`` falls in."""
    utc = when.astimezone(UTC)
    return (utc.year, utc.month)


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
        found.add(month_of(first))
        start = month_bounds(*month_of(first))[1]


def months_with_stories(conn: Connection, lang: str, now: datetime) -> list[Month]:
    """``(year, month)`` of every month with a visible story in ``lang``, oldest first."""
    return sorted(_months(conn, _own_stories(lang, now)))


def archive_months(conn: Connection, lang: str, now: datetime) -> list[Month]:
    """Months with a visible own story in ``lang`` or a public retraction of one, oldest
    first: every month that has (or had) an archive."""
    retracted = _months(conn, and_(public_retraction(), in_scope(FeedScope(lang))))
    return sorted(set(months_with_stories(conn, lang, now)) | retracted)


@dataclass(frozen=True)
class Slot:
    """One place on a month's page: a visible story, or a story retracted after it was
    public (``retracted_at`` set: its tombstone)."""

    article: Article
    retracted_at: datetime | None


def _slots(lang: str, month: Month, now: datetime) -> list[ColumnElement[bool]]:
    start, end = month_bounds(*month)
    a = articles.c
    return [
        in_scope(FeedScope(lang)),
        a.published >= start,
        a.published < end,
        or_(visible_at(now), public_retraction()),
    ]


def page_slots(
    conn: Connection, lang: str, month: Month, page: int, size: int, now: datetime
) -> tuple[list[Slot], bool]:
    """Page ``page`` (1: the newest) of ``month``'s slots in ``lang``, newest first, and
    whether an older page follows. One index range in feed order
    (``ix_articles_scope``), skipping the newer pages' slots without reading their
    documents."""
    a = articles.c
    rows = conn.execute(
        select(a.status, a.retracted_at, a.document)
        .where(*_slots(lang, month, now))
        .order_by(a.published.desc(), a.id.desc())
        .limit(size + 1)
        .offset((page - 1) * size)
    ).all()
    slots = [
        Slot(
            article_from_dict(json.loads(row.document)),
            row.retracted_at if row.status == Status.RETRACTED.value else None,
        )
        for row in rows[:size]
    ]
    return slots, len(rows) > size


def page_count(conn: Connection, lang: str, month: Month, size: int, now: datetime) -> int:
    """How many pages ``month`` has in ``lang`` (0: none, it is no archive month)."""
    found = conn.execute(
        select(func.count()).select_from(articles).where(*_slots(lang, month, now))
    ).scalar_one()
    return (int(found) + size - 1) // size
