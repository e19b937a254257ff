"""The visibility and membership rules in SQL: the one place the store turns them into WHERE.

``feeds.model.is_visible`` (may the public see a story now) and ``feeds.feedkeys.is_member``
(is a story in a scope) are the rules; this module says the same over the ``articles``
columns, and every read that serves the public goes through ``visible_in``: the live feeds,
partner feeds, monthly archives, pages, sitemaps and the image gate. ``tests/test_feed_rules.py``
checks on SQLite and PostgreSQL that the SQL and the Python agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, FromClause, and_, exists, or_, true

from feeds.feedkeys import FeedScope
from feeds.model import VISIBLE_STATUSES, Status
from feeds.store.schema import article_authors, article_languages, article_tags, articles

__all__ = [
    "VISIBLE",
    "embargoed_at",
    "in_scope",
    "never_public",
    "public_retraction",
    "visible_at",
    "visible_in",
]

# Status values as stored; sorted so that generated SQL is the same on every run.
VISIBLE = tuple(sorted(s.value for s in VISIBLE_STATUSES))
_NEVER_ALONE = tuple(sorted(s.value for s in Status if s not in VISIBLE_STATUSES))


def visible_at(now: datetime, table: FromClause = articles) -> ColumnElement[bool]:
    """``feeds.model.is_visible`` in SQL: a public status and its time has come (on
    ``table``, ``articles`` or an alias of it)."""
    a = table.c
    return and_(a.status.in_(VISIBLE), a.published <= now)


def embargoed_at(now: datetime) -> ColumnElement[bool]:
    """Not visible at ``now`` only because its time has not come (it will be, by itself)."""
    a = articles.c
    return and_(a.status.in_(VISIBLE), a.published > now)


def never_public() -> ColumnElement[bool]:
    """Not visible whatever the time (drafts, retractions): only a write changes that.

    With ``embargoed_at`` this is the whole complement of ``visible_at``.
    """
    return articles.c.status.in_(_NEVER_ALONE)


def in_scope(scope: FeedScope) -> ColumnElement[bool]:
    """``feeds.feedkeys.is_member`` in SQL. Slugs are compared, never display names."""
    a = articles.c
    conditions: list[ColumnElement[bool]] = []
    if scope.lang is not None:
        conditions.append(
            exists().where(
                and_(article_languages.c.article_id == a.id, article_languages.c.lang == scope.lang)
            )
        )
    if scope.own != scope.aggregated:
        conditions.append(a.aggregated == scope.aggregated)
    if scope.source_id is not None:
        conditions.append(a.source_id == scope.source_id)
    if scope.section is not None:
        conditions.append(a.section_slug == scope.section)
    if scope.tag is not None:
        conditions.append(
            exists().where(
                and_(article_tags.c.article_id == a.id, article_tags.c.slug == scope.tag)
            )
        )
    if scope.author is not None:
        conditions.append(
            exists().where(
                and_(article_authors.c.article_id == a.id, article_authors.c.slug == scope.author)
            )
        )
    if scope.sections or scope.tags:
        conditions.append(
            or_(a.section_slug.in_(sorted(scope.sections)), _has_tag_in(sorted(scope.tags)))
        )
    return and_(true(), *conditions)


def _has_tag_in(slugs: list[str]) -> ColumnElement[bool]:
    t = article_tags.c
    return exists().where(and_(t.article_id == articles.c.id, t.slug.in_(slugs)))


def visible_in(scope: FeedScope, now: datetime) -> ColumnElement[bool]:
    """The stories of ``scope`` the public may see at ``now``: the WHERE of every public read."""
    return and_(visible_at(now), in_scope(scope))


def public_retraction() -> ColumnElement[bool]:
    """A retracted story that had been public (published before its retraction): one a
    reader or partner may have copied, so feeds and archives keep its tombstone
    (RFC 6721). Drafts withdrawn before their time are not."""
    a = articles.c
    return and_(a.status == Status.RETRACTED.value, a.published <= a.retracted_at)
