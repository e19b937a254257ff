"""Bulk insert of aggregated articles known to be new: the aggregator's cold-poll write path.

A first poll of a busy source brings dozens of stories at once, and a cold cycle brings
thousands. ``feeds.store.articles.write_article`` checks for an existing row, diffs WebSub
keys and inserts row by row; here the aggregator already knows every entry is new (from
``source_entries``, written in the same transaction), so a batch is a handful of
``executemany`` statements sent to the driver as they are.

The rows come as ``feeds.articlerows.NewArticle`` tuples built in the parse worker, so the
writing process (one thread for all polls on SQLite) only binds values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection

from feeds.articlerows import NewArticle
from feeds.store import websub
from feeds.store.bulk import insert_many
from feeds.store.schema import article_authors, article_languages, article_tags, articles

__all__ = ["insert_new_articles"]


_ARTICLE_COLUMNS = (
    "id",
    "status",
    "published",
    "updated",
    "section_slug",
    "aggregated",
    "source_id",
    "document",
    "revision",
    "created_at",
    "retracted_at",
)


def insert_new_articles(conn: Connection, batch: Sequence[NewArticle], revision: int) -> None:
    """Insert ``batch`` (none of them stored yet) and queue their WebSub announcements."""
    if not batch:
        return
    now = datetime.now(UTC)
    insert_many(
        conn,
        articles,
        _ARTICLE_COLUMNS,
        [
            (
                a.id,
                a.status,
                a.published,
                a.updated,
                a.section_slug,
                a.source_id is not None,
                a.source_id,
                a.document,
                revision,
                now,
                None,
            )
            for a in batch
        ],
    )
    insert_many(
        conn,
        article_languages,
        ("article_id", "lang"),
        [(a.id, lang) for a in batch for lang in a.languages],
    )
    insert_many(
        conn,
        article_tags,
        ("article_id", "slug", "label"),
        [(a.id, slug, label) for a in batch for slug, label in a.tags],
    )
    insert_many(
        conn,
        article_authors,
        ("article_id", "slug", "name"),
        [(a.id, slug, name) for a in batch for slug, name in a.authors],
    )
    # WebSub: the same announcements write_article queues, once for the whole batch.
    # A story dated a little ahead is announced when its time comes, as write_article does.
    due: dict[datetime, set[str]] = {}
    for article in batch:
        due.setdefault(max(now, article.published), set()).update(article.feed_keys)
    for when, keys in due.items():
        websub.enqueue(conn, keys, when, now)
