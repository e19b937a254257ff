"""The stored stories, oldest first, as the write path's rows: for migrations that give
stories stored before them what the write path now writes for every story."""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlalchemy as sa

from feeds.articlerows import ArticleRow, article_row
from feeds.model import article_from_dict

__all__ = ["stored_rows", "story_id"]

_BATCH = 500
_STORIES = sa.table("articles", sa.column("id"), sa.column("published"), sa.column("document"))


def stored_rows(
    conn: sa.Connection, only: sa.ColumnElement[bool] | None = None
) -> Iterator[list[ArticleRow]]:
    """Batches of the stories (``only`` those, if given), oldest first; a batch may be
    written before the next is read (keyset pages, not one open cursor)."""
    after: tuple[object, str] | None = None
    while True:
        stmt = sa.select(_STORIES.c.published, _STORIES.c.id, _STORIES.c.document)
        if only is not None:
            stmt = stmt.where(only)
        if after is not None:
            stmt = stmt.where(
                sa.tuple_(_STORIES.c.published, _STORIES.c.id) > sa.tuple_(*map(sa.literal, after))
            )
        found = conn.execute(stmt.order_by(_STORIES.c.published, _STORIES.c.id).limit(_BATCH)).all()
        if not found:
            return
        yield [article_row(article_from_dict(json.loads(r.document))) for r in found]
        after = (found[-1].published, found[-1].id)


def story_id() -> sa.ColumnClause[str]:
    """The stories' id column, for an ``only`` condition."""
    return _STORIES.c.id
