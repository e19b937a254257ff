"""Reading articles on an open connection, and the store's revision counter.

Articles are written by ``feeds.store.writes``. These functions take a ``Connection``;
``Store`` wraps them for everyone else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select, update

from feeds.feedkeys import FeedScope
from feeds.model import Article, Status, article_from_dict
from feeds.store.schema import (
    article_authors,
    article_languages,
    article_tags,
    articles,
    store_state,
)
from feeds.store.visibility import embargoed_at, visible_in


@dataclass(frozen=True)
class Facet:
    """A section, tag or author that at least one visible article in a language has."""

    slug: str
    label: str
    count: int


def bump_revision(conn: Connection, now: datetime | None = None) -> int:
    """Count one more write; returns the new revision. Call once per write transaction."""
    now = now or datetime.now(UTC)
    conn.execute(
        update(store_state)
        .where(store_state.c.id == 1)
        .values(revision=store_state.c.revision + 1, changed_at=now)
    )
    return int(conn.execute(select(store_state.c.revision)).scalar_one())


def read_revision(conn: Connection) -> tuple[int, datetime]:
    row = conn.execute(select(store_state.c.revision, store_state.c.changed_at)).one()
    return int(row.revision), row.changed_at


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

    A tag's or an author's feed starts from that facet's rows, newest first (their index
    holds the story's publication time), and reads only the stories it keeps; any other
    scope walks an index of ``articles`` in the same order (``ix_articles_scope``,
    ``ix_articles_section``, ``ix_articles_published``). Either way the database stops at
    ``limit`` instead of sorting the whole scope.
    """
    stmt = select(articles.c.document).where(visible_in(scope, now))
    if since is not None:
        stmt = stmt.where(articles.c.published >= since)
    facet = _facet_of(scope)
    if facet is None:
        stmt = stmt.order_by(articles.c.published.desc(), articles.c.id.desc())
    else:
        # An alias: the scope's own EXISTS on the same table stays a subquery of its own.
        table, slug = facet[0].alias("facet"), facet[1]
        stmt = (
            stmt.select_from(table.join(articles, articles.c.id == table.c.article_id))
            .where(table.c.slug == slug)
            .order_by(table.c.published.desc(), table.c.article_id.desc())
        )
    return [_decode(doc) for doc in conn.execute(stmt.limit(limit)).scalars()]


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


def facets(conn: Connection, lang: str, now: datetime) -> dict[str, list[Facet]]:
    """Sections, tags and authors with visible own stories in ``lang``, by name."""
    a = articles.c
    own = visible_in(FeedScope(lang), now)
    result: dict[str, list[Facet]] = {}
    sections = conn.execute(
        select(a.section_slug, func.count())
        .where(own, a.section_slug.is_not(None))
        .group_by(a.section_slug)
        .order_by(a.section_slug)
    ).all()
    result["section"] = [Facet(slug=s, label=s, count=n) for s, n in sections]
    for kind, table, label in (
        ("tag", article_tags, article_tags.c.label),
        ("author", article_authors, article_authors.c.name),
    ):
        rows = conn.execute(
            select(table.c.slug, func.min(label), func.count())
            .join(articles, articles.c.id == table.c.article_id)
            .where(own)
            .group_by(table.c.slug)
            .order_by(table.c.slug)
        ).all()
        result[kind] = [Facet(slug=s, label=lbl, count=n) for s, lbl, n in rows]
    return result


def source_languages(conn: Connection, now: datetime) -> dict[int, dict[str, int]]:
    """For each source with visible aggregated stories: how many there are per language."""
    a = articles.c
    rows = conn.execute(
        select(a.source_id, article_languages.c.lang, func.count())
        .join(article_languages, article_languages.c.article_id == a.id)
        .where(
            visible_in(FeedScope(None, own=False, aggregated=True), now), a.source_id.is_not(None)
        )
        .group_by(a.source_id, article_languages.c.lang)
    ).all()
    result: dict[int, dict[str, int]] = {}
    for source_id, lang, count in rows:
        result.setdefault(int(source_id), {})[str(lang)] = int(count)
    return result


def list_articles(
    conn: Connection, *, statuses: Sequence[Status] | None = None, limit: int = 1000
) -> list[Article]:
    """Every stored article (any status), newest first: for operators, never for feeds."""
    stmt = select(articles.c.document).order_by(articles.c.published.desc(), articles.c.id.desc())
    if statuses:
        stmt = stmt.where(articles.c.status.in_([s.value for s in statuses]))
    return [_decode(doc) for doc in conn.execute(stmt.limit(limit)).scalars()]
