"""Public stories counted per facet: the sections, tags and authors of each language's own
stories, and the languages of each source's aggregated ones. The language page and the
OPML list the first with their counts, the news page's filter bar the second; both read
a row per facet here instead of counting every visible story.

The write path keeps ``story_counts`` in each write's transaction: a story counts while
its status is public, whatever its publication time. A read takes away, in the same
snapshot, the counted stories whose time has not come (``embargoed_at``: an index range
of the future, a few stories), so every figure is what counting the visible stories
gives at that instant, an embargo that ends without a write included.

``tally`` is that count in SQL over any set of stories: the write path tallies what the
stories it replaces counted (from their stored rows, before it replaces them), the reads
the waiting stories, and migration 0010 every stored story once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from feeds.articlerows import ArticleRow
from feeds.store.schema import (
    article_authors,
    article_languages,
    article_tags,
    articles,
    story_counts,
)
from feeds.store.visibility import VISIBLE

__all__ = [
    "AUTHOR",
    "SECTION",
    "SOURCE",
    "TAG",
    "Facet",
    "apply",
    "facet",
    "facets",
    "of_rows",
    "recount",
    "source_languages",
    "tally",
    "waiting",
]

SECTION, TAG, AUTHOR, SOURCE = "section", "tag", "author", "source"
FACET_KINDS = (SECTION, TAG, AUTHOR)
# Ids bound in one IN list.
_CHUNK = 500
# (kind, lang, slug, label): one row of ``story_counts``.
Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Facet:
    """A section, tag or author that at least one visible article in a language has."""

    slug: str
    label: str
    count: int


# --- counting --------------------------------------------------------------------------


def of_rows(rows: Iterable[ArticleRow]) -> Counter[Key]:
    """What the stories of ``rows`` count, as the write path stores them: ``tally`` of
    those rows, without reading them back."""
    found: Counter[Key] = Counter()
    for row in rows:
        if row.status not in VISIBLE:
            continue
        if row.aggregated:
            if row.source_id is not None:
                found.update((SOURCE, lang, str(row.source_id), "") for lang in row.languages)
            continue
        for lang in row.languages:
            if row.section_slug is not None:
                found[(SECTION, lang, row.section_slug, "")] += 1
            found.update((TAG, lang, slug, label) for slug, label in row.tags)
            found.update((AUTHOR, lang, slug, name) for slug, name in row.authors)
    return found


def tally(
    conn: Connection,
    where: ColumnElement[bool],
    *,
    lang: str | None = None,
    kinds: Sequence[str] = (*FACET_KINDS, SOURCE),
) -> Counter[Key]:
    """The stored stories matching ``where`` (on ``articles``) whose status is public,
    counted per facet of ``kinds`` (in ``lang`` only, when given)."""
    return _counted(conn, [_tally(kind, where, lang) for kind in kinds])


def tally_of(
    conn: Connection,
    ids: Sequence[str],
    *,
    lang: str | None = None,
    kinds: Sequence[str] = (*FACET_KINDS, SOURCE),
) -> Counter[Key]:
    """``tally`` of the stories ``ids``, read by id: with the ids in an ``IN`` list
    beside the other conditions, SQLite's planner walked ``ix_articles_visible`` (every
    public story of an origin) and tested each against the list, so the ids are a
    derived table of their own (a ``LIMIT`` keeps SQLite from folding it in)."""
    found: Counter[Key] = Counter()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        chosen = select(articles.c.id).where(articles.c.id.in_(chunk)).limit(len(chunk))
        found.update(_counted(conn, [_tally(k, true(), lang, chosen.subquery()) for k in kinds]))
    return found


def waiting(
    conn: Connection,
    now: datetime,
    *,
    lang: str | None = None,
    kinds: Sequence[str] = FACET_KINDS,
    slug: str | None = None,
) -> Counter[Key]:
    """``tally`` of the stories counted but not visible at ``now`` (their embargo has
    not ended); of the facet ``slug`` only, when given: its waiting stories are found
    in the facet's own index (``ix_articles_section``, or the tag's or author's rows,
    which carry the story's time), so that one feed's facet does not cost every
    waiting story (SQLite's planner starts from every waiting story otherwise)."""
    found: Counter[Key] = Counter()
    for kind in kinds:
        if slug is None:
            found.update(_counted(conn, [_tally(kind, articles.c.published > now, lang)]))
        else:
            ids = [str(i) for i in conn.execute(_waiting_in(kind, slug, now)).scalars()]
            found.update(tally_of(conn, ids, lang=lang, kinds=(kind,)))
    return found


def _waiting_in(kind: str, slug: str, now: datetime) -> Select[tuple[str]]:
    """The ids of the stories of one facet published after ``now``."""
    if kind == SECTION:
        a = articles.c
        return select(a.id).where(a.section_slug == slug, a.published > now)
    rows = _facet_table(kind).c
    return select(rows.article_id).where(rows.slug == slug, rows.published > now)


def _counted(conn: Connection, statements: Sequence[tuple[str, Select[Any]]]) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for kind, statement in statements:
        for row_lang, slug, label, n in conn.execute(statement):
            found[(kind, str(row_lang), str(slug), str(label))] += int(n)
    return found


def _facet_table(kind: str) -> Table:
    return article_tags if kind == TAG else article_authors


def _tally(
    kind: str, where: ColumnElement[bool], lang: str | None, chosen: Subquery | None = None
) -> tuple[str, Select[Any]]:
    a, langs = articles.c, article_languages.c
    stories = articles.join(article_languages, langs.article_id == a.id)
    if chosen is not None:  # the stories of ``chosen`` (ids) only, read from it first
        stories = chosen.join(articles, a.id == chosen.c.id).join(
            article_languages, langs.article_id == a.id
        )
    conditions = [a.status.in_(VISIBLE), where]
    if lang is not None:
        conditions.append(langs.lang == lang)
    own = and_(*conditions, a.aggregated == false())
    blank: ColumnElement[str] = literal_column("''")  # a section's or a source's label
    if kind == SECTION:
        return kind, (
            select(langs.lang, a.section_slug, blank, func.count())
            .select_from(stories)
            .where(own, a.section_slug.is_not(None))
            .group_by(langs.lang, a.section_slug)
        )
    if kind == SOURCE:
        return kind, (
            select(langs.lang, a.source_id, blank, func.count())
            .select_from(stories)
            .where(*conditions, a.aggregated == true(), a.source_id.is_not(None))
            .group_by(langs.lang, a.source_id)
        )
    table = _facet_table(kind)
    label = table.c.label if kind == TAG else table.c.name
    return kind, (
        select(langs.lang, table.c.slug, label, func.count())
        .select_from(stories.join(table, table.c.article_id == a.id))
        .where(own)
        .group_by(langs.lang, table.c.slug, label)
    )


def apply(conn: Connection, delta: Counter[Key]) -> None:
    """Add ``delta`` to the counts (inside the write's transaction); a count that reaches
    zero is dropped."""
    changes = sorted((key, n) for key, n in delta.items() if n)
    if not changes:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(story_counts)
    upsert = upsert.on_conflict_do_update(
        index_elements=["kind", "lang", "slug", "label"],
        set_={"stories": story_counts.c.stories + upsert.excluded.stories},
    )
    conn.execute(upsert, [dict(_named(key), stories=n) for key, n in changes])
    fewer = [_named(key, prefix="k_") for key, n in changes if n < 0]
    if fewer:
        c = story_counts.c
        conn.execute(
            delete(story_counts).where(
                c.kind == bindparam("k_kind"),
                c.lang == bindparam("k_lang"),
                c.slug == bindparam("k_slug"),
                c.label == bindparam("k_label"),
                c.stories <= 0,
            ),
            fewer,
        )


def _named(key: Key, prefix: str = "") -> dict[str, str]:
    names = (f"{prefix}kind", f"{prefix}lang", f"{prefix}slug", f"{prefix}label")
    return dict(zip(names, key, strict=True))


def recount(conn: Connection) -> None:
    """Count every stored story again (migration 0010; a store written around the write
    path, such as the scale benchmark's)."""
    conn.execute(delete(story_counts))
    apply(conn, tally(conn, true()))


# --- reading ---------------------------------------------------------------------------
# Each read below takes the counts and the waiting stories from one snapshot
# (``Database.reading(snapshot=True)``), or a write between the two would count a story
# that is not visible, or miss one.


def facets(conn: Connection, lang: str, now: datetime) -> dict[str, list[Facet]]:
    """Sections, tags and authors with visible own stories in ``lang``, by slug."""
    c = story_counts.c
    rows = conn.execute(
        select(c.kind, c.slug, c.label, c.stories)
        .where(c.lang == lang, c.kind.in_(FACET_KINDS))
        .order_by(c.kind, c.slug, c.label)
    ).all()
    later = waiting(conn, now, lang=lang)
    result: dict[str, list[Facet]] = {kind: [] for kind in FACET_KINDS}
    for kind, found in _merged(rows, lang, later):
        result[kind].append(found)
    return result


def facet(conn: Connection, lang: str, kind: str, slug: str, now: datetime) -> Facet | None:
    """The one facet of ``facets`` named ``kind`` and ``slug``; None when it has no
    visible own story in ``lang``."""
    c = story_counts.c
    rows = conn.execute(
        select(c.kind, c.slug, c.label, c.stories)
        .where(c.lang == lang, c.kind == kind, c.slug == slug)
        .order_by(c.label)
    ).all()
    if not rows:
        return None
    later = waiting(conn, now, lang=lang, kinds=(kind,), slug=slug)
    return next((found for _, found in _merged(rows, lang, later)), None)


def _merged(rows: Sequence[Any], lang: str, later: Counter[Key]) -> Iterator[tuple[str, Facet]]:
    """Per (kind, slug) of ``rows`` (ordered by kind, slug, label): its facet without the
    ``later`` stories (``waiting``), named by the first label a visible story gives, as
    ``min(label)`` over those stories is (in the database's order, hence the rows')."""
    for (kind, slug), group in groupby(rows, key=lambda row: (row.kind, row.slug)):
        label: str | None = None
        count = 0
        for row in group:
            visible = int(row.stories) - later.get((kind, lang, slug, row.label), 0)
            if visible > 0:
                label = row.label if label is None else label
                count += visible
        if label is not None:
            yield kind, Facet(slug=slug, label=slug if kind == SECTION else label, count=count)


def source_languages(conn: Connection, now: datetime) -> dict[int, dict[str, int]]:
    """For each source with visible aggregated stories: how many there are per language."""
    c = story_counts.c
    rows = conn.execute(select(c.slug, c.lang, c.stories).where(c.kind == SOURCE)).all()
    later = waiting(conn, now, kinds=(SOURCE,))
    result: dict[int, dict[str, int]] = {}
    for slug, lang, stories in rows:
        visible = int(stories) - later.get((SOURCE, lang, slug, ""), 0)
        if visible > 0:
            result.setdefault(int(slug), {})[str(lang)] = visible
    return result
