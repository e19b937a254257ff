"""Headlines: a story's title, URL and dates in one language, read without its document.

The news sitemap lists up to a thousand stories of two days and needs four fields of each.
Decoding every story's whole document into an ``Article`` (and making its body's links
absolute) cost almost all of that response; here the database picks the two strings out
of the stored JSON (``json_extract`` on SQLite, ``#>>`` on PostgreSQL) and only they cross
into Python. Which stories is the rule every public read uses (``visible_in``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, cast, func, select
from sqlalchemy.dialects.postgresql import JSON

from feeds.feedkeys import FeedScope
from feeds.store.schema import articles
from feeds.store.visibility import visible_in

__all__ = ["Headline", "recent_headlines"]


@dataclass(frozen=True)
class Headline:
    """One story in one language: what a news sitemap lists. ``url`` as stored (a site
    path for the newsroom's own pages; ``Store`` makes it absolute)."""

    id: str
    published: datetime
    updated: datetime
    title: str
    url: str


def _field(conn: Connection, lang: str, name: str) -> ColumnElement[str]:
    """``translations[lang][name]`` of the stored document, as text, in the database."""
    document = articles.c.document
    if conn.dialect.name == "postgresql":
        text: ColumnElement[str] = cast(document, JSON)[("translations", lang, name)].astext
        return text
    # A JSON path; the language quoted, since a tag such as zh-TW is not a bare key.
    extracted: ColumnElement[str] = func.json_extract(document, f'$.translations."{lang}".{name}')
    return extracted


def recent_headlines(
    conn: Connection, lang: str, now: datetime, since: datetime, limit: int
) -> list[Headline]:
    """The headlines in ``lang`` of the stories of ``lang`` visible at ``now`` and published
    at or after ``since``: newest first, at most ``limit``."""
    a = articles.c
    stmt = (
        select(
            a.id,
            a.published,
            a.updated,
            _field(conn, lang, "title").label("title"),
            _field(conn, lang, "url").label("url"),
        )
        .where(visible_in(FeedScope(lang), now), a.published >= since)
        .order_by(a.published.desc(), a.id.desc())
        .limit(limit)
    )
    return [
        Headline(row.id, row.published, row.updated, row.title, row.url)
        for row in conn.execute(stmt)
        if row.title is not None and row.url is not None
    ]
