"""Reading articles on an open connection, and the store's revision counter.

Articles are written by ``feeds.store.writes``. These functions take a ``Connection``;
``Store`` wraps them for everyone else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, func, or_, select, update

from feeds.feedkeys import FeedScope
from feeds.model import Article, Status, article_from_dict
from feeds.store.schema import (
    article_authors,
    article_tags,
    articles,
    store_state,
)
from feeds.store.visibility import embargoed_at, visible_in

# Facet rows per batch of a tag's or an author's feed (ids bound in one IN list).
_FACET_BATCH = 500


def bump_revision(conn: Connection, now: datetime) -> int:
    """Count one more write, made at ``now``; returns the new revision. Call once per
    write transaction, and touch the scopes the write changes (``scopes.touch``;
    ``writes.write_rows`` does for the stories it writes): a write that touches none
    makes every web process render everything again."""
    conn.execute(
        update(store_state)
        .where(store_state.c.id == 1)
        .values(revision=store_state.c.revision + 1, changed_at=now)
    )
    return int(conn.execute(select(store_state.c.revision)).scalar_one())


def load_article(conn: Connection, article_id: str) -> Article | None:
    document = conn.execute(select(articles.c.document).where(articles.c.id == article_id)).scalar()
    return _decode(document) if document is not None else None


def load_document(conn: Connection, article_id: str) -> dict[str, Any] | None:
    """The stored JSON document of a story, as plain data (None: no such story)."""
    document = conn.execute(select(articles.c.document).where(articles.c.id == article_id)).scalar()
    if document is None:
        return None
    found: dict[str, Any] = json.loads(document)
    return found


def _decode(document: str) -> Article:
    return article_from_dict(json.loads(document))


def list_visible(
    conn: Connection, scope: FeedScope, now: datetime, limit: int, since: datetime | None = None
) -> list[Article]:
    """The stories of ``scope`` visible at ``now``: newest first, at most ``limit``,
    published at or after ``since`` when it is given.

    Any scope but a tag's or an author's walks an index of ``articles`` in feed order
    (``ix_articles_scope``, ``ix_articles_section``, ``ix_articles_published``) and stops
    at ``limit`` instead of sorting the whole scope; those two start from their facet's
    index (``_facet_walk``).
    """
    facet = _facet_of(scope)
    if facet is not None:
        return _facet_walk(conn, *facet, scope, now, limit, since)
    stmt = select(articles.c.document).where(visible_in(scope, now))
    if since is not None:
        stmt = stmt.where(articles.c.published >= since)
    stmt = stmt.order_by(articles.c.published.desc(), articles.c.id.desc()).limit(limit)
    return [_decode(doc) for doc in conn.execute(stmt).scalars()]


def _facet_walk(
    conn: Connection,
    table: Table,
    slug: str,
    scope: FeedScope,
    now: datetime,
    limit: int,
    since: datetime | None,
) -> list[Article]:
    """``list_visible`` for a tag's or an author's scope: that facet's stories newest
    first from its own index (which holds each story's publication time), a batch at a
    time, each batch's visible ones read by id, until ``limit`` are found.

    In one statement joining the facet to ``articles``, both databases started from the
    articles of the scope and sorted them all (the facet's rows are a few hundredth of it).
    """
    t = table.c
    batch = min(2 * max(limit, 25), _FACET_BATCH)
    found: list[Article] = []
    last: tuple[datetime, str] | None = None
    while len(found) < limit:
        page = select(t.article_id, t.published).where(t.slug == slug, t.published <= now)
        if since is not None:
            page = page.where(t.published >= since)
        if last is not None:
            page = page.where(
                or_(t.published < last[0], and_(t.published == last[0], t.article_id < last[1]))
            )
        page = page.order_by(t.published.desc(), t.article_id.desc()).limit(batch)
        rows = conn.execute(page).all()
        if not rows:
            break
        # The batch as a derived table joined to ``articles`` by id: with the ids in an
        # IN list beside the visibility rule, SQLite walked the scope's index instead.
        ids = page.subquery("page")
        visible = (
            select(articles.c.id, articles.c.document)
            .select_from(ids.join(articles, articles.c.id == ids.c.article_id))
            .where(visible_in(scope, now))
        )
        documents = {str(i): str(doc) for i, doc in conn.execute(visible)}
        found += [_decode(documents[r.article_id]) for r in rows if r.article_id in documents]
        if len(rows) < batch:
            break
        last = (rows[-1].published, rows[-1].article_id)
    return found[:limit]


def _facet_of(scope: FeedScope) -> tuple[Table, str] | None:
    """The tag or author table a scope's read starts from, and the slug; None without."""
    if scope.tag is not None:
        return article_tags, scope.tag
    if scope.author is not None:
        return article_authors, scope.author
    return None


def next_publication(conn: Connection, now: datetime) -> datetime | None:
    """When the next scheduled (embargoed) story becomes visible, if any is waiting."""
    return conn.execute(select(func.min(articles.c.published)).where(embargoed_at(now))).scalar()


def list_articles(
    conn: Connection, *, statuses: Sequence[Status] | None = None, limit: int = 1000
) -> list[Article]:
    """Every stored article (any status), newest first: for operators, never for feeds."""
    stmt = select(articles.c.document).order_by(articles.c.published.desc(), articles.c.id.desc())
    if statuses:
        stmt = stmt.where(articles.c.status.in_([s.value for s in statuses]))
    return [_decode(doc) for doc in conn.execute(stmt.limit(limit)).scalars()]
