"""Full-text search over stored stories: the index kept in step by the write path, and
the query, on SQLite (FTS5) and PostgreSQL (``tsvector``), with one syntax and one answer.

Both stores index the words ``feeds.searchtext`` normalised (``ArticleRow.search_texts``),
one row per story and language in ``article_search``; its full-text index is the
database's own (migration 0006). A query (``feeds.searchtext.Query``) is compiled to each
store's syntax from those same words, so neither store's tokenizer, stemmer or locale
decides anything: SQLite's ``unicode61`` tokenizer and PostgreSQL's ``simple``
configuration each find the words they were given, and prefixes and phrases mean the same
on both. Results are the visible stories (``store.visibility``) newest first, so both
stores order them alike (ranking functions differ between them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    insert,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from feeds.articlerows import ArticleRow
from feeds.feedkeys import FeedScope
from feeds.model import Article, article_from_dict
from feeds.searchtext import Query, Term
from feeds.store.schema import article_search, articles
from feeds.store.visibility import visible_in

__all__ = ["Cursor", "documents", "fts5_query", "replace_terms", "search_visible", "tsquery"]

# (published, id) of the last story of the previous page: keyset pagination.
Cursor = tuple[datetime, str]

_CHUNK = 500
_INSERT = insert(article_search)
_DELETE = delete(article_search).where(
    article_search.c.article_id.in_(bindparam("ids", expanding=True))
)


def replace_terms(conn: Connection, rows: Sequence[ArticleRow], replaced: Sequence[str]) -> None:
    """Index ``rows`` (every language of each), first dropping what ``replaced`` (stories
    that were already stored) had. Runs inside the write transaction."""
    for start in range(0, len(replaced), _CHUNK):
        conn.execute(_DELETE, {"ids": list(replaced[start : start + _CHUNK])})
    values = [
        {"article_id": row.id, "lang": lang, "terms": terms}
        for row in rows
        for lang, terms in row.search_texts
    ]
    if values:
        conn.execute(_INSERT, values)


def _fts5_term(term: Term) -> str:
    # Words are letters and digits only (feeds.searchtext), so quoting cannot be broken.
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


def fts5_query(query: Query) -> str:
    """``query`` in FTS5's MATCH syntax: ``("a" AND "b c"*) NOT "d"``."""
    included = " AND ".join(_fts5_term(t) for t in query.included)
    return f"({included})" + "".join(f" NOT {_fts5_term(t)}" for t in query.excluded)


def _ts_term(term: Term) -> str:
    lexemes = [f"'{word}'" for word in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def tsquery(query: Query) -> str:
    """``query`` as a PostgreSQL ``tsquery`` literal: ``('a') & ('b' <-> 'c':*) & !('d')``.

    Cast from text, a ``tsquery`` keeps its lexemes as written (no dictionary runs), and
    they were normalised like the indexed words."""
    parts = [_ts_term(t) for t in query.included] + [f"!{_ts_term(t)}" for t in query.excluded]
    return " & ".join(parts)


def _matches(conn: Connection, query: Query) -> ColumnElement[bool]:
    if conn.dialect.name == "sqlite":
        hits = text("SELECT rowid FROM article_search_fts WHERE article_search_fts MATCH :q")
        # Unary + keeps SQLite from driving the query from the hits (then sorting them
        # all): it walks stories newest first and stops at a page of hits, which at
        # 10,000 stories is what keeps a common word's search fast.
        rowid: ColumnElement[Any] = literal_column("+article_search.id")
        return rowid.in_(hits.bindparams(q=fts5_query(query)).columns(literal_column("rowid")))
    document: ColumnElement[Any] = literal_column("article_search.document")
    return document.bool_op("@@")(cast(bindparam("q", tsquery(query)), TSQUERY))


def search_visible(
    conn: Connection,
    query: Query,
    scope: FeedScope,
    now: datetime,
    limit: int,
    after: Cursor | None = None,
) -> list[Article]:
    """The stories of ``scope`` visible at ``now`` whose text in the scope's language
    matches ``query``: newest first, at most ``limit``, from after ``after``."""
    if scope.lang is None:
        raise ValueError("search: a scope with a language")
    a = articles.c
    conditions = [
        article_search.c.lang == scope.lang,
        _matches(conn, query),
        visible_in(scope, now),
    ]
    if after is not None:
        conditions.append(older_than(after))
    page = (
        select(a.id)
        .select_from(articles.join(article_search, article_search.c.article_id == a.id))
        .where(and_(*conditions))
        .order_by(a.published.desc(), a.id.desc())
        .limit(limit)
    )
    found = conn.execute(documents(page))
    return [article_from_dict(json.loads(row.document)) for row in found]


def documents(page: Select[tuple[str]]) -> Select[tuple[str]]:
    """The documents of the stories ``page`` selects (by id), newest first.

    Sorting ids first and reading documents after keeps the sort from carrying every
    matching story's document (SQLite reads the columns before ``document`` without its
    overflow pages): at 10,000 stories this is most of the time a page takes."""
    ids = page.subquery("page")
    return (
        select(articles.c.document)
        .join(ids, ids.c.id == articles.c.id)
        .order_by(articles.c.published.desc(), articles.c.id.desc())
    )


def older_than(cursor: Cursor) -> ColumnElement[bool]:
    """Stories after ``cursor`` in newest-first order."""
    published, article_id = cursor
    a = articles.c
    return or_(a.published < published, and_(a.published == published, a.id < article_id))
