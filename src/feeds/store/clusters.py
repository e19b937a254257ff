"""One story across outlets: clusters of near-duplicate reports, assigned when a story is
written and read by the news page and the aggregated feeds.

Each story's headline key per language (``ArticleRow.story_keys``) is compared, through
its MinHash LSH bands (``story_bands``), with the stories already stored; a report
matching one (``feeds.dedupe``: similar headline, another outlet, close in time) joins
its cluster, otherwise it starts one named by its own id. Deciding at write time costs
a few indexed lookups per batch and leaves reads a join: the news page shows one entry
per cluster (its first visible report) and lists the rest as "also reported by".

A rewritten story keeps its cluster while its key is unchanged. Clusters never merge
afterwards: a report that matches two clusters joins the closer one.

The work per story is bounded: a band value shared by many stories in the window (a
common headline shape, "live updates", "weather forecast", or a farm of feeds whose
headlines come from thirty words) offers only its ``_BAND_LIMIT`` newest stories as
candidates, so that a story is compared with at most ``BANDS × 2 × _BAND_LIMIT`` others
however many similar headlines the window holds. Unbounded, the comparisons grew with the
square of the window's stories: a cold cycle of 300 new sources on one loopback farm had
written 200 of them after 150 s (docs/benchmarks.md). A true duplicate shares about four
of its sixteen bands with its original, so it is found through another band unless every
band it shares is a crowded one.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    Join,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect, Select, Subquery

from feeds.articlerows import ArticleRow
from feeds.dedupe import THRESHOLD, WINDOW, bands, jaccard, shingles
from feeds.feedkeys import FeedScope
from feeds.model import Article, article_from_dict
from feeds.store import bulk
from feeds.store.schema import articles, story_bands, story_keys
from feeds.store.search import Cursor, older_than
from feeds.store.visibility import visible_at, visible_in

__all__ = ["assign", "first_reports", "leads", "members"]

_CHUNK = 500
# Keys whose shingles are kept between batches (about 7 kB each: 14 MB).
_SHINGLE_CACHE = 2048
_Outlet = tuple[str, object]

_KEYS_OF = select(story_keys.c.article_id, story_keys.c.lang, story_keys.c.key).where(
    story_keys.c.article_id.in_(bindparam("ids", expanding=True))
)
_DROP = {
    table: delete(table).where(table.c.article_id == bindparam("a"), table.c.lang == bindparam("l"))
    for table in (story_keys, story_bands)
}
# Stored candidates per band value at most (the newest in the window), and as many more
# from the batch being written.
_BAND_LIMIT = 16
_IN_WINDOW = story_bands.c.published.between(bindparam("earliest"), bindparam("latest"))
_NEWEST_FIRST = (story_bands.c.published.desc(), story_bands.c.article_id.desc())


def _ranked_by_window() -> Subquery:
    """SQLite: every band row of the wanted values in the window (a range of
    ``ix_story_bands_band`` per value), ranked newest first per value."""
    ranked = (
        select(
            story_bands.c.band,
            story_bands.c.article_id,
            story_bands.c.lang,
            func.row_number()
            .over(partition_by=story_bands.c.band, order_by=_NEWEST_FIRST)
            .label("rank"),
        )
        .where(story_bands.c.band.in_(bindparam("bands", expanding=True)), _IN_WINDOW)
        .subquery("ranked")
    )
    return (
        select(ranked.c.band, ranked.c.article_id, ranked.c.lang)
        .where(ranked.c.rank <= bindparam("limit"))
        .subquery("newest")
    )


def _ranked_by_lateral() -> Subquery:
    """PostgreSQL: per wanted value, its newest ``limit`` rows in the window, an index
    scan that stops there (``LATERAL ... LIMIT``) whatever the planner's statistics say;
    the window above it read every row in the window and sorted them."""
    wanted = (
        func.unnest(bindparam("bands", type_=ARRAY(BigInteger)))
        .table_valued("band")
        .render_derived("wanted")
    )
    newest = (
        select(story_bands.c.article_id, story_bands.c.lang)
        .where(story_bands.c.band == wanted.c.band, _IN_WINDOW)
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
        .lateral("newest")
    )
    return (
        select(wanted.c.band, newest.c.article_id, newest.c.lang)
        .select_from(wanted.join(newest, true()))
        .subquery("candidates")
    )


def _candidates_of(newest: Subquery) -> Select[Any]:
    return select(
        newest.c.band,
        story_keys.c.article_id,
        story_keys.c.lang,
        story_keys.c.key,
        story_keys.c.cluster,
        articles.c.published,
        articles.c.aggregated,
        articles.c.source_id,
    ).select_from(
        newest.join(
            story_keys,
            and_(
                story_keys.c.article_id == newest.c.article_id,
                story_keys.c.lang == newest.c.lang,
            ),
        ).join(articles, articles.c.id == newest.c.article_id)
    )


_CANDIDATES = {
    "sqlite": _candidates_of(_ranked_by_window()),
    "postgresql": _candidates_of(_ranked_by_lateral()),
}
_REDATE = (
    update(story_bands)
    .where(
        story_bands.c.article_id == bindparam("a"),
        story_bands.c.published.is_distinct_from(bindparam("p")),
    )
    .values(published=bindparam("p"))
)


class _Report(NamedTuple):  # a tuple: hundreds are made per story written
    article_id: str
    lang: str
    key: str
    cluster: str
    published: datetime
    outlet: _Outlet


def _outlet(article_id: str, aggregated: bool, source_id: int | None) -> _Outlet:
    if not aggregated:
        return ("own", None)
    # An aggregated story without a source record is an outlet of its own.
    return ("source", source_id) if source_id is not None else ("story", article_id)


def assign(conn: Connection, rows: Sequence[ArticleRow]) -> None:
    """Give every language of every row (no story twice) its cluster, inside the write
    transaction; keys that did not change keep theirs."""
    stored: dict[tuple[str, str], str] = {}
    ids = [row.id for row in rows]
    for start in range(0, len(ids), _CHUNK):
        for found in conn.execute(_KEYS_OF, {"ids": ids[start : start + _CHUNK]}):
            stored[(found.article_id, found.lang)] = found.key
    todo: list[tuple[ArticleRow, str, str, list[int]]] = []
    dropped: list[dict[str, str]] = []
    redated: list[dict[str, object]] = []
    for row in rows:
        wanted = dict(row.story_keys)
        kept = False
        for (article_id, lang), key in stored.items():
            if article_id == row.id:
                if wanted.get(lang) != key:
                    dropped.append({"a": article_id, "l": lang})
                else:
                    kept = True
        if kept:  # its bands carry its publication time, which may have moved
            redated.append({"a": row.id, "p": row.published})
        todo += [
            (row, lang, key, banded)
            for (lang, key), banded in zip(row.story_keys, _bands_of(row), strict=True)
            if stored.get((row.id, lang)) != key
        ]
    if dropped:
        for table in (story_keys, story_bands):
            conn.execute(_DROP[table], dropped)
    if redated:
        conn.execute(_REDATE, redated)
    if not todo:
        return
    todo.sort(key=lambda item: (item[0].published, item[0].id))
    # Only stories within WINDOW of the batch can match: the rest are not even read.
    span = (todo[0][0].published - WINDOW, todo[-1][0].published + WINDOW)
    by_band = _candidates(conn, sorted({b for *_, values in todo for b in values}), span)
    # The batch's own reports, the newest _BAND_LIMIT per band (todo is oldest first).
    written: dict[int, deque[_Report]] = {}
    pieces = _Shingles()
    published = bulk.bind(conn, story_bands.c.published)
    new_keys, new_bands = [], []
    for row, lang, key, mine in todo:
        report = _Report(
            row.id, lang, key, row.id, row.published, _outlet(row.id, row.aggregated, row.source_id)
        )
        near = (c for b in mine for c in (*by_band.get(b, ()), *written.get(b, ())))
        best = _best_match(report, near, pieces)
        if best is not None:
            report = _Report(row.id, lang, key, best.cluster, row.published, report.outlet)
        new_keys.append((row.id, lang, key, report.cluster))
        when = published(row.published)
        for band in dict.fromkeys(mine):
            new_bands.append((row.id, lang, band, when))
            written.setdefault(band, deque(maxlen=_BAND_LIMIT)).append(report)
    bulk.insert_many(conn, story_keys, new_keys, _KEY_COLUMNS)
    bulk.insert_many(conn, story_bands, new_bands, _BAND_COLUMNS)


_KEY_COLUMNS = ("article_id", "lang", "key", "cluster")
_BAND_COLUMNS = ("article_id", "lang", "band", "published")


def _bands_of(row: ArticleRow) -> list[list[int]]:
    """The band values of each of the row's keys: those the parse worker made, or made now
    (a row from elsewhere, or one built without them)."""
    if len(row.story_bands) == len(row.story_keys):
        return [list(values) for values in row.story_bands]
    return [bands(key) if key else [] for _, key in row.story_keys]


def _candidates(
    conn: Connection, values: list[int], span: tuple[datetime, datetime]
) -> dict[int, list[_Report]]:
    found: dict[int, list[_Report]] = {}
    for start in range(0, len(values), _CHUNK):
        chunk = {
            "bands": values[start : start + _CHUNK],
            "earliest": span[0],
            "latest": span[1],
            "limit": _BAND_LIMIT,
        }
        rows = conn.execute(_CANDIDATES[conn.dialect.name], chunk)
        for band, article_id, lang, key, cluster, published, aggregated, source_id in rows:
            found.setdefault(band, []).append(
                _Report(
                    article_id,
                    lang,
                    key,
                    cluster,
                    published,
                    _outlet(article_id, aggregated, source_id),
                )
            )
    return found


class _Shingles(dict[str, frozenset[str]]):
    """Each key's shingles, made once per batch however many stories it is compared with."""

    def __missing__(self, key: str) -> frozenset[str]:
        value = self[key] = _shingle_set(key)
        return value


@lru_cache(maxsize=_SHINGLE_CACHE)
def _shingle_set(key: str) -> frozenset[str]:
    """The shingles of a key seen in a recent batch: a band's newest stories are the
    candidates of many batches in a row, and of the stories just written."""
    return frozenset(shingles(key))


def _best_match(
    report: _Report, candidates: Iterable[_Report], pieces: _Shingles
) -> _Report | None:
    """The most similar candidate that is the same story from another outlet, if any."""
    mine = pieces[report.key]
    lang, outlet, published = report.lang, report.outlet, report.published
    best: tuple[float, datetime, _Report] | None = None
    seen = {report.article_id}
    for other in candidates:
        if other.article_id in seen:
            continue
        seen.add(other.article_id)
        if other.lang != lang or other.outlet == outlet:
            continue
        if abs(other.published - published) > WINDOW:
            continue
        score = jaccard(mine, pieces[other.key])
        if score < THRESHOLD:
            continue
        if best is None or (score, -other.published.timestamp()) > (
            best[0],
            -best[1].timestamp(),
        ):
            best = (score, other.published, other)
    return best[2] if best is not None else None


def _cluster_of(lang: str) -> ScalarSelect[str]:
    """The cluster of the outer query's story in ``lang`` (NULL without a headline key)."""
    k = story_keys.alias("own_keys")
    return (
        select(k.c.cluster)
        .where(k.c.article_id == articles.c.id, k.c.lang == lang)
        .correlate(articles)  # also where it sits inside another subquery
        .scalar_subquery()
    )


def _earlier_visible_report(
    lang: str, now: datetime, cluster: ColumnElement[str]
) -> ColumnElement[bool]:
    """Another visible report of ``cluster`` in ``lang``, published before this one."""
    k2 = story_keys.alias("earlier_keys")
    a2 = articles.alias("earlier")
    return exists().where(
        k2.c.lang == lang,
        k2.c.cluster == cluster,
        a2.c.id == k2.c.article_id,
        visible_at(now, a2),
        or_(
            a2.c.published < articles.c.published,
            and_(a2.c.published == articles.c.published, a2.c.id < articles.c.id),
        ),
    )


def _keys_join(lang: str) -> Join:
    return articles.join(
        story_keys, and_(story_keys.c.article_id == articles.c.id, story_keys.c.lang == lang)
    )


def leads(
    conn: Connection,
    scope: FeedScope,
    now: datetime,
    limit: int,
    after: Cursor | None = None,
    *,
    collapse: bool = True,
) -> list[tuple[Article, str]]:
    """``(story, cluster)`` of the stories of ``scope`` visible at ``now``, newest first;
    with ``collapse``, only each cluster's first visible report in the scope's language."""
    if scope.lang is None:
        raise ValueError("clusters: a scope with a language")
    # The cluster is looked up per story (a subquery, not a join): the read then walks
    # the stories newest first and stops at ``limit``. Joined, both databases started
    # from every headline key of the language and sorted them all (1,000,000 stories).
    cluster = _cluster_of(scope.lang)
    conditions = [visible_in(scope, now), cluster.is_not(None)]
    if collapse:
        conditions.append(~_earlier_visible_report(scope.lang, now, cluster))
    if after is not None:
        conditions.append(older_than(after))
    stmt = (
        select(articles.c.document, cluster)
        .where(and_(*conditions))
        .order_by(articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )
    return [(_decode(doc), cluster) for doc, cluster in conn.execute(stmt)]


def members(
    conn: Connection, lang: str, clusters: Sequence[str], now: datetime
) -> dict[str, list[Article]]:
    """Every visible report in ``lang`` of each of ``clusters``, first report first."""
    found: dict[str, list[Article]] = {}
    unique = sorted(set(clusters))
    for start in range(0, len(unique), _CHUNK):
        stmt = (
            select(articles.c.document, story_keys.c.cluster)
            .select_from(_keys_join(lang))
            .where(
                story_keys.c.cluster.in_(unique[start : start + _CHUNK]),
                visible_at(now),
            )
            .order_by(articles.c.published, articles.c.id)
        )
        for doc, cluster in conn.execute(stmt):
            found.setdefault(cluster, []).append(_decode(doc))
    return found


def first_reports(
    conn: Connection, lang: str, stories: Sequence[Article], now: datetime
) -> dict[str, Article]:
    """For each of ``stories`` that is not the first visible report of its story in
    ``lang``: that first report, by the story's id."""
    ids = [s.id for s in stories]
    clusters: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(story_keys.c.article_id, story_keys.c.cluster).where(
            story_keys.c.lang == lang, story_keys.c.article_id.in_(ids[start : start + _CHUNK])
        )
        clusters.update((str(a), str(c)) for a, c in conn.execute(stmt))
    reports = members(conn, lang, list(clusters.values()), now)
    out: dict[str, Article] = {}
    for article_id, cluster in clusters.items():
        first = reports.get(cluster, [])
        if first and first[0].id != article_id:
            out[article_id] = first[0]
    return out


def _decode(document: str) -> Article:
    return article_from_dict(json.loads(document))
