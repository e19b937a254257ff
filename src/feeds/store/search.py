"""Full-text search over stored stories: the index kept in step by the write path, and
the query, on SQLite (FTS5) and PostgreSQL (``tsvector``), with one syntax and one answer.

Both stores index the words ``feeds.searchtext`` normalised (``ArticleRow.search_texts``),
one row per story and language in ``article_search``; its full-text index is the
database's own (migration 0006). A query (``feeds.searchtext.Query``) is compiled to each
store's syntax from those same words, so neither store's tokenizer, stemmer or locale
decides anything: SQLite's ``unicode61`` tokenizer and PostgreSQL's ``simple``
configuration each find the words they were given, and prefixes and phrases mean the same
on both. Results are the visible stories (``store.visibility``) newest first, so both
stores order them alike (ranking functions differ between them). FTS5 hands back matches
in rowid order only: on SQLite a common word's matches are read a zone of rowids at a
time, the zones whose stories are the latest first (``search_zones``, ``_by_zone``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    cast,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from feeds.articlerows import ArticleRow
from feeds.feedkeys import FeedScope
from feeds.model import Article, article_from_dict
from feeds.searchtext import Query, Term
from feeds.store import bulk
from feeds.store.schema import article_search, articles, search_zones
from feeds.store.visibility import visible_in

__all__ = [
    "Cursor",
    "documents",
    "fts5_query",
    "mark_zones",
    "replace_terms",
    "search_visible",
    "tsquery",
]

# (published, id) of the last story of the previous page: keyset pagination.
Cursor = tuple[datetime, str]

_CHUNK = 500
_COLUMNS = ("article_id", "lang", "terms")
_DELETE = delete(article_search).where(
    article_search.c.article_id.in_(bindparam("ids", expanding=True))
)


def replace_terms(conn: Connection, rows: Sequence[ArticleRow], replaced: Sequence[str]) -> None:
    """Index ``rows`` (every language of each), first dropping what ``replaced`` (stories
    that were already stored) had. Runs inside the write transaction, which then marks
    their zones (``mark_zones``)."""
    for start in range(0, len(replaced), _CHUNK):
        conn.execute(_DELETE, {"ids": list(replaced[start : start + _CHUNK])})
    values = [(row.id, lang, terms) for row in rows for lang, terms in row.search_texts]
    bulk.insert_many(conn, article_search, values, _COLUMNS)


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


# The FTS5 table over ``article_search.terms`` (migration 0006), its rowid that row's id.
_FTS = table("article_search_fts", column("rowid"), column("article_search_fts"))
# Up to this many matches, a SQLite search reads them all and sorts their stories; with
# more, it reads the index zone by zone, newest first (``_by_zone``).
FEW_MATCHES = 2000
# ``search_zones``: consecutive ``article_search`` ids per zone (ids >> ZONE_BITS).
ZONE_BITS = 8
# Zones read per statement while walking them.
_ZONE_PAGE = 32

# Widens the zones of the search rows ``WHERE`` picks to take them in: SQLite's own
# upsert, since only SQLite walks zones; ``min`` and ``max`` of two values are its
# scalar functions.
_MARK_ZONES = (
    "INSERT INTO search_zones (zone, day, low, high)"
    " SELECT s.id >> :bits, substr(a.published, 1, 10), min(a.published), max(a.published)"
    " FROM article_search AS s JOIN articles AS a ON a.id = s.article_id"
    " WHERE {} GROUP BY 1, 2"
    " ON CONFLICT (zone, day) DO UPDATE"
    " SET low = min(low, excluded.low), high = max(high, excluded.high)"
)
_MARK_ALL = text(_MARK_ZONES.replace("{}", "true"))
_MARK_STORIES = text(_MARK_ZONES.replace("{}", "s.article_id IN :ids")).bindparams(
    bindparam("ids", expanding=True)
)


def mark_zones(conn: Connection, article_ids: Sequence[str] | None) -> None:
    """Take the search rows of ``article_ids`` (every story's when None) into
    ``search_zones`` (SQLite only; nothing on PostgreSQL). A zone is never narrowed when
    its rows are replaced: its times stay bounds, only looser."""
    if conn.dialect.name != "sqlite":
        return
    if article_ids is None:
        conn.execute(_MARK_ALL, {"bits": ZONE_BITS})
        return
    for start in range(0, len(article_ids), _CHUNK):
        chunk = list(article_ids[start : start + _CHUNK])
        conn.execute(_MARK_STORIES, {"bits": ZONE_BITS, "ids": chunk})


def search_visible(
    conn: Connection,
    query: Query,
    scope: FeedScope,
    now: datetime,
    limit: int,
    after: Cursor | None = None,
    *,
    few: int = FEW_MATCHES,
) -> list[Article]:
    """The stories of ``scope`` visible at ``now`` whose text in the scope's language
    matches ``query``: newest first, at most ``limit``, from after ``after``.

    On SQLite, a query with ``few`` matches or more reads the index zone by zone."""
    if scope.lang is None:
        raise ValueError("search: a scope with a language")
    if conn.dialect.name != "sqlite":
        document: ColumnElement[Any] = literal_column("article_search.document")
        matches = document.bool_op("@@")(cast(bindparam("q", tsquery(query)), TSQUERY))
        found = conn.execute(documents(_page(matches, scope, now, limit, after)))
    else:
        hits = select(_FTS.c.rowid).where(
            _FTS.c.article_search_fts.op("MATCH")(bindparam("q", fts5_query(query)))
        )
        if _fewer_than(conn, hits, few):
            # Driven from the hits: a rare word's stories are read by id and sorted.
            page = _page(article_search.c.id.in_(hits), scope, now, limit, after)
            found = conn.execute(documents(page))
        else:
            ids = _by_zone(conn, hits, scope, now, limit, after)
            found = conn.execute(
                select(articles.c.document)
                .where(articles.c.id.in_(ids))
                .order_by(articles.c.published.desc(), articles.c.id.desc())
            )
    return [article_from_dict(json.loads(row.document)) for row in found]


def _page(
    matches: ColumnElement[bool],
    scope: FeedScope,
    now: datetime,
    limit: int,
    after: Cursor | None,
) -> Select[Any]:
    """The ids (and times) of the newest ``limit`` stories of ``scope`` visible at
    ``now`` whose search row in the scope's language ``matches``."""
    a = articles.c
    conditions = [article_search.c.lang == scope.lang, matches, visible_in(scope, now)]
    if after is not None:
        conditions.append(older_than(after))
    return (
        select(a.id, a.published)
        .select_from(articles.join(article_search, article_search.c.article_id == a.id))
        .where(and_(*conditions))
        .order_by(a.published.desc(), a.id.desc())
        .limit(limit)
    )


def _fewer_than(conn: Connection, hits: Select[Any], n: int) -> bool:
    """Whether the index has fewer than ``n`` rows matching (it stops counting at ``n``)."""
    found = conn.execute(select(func.count()).select_from(hits.limit(n).subquery())).scalar()
    return int(found or 0) < n


def _by_zone(
    conn: Connection,
    hits: Select[Any],
    scope: FeedScope,
    now: datetime,
    limit: int,
    after: Cursor | None,
) -> list[str]:
    """``search_visible``'s ids on SQLite for a common word, without reading every match.

    FTS5 gives a word's matches by rowid only, so sorting them by time read them all
    (most stories, for a common word). ``search_zones`` bounds the publication times of
    each zone of rowids (per day, so that one scheduled or rewritten story does not widen
    a whole zone): zones are read latest bound first, each one's matches from FTS5's own
    rowid range, until the page is full and no zone left can hold a story newer than its
    last. Zones that start after ``now`` (or after the cursor) hold nothing to show."""
    latest = now if after is None else min(now, after[0])
    best: list[tuple[datetime, str]] = []
    read: set[int] = set()
    for zone, high in _zones(conn, latest):
        if len(best) >= limit and high < best[limit - 1][0]:
            break
        if zone in read:
            continue
        read.add(zone)
        rowid = _FTS.c.rowid
        first, last = zone << ZONE_BITS, ((zone + 1) << ZONE_BITS) - 1
        in_zone = article_search.c.id.in_(hits.where(rowid >= first, rowid <= last))
        rows = conn.execute(_page(in_zone, scope, now, limit, after)).all()
        best = sorted({*best, *((r.published, r.id) for r in rows)}, reverse=True)[:limit]
    return [article_id for _, article_id in best]


def _zones(conn: Connection, latest: datetime) -> Iterator[tuple[int, datetime]]:
    """(zone, latest time in it) of every zone with rows published by ``latest``, latest
    bound first, a page at a time."""
    z = search_zones.c
    for offset in itertools.count(0, _ZONE_PAGE):
        rows = conn.execute(
            select(z.zone, z.high)
            .where(z.low <= latest)
            .order_by(z.high.desc(), z.zone.desc(), z.day.desc())
            .limit(_ZONE_PAGE)
            .offset(offset)
        ).all()
        yield from ((int(r.zone), r.high) for r in rows)
        if len(rows) < _ZONE_PAGE:
            return


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
