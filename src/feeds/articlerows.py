"""An aggregated article reduced to the plain values its database rows need.

Built in a parse worker: a tuple of strings and datetimes is much cheaper to send between
processes than an ``Article`` with its nested dataclasses, and it leaves the writing
process only values to bind (``feeds.store.newarticles.insert_new_articles``). This module
does not import the store, so that workers need not load SQLAlchemy.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from feeds.feedkeys import outbox_keys
from feeds.model import Article, article_to_dict, slugify

__all__ = ["NewArticle", "new_article"]


class NewArticle(NamedTuple):
    """The values an article's rows need, nothing more."""

    id: str
    status: str
    published: datetime
    updated: datetime
    section_slug: str | None
    source_id: int | None
    document: str  # the stored JSON document
    languages: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]  # (slug, label)
    authors: tuple[tuple[str, str], ...]  # (slug, name)
    feed_keys: tuple[str, ...]  # the WebSub keys of the feeds it appears in


def new_article(article: Article) -> NewArticle:
    """What ``insert_new_articles`` writes for ``article``: the rows ``write_article`` writes."""
    return NewArticle(
        id=article.id,
        status=article.status.value,
        published=article.published,
        updated=article.updated,
        section_slug=article.section_slug,
        source_id=article.source.source_id if article.source else None,
        document=json.dumps(article_to_dict(article), ensure_ascii=False),
        languages=article.languages,
        tags=tuple({slugify(t): t for t in article.tags}.items()),
        authors=tuple({a.slug: a.name for a in article.authors if a.slug}.items()),
        feed_keys=tuple(sorted(outbox_keys(article))),
    )
