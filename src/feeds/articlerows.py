"""An article reduced to the plain values its database rows need: what the store writes.

Every article write (an ingest PUT, ``feeds import``, the aggregator) goes through
``feeds.store.writes.write_rows`` with these rows. The aggregator builds them in its
parse workers: a tuple of strings and datetimes is much cheaper to send between processes
than an ``Article`` with its nested dataclasses, and it leaves the writing process only
values to bind. This module does not import the store, so that workers need not load
SQLAlchemy.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import lxml.etree
import lxml.html

from feeds.dedupe import bands, story_key
from feeds.feedkeys import outbox_keys
from feeds.model import Article, Translation, article_to_dict, is_visible, slugify
from feeds.searchtext import MAX_INDEXED_WORDS, words

__all__ = ["ArticleRow", "article_row", "search_text"]


class ArticleRow(NamedTuple):
    """The values an article's rows need, nothing more."""

    id: str
    status: str
    published: datetime
    # ``published`` when the status lets the story be seen once that time has come (the
    # model's visibility rule, ``is_visible``); None for a draft or a retraction.
    visible_from: datetime | None
    updated: datetime
    section_slug: str | None
    aggregated: bool
    source_id: int | None
    document: str  # the stored JSON document
    languages: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]  # (slug, label)
    authors: tuple[tuple[str, str], ...]  # (slug, name)
    feed_keys: tuple[str, ...]  # the outbox keys of the feeds it appears in (when visible)
    # (lang, words): what search finds, normalised (feeds.searchtext), per translation.
    search_texts: tuple[tuple[str, str], ...] = ()
    # (lang, key): the headline that stands for the story (feeds.dedupe.story_key).
    story_keys: tuple[tuple[str, str], ...] = ()
    # The LSH band values of each of ``story_keys``, in its order (feeds.dedupe.bands; none
    # for an empty key). Made here, in the parse workers, not in the one thread that
    # writes; a row built without them has them made when it is written.
    story_bands: tuple[tuple[int, ...], ...] = ()


def article_row(article: Article) -> ArticleRow:
    """What the store writes for ``article``."""
    keys = tuple(
        (t.lang, story_key(t.title, article.source.title if article.source else None))
        for t in article.translations
    )
    return ArticleRow(
        id=article.id,
        status=article.status.value,
        published=article.published,
        visible_from=article.published if is_visible(article, article.published) else None,
        updated=article.updated,
        section_slug=article.section_slug,
        aggregated=article.source is not None,
        source_id=article.source.source_id if article.source else None,
        document=json.dumps(article_to_dict(article), ensure_ascii=False),
        languages=article.languages,
        tags=tuple({slugify(t): t for t in article.tags}.items()),
        authors=tuple({a.slug: a.name for a in article.authors if a.slug}.items()),
        feed_keys=tuple(sorted(outbox_keys(article))),
        search_texts=tuple((t.lang, search_text(t)) for t in article.translations),
        story_keys=keys,
        story_bands=tuple(tuple(bands(key)) if key else () for _, key in keys),
    )


def search_text(translation: Translation) -> str:
    """The words search finds a translation by: its title, summary and body text."""
    found = words(translation.title, MAX_INDEXED_WORDS)
    for text in (translation.summary, _body_text(translation.body_html)):
        if len(found) >= MAX_INDEXED_WORDS:
            break
        found += words(text, MAX_INDEXED_WORDS - len(found))
    return " ".join(found)


def _body_text(body_html: str) -> str:
    if not body_html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):  # nothing an HTML parser calls a document
        return body_html
    # One space between the pieces: "<p>a</p><p>b</p>" is two words, not "ab".
    return " ".join(root.itertext())
