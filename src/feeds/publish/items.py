"""What every format needs from an article, computed once per item: order, ids, dates.

Dates are formatted here, not by feedgen: feedgen's RFC 822 helper flips the process-wide
locale to ``C`` and back around ``strftime`` (``feedgen.util.formatRFC2822``), which is
not thread-safe in a server rendering feeds on several threads. ``email.utils`` spells
day and month names in English whatever the locale (RSS 2.0 / RFC 822 §5).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from feeds.model import Article, Translation

__all__ = ["Item", "entry_id", "order_items", "rfc822", "rfc3339"]

# Fixed forever: changing it would change every item id and make every reader show
# every story as new again.
_ID_NAMESPACE = uuid.UUID("7c1f0e6a-3a51-5d1e-9a0c-2f9d6a4b8e11")


def entry_id(article_id: str, lang: str) -> str:
    """The item id (RSS guid, Atom id, JSON id) of one story in one language.

    Derived only from the article id and the language, so it survives edits, retitling,
    URL changes and a move of the site to another domain (RFC 4287 §4.2.6: an id is
    permanent). A name-based UUID (RFC 4122 §4.3) is a valid URI without owning a
    domain name, as a ``tag:`` URI would need.
    """
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{article_id}/{lang}')}"


def rfc822(value: datetime) -> str:
    """``Fri, 27 Nov 2026 09:30:00 +0000``: English names, 4-digit year, numeric zone."""
    return format_datetime(value.astimezone(UTC))


def rfc3339(value: datetime) -> str:
    """``2026-11-27T09:30:00+00:00`` (Atom §3.3, JSON Feed)."""
    return value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Item:
    """One article as rendered in one language's feed."""

    article: Article
    translation: Translation
    guid: str
    categories: tuple[str, ...]

    @property
    def published(self) -> datetime:
        return self.article.published

    @property
    def updated(self) -> datetime:
        return self.article.updated


def _categories(article: Article) -> tuple[str, ...]:
    """Section first, then tags, each once."""
    names = [article.section] if article.section else []
    names.extend(article.tags)
    return tuple(dict.fromkeys(names))


def order_items(articles: Iterable[Article], lang: str) -> Sequence[Item]:
    """The articles that have a ``lang`` version, newest first, ties broken by id.

    The caller already orders them; sorting again costs O(n log n) and makes the bytes
    independent of how the caller's query happened to break ties.
    """
    chosen = []
    for article in articles:
        translation = article.translation(lang)
        if translation is not None:
            chosen.append(
                Item(article, translation, entry_id(article.id, lang), _categories(article))
            )
    chosen.sort(key=lambda item: item.article.id)
    chosen.sort(key=lambda item: item.article.published, reverse=True)
    return chosen
