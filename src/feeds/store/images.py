"""Which lead images the stored stories use, for serving an image only once its story is out.

A lead image is kept in the article's JSON document (``image.url``), not in a column, so
these queries read it with the database's JSON function (``json_extract`` on SQLite, ``->>``
on PostgreSQL) and return URLs only, never whole documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    String,
    cast,
    func,
    select,
    type_coerce,
    union_all,
)

from feeds.feedkeys import FeedScope
from feeds.store.schema import articles
from feeds.store.visibility import VISIBLE, embargoed_at, never_public, visible_in

__all__ = ["HiddenImage", "hidden_images", "visible_own_images"]


@dataclass(frozen=True)
class HiddenImage:
    """The lead image of a story that is not visible yet.

    ``opens_at`` is when the story becomes visible by itself (its embargo); None for a
    draft or a retracted story, which only a write can make visible.
    """

    url: str
    opens_at: datetime | None


def hidden_images(conn: Connection, now: datetime) -> list[HiddenImage]:
    """The lead images of every story (own or aggregated) that is not visible at ``now``.

    Reads only the few rows that are drafts, retracted or embargoed (the complement of
    ``feeds.store.visibility.visible_at``), through the index on (aggregated, status,
    published).
    """
    a = articles.c
    url = _image_url(conn)
    # Two selects, each a range of that index; naming both values of ``aggregated`` lets
    # its first column narrow the scan instead of reading every story's entry.
    unpublished = select(url, a.status, a.published).where(
        a.aggregated.in_((False, True)), never_public(), url.is_not(None)
    )
    embargoed = select(url, a.status, a.published).where(
        a.aggregated.in_((False, True)), embargoed_at(now), url.is_not(None)
    )
    rows = conn.execute(union_all(unpublished, embargoed)).all()
    return [HiddenImage(row.url, row.published if row.status in VISIBLE else None) for row in rows]


def visible_own_images(conn: Connection, now: datetime) -> set[str]:
    """The lead image URLs of the newsroom's own stories visible at ``now``.

    Reads every such story's image URL: call it rarely (once per store revision, and only
    when an image that a hidden story uses is asked for). Aggregated stories are left out:
    there are many of them and the aggregator never gives them an image.
    """
    url = _image_url(conn)
    found = conn.execute(
        select(url).where(visible_in(FeedScope(None), now), url.is_not(None))
    ).scalars()
    return set(found)


def _image_url(conn: Connection) -> ColumnElement[str]:
    """``image.url`` of the article document, or NULL when it has no image."""
    document = articles.c.document
    url: ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        url = cast(document, JSON)[("image", "url")].as_string()
    else:  # SQLite reads JSON kept as text as it is
        url = func.json_extract(document, "$.image.url")
    return type_coerce(url, String).label("url")
