"""The one article write path: ingest PUTs, ``feeds import`` and the aggregator all store
articles through ``write_rows``, a batch at a time.

A batch costs a handful of statements whatever its size: one lookup of the stories already
stored, one ``executemany`` INSERT for the new ones and one UPDATE for the others, their
languages, tags, authors and search text replaced, their story clusters assigned
(``store.clusters``), the counts per facet moved (``store.counts``), and the WebSub
announcements of the feeds that change queued in the same transaction, so a story is
never committed without them and they never survive a rolled-back write. The batch
touches the scopes it changed (``store.scopes``: the newsroom's stories, aggregated
ones, or both) under the caller's revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from feeds.articlerows import ArticleRow
from feeds.feedkeys import outbox_keys
from feeds.model import Article, Status, article_from_dict, is_visible
from feeds.store import bulk, clusters, counts, search, websub
from feeds.store.schema import article_authors, article_languages, article_tags, articles
from feeds.store.scopes import Scope, touch

__all__ = ["write_rows"]

_RETRACTED = Status.RETRACTED.value
# Ids per lookup or delete: well under SQLite's limit on bound parameters.
_CHUNK = 500


# Statements built once: SQLAlchemy then finds their compiled form without rebuilding a
# cache key on every batch.
_CHILDREN = (article_languages, article_tags, article_authors)
_LOOKUP = select(articles.c.id, articles.c.retracted_at, articles.c.document).where(
    articles.c.id.in_(bindparam("ids", expanding=True))
)
_INSERT = insert(articles)
_UPDATE = update(articles).where(articles.c.id == bindparam("key"))
_DELETE = {
    table: delete(table).where(table.c.article_id.in_(bindparam("ids", expanding=True)))
    for table in _CHILDREN
}


class _Stored(NamedTuple):
    retracted_at: datetime | None
    article: Article


def write_rows(
    conn: Connection, rows: Sequence[ArticleRow], revision: int, now: datetime
) -> list[bool]:
    """Insert or replace the article of every row under ``revision`` (the caller bumps it
    once per transaction) at ``now`` (the store's clock); per row, whether its story was new.

    A story given twice is written twice, in order, as two single writes would be.
    """
    created = [False] * len(rows)
    changed: set[Scope] = set()
    for positions in _rounds(rows):
        batch = [rows[i] for i in positions]
        written = _write_batch(conn, batch, revision, now, changed)
        for i, new in zip(positions, written, strict=True):
            created[i] = new
    touch(conn, changed, revision)
    return created


def _scope(aggregated: bool) -> Scope:
    return Scope.AGGREGATED if aggregated else Scope.OWN


def _rounds(rows: Sequence[ArticleRow]) -> list[list[int]]:
    """Positions of ``rows`` in rounds where no story appears twice: the first write of
    each story, then the second, and so on."""
    times: dict[str, int] = {}
    rounds: list[list[int]] = []
    for i, row in enumerate(rows):
        n = times.get(row.id, 0)
        times[row.id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(i)
    return rounds


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _stored(conn: Connection, ids: Sequence[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(_LOOKUP, {"ids": chunk})
        found.update(
            (row.id, _Stored(row.retracted_at, article_from_dict(json.loads(row.document))))
            for row in rows
        )
    return found


def _write_batch(
    conn: Connection,
    batch: Sequence[ArticleRow],
    revision: int,
    now: datetime,
    changed: set[Scope],
) -> list[bool]:
    """Write ``batch``, in which no story appears twice; add to ``changed`` the scopes
    of its stories, before and after (a story replaced by one of the other origin
    leaves its old scope)."""
    stored = _stored(conn, [row.id for row in batch])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    due: dict[datetime, set[str]] = {}
    for row in batch:
        before = stored.get(row.id)
        changed.add(_scope(row.aggregated))
        if before is not None:
            changed.add(_scope(before.article.source is not None))
        _announce(due, before, row, now)
        values = {
            "status": row.status,
            "published": row.published,
            "updated": row.updated,
            "section_slug": row.section_slug,
            "aggregated": row.aggregated,
            "source_id": row.source_id,
            "document": row.document,
            "revision": revision,
            "retracted_at": _retracted_at(before, row, now),
        }
        if before is None:
            inserts.append({"id": row.id, "created_at": now, **values})
        else:
            updates.append({"key": row.id, **values})
    # What the replaced stories counted, read before they are replaced (``store.counts``).
    delta = counts.of_rows(batch)
    delta.subtract(counts.tally_of(conn, [u["key"] for u in updates]))
    if inserts:
        conn.execute(_INSERT, inserts)
    if updates:
        conn.execute(_UPDATE, updates)
        for chunk in _chunks([u["key"] for u in updates]):
            for table in _CHILDREN:
                conn.execute(_DELETE[table], {"ids": chunk})
    langs = [(r.id, lang) for r in batch for lang in r.languages]
    bulk.insert_many(conn, article_languages, langs)
    # Tags and authors carry the story's publication time: their feeds walk it (schema).
    bound = bulk.bind(conn, article_tags.c.published)
    published = {r.id: bound(r.published) for r in batch}
    tags = [(r.id, *tag, published[r.id]) for r in batch for tag in r.tags]
    bulk.insert_many(conn, article_tags, tags)
    authors = [(r.id, *author, published[r.id]) for r in batch for author in r.authors]
    bulk.insert_many(conn, article_authors, authors)
    counts.apply(conn, delta)
    search.replace_terms(conn, batch, [u["key"] for u in updates])
    search.mark_zones(conn, [row.id for row in batch])
    clusters.assign(conn, batch)
    for when, keys in due.items():
        websub.enqueue(conn, keys, when, now)
    return [row.id not in stored for row in batch]


def _retracted_at(before: _Stored | None, row: ArticleRow, now: datetime) -> datetime | None:
    """When a story was retracted: kept from its first retraction."""
    if row.status != _RETRACTED:
        return None
    return before.retracted_at if before is not None and before.retracted_at else now


def _announce(
    due: dict[datetime, set[str]], before: _Stored | None, row: ArticleRow, now: datetime
) -> None:
    """Add to ``due`` the feeds this write changes: those the story is in (announced at its
    embargo time, not before: a hub that fetched early would find nothing new), and those
    it leaves now. Drafts that never were visible announce nothing."""
    old = outbox_keys(before.article) if before and is_visible(before.article, now) else set()
    when = max(now, row.published)
    if row.visible_from is not None and row.visible_from <= when:  # now, or after its embargo
        due.setdefault(when, set()).update(row.feed_keys)
        # Feeds it leaves now: all of its old ones if it went back under embargo.
        leaving = old - set(row.feed_keys) if when <= now else old
        if leaving:
            due.setdefault(now, set()).update(leaving)
    elif old:
        due.setdefault(now, set()).update(old)
