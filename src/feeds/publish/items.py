"""What every format needs from an article, computed once per item: order, ids, dates.

Dates are formatted here, not by feedgen: feedgen's RFC 822 helper flips the process-wide
locale to ``C`` and back around ``strftime`` (``feedgen.util.formatRFC2822``), which is
not thread-safe in a server rendering feeds on several threads. ``rfc822`` spells day and
month names in English whatever the locale (RSS 2.0 / RFC 822 §5).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from feeds.model import Article, Translation, slugify

__all__ = ["FacetNames", "Item", "entry_id", "order_items", "rfc822", "rfc3339"]

# A section's or tag's name in one language, by (kind, slug): ("section", "science").
FacetNames = Mapping[tuple[str, str], str]

# Fixed forever: changing it would change every item id and make every reader show
# every story as new again.
_ID_NAMESPACE = uuid.UUID("7c1f0e6a-3a51-5d1e-9a0c-2f9d6a4b8e11").bytes
# RFC 4122 variant (binary 10xx) of a UUID's 17th hex digit, by that digit of the hash.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A section's or tag's slug by its name. Names are a newsroom's small vocabulary, and
# slugify (NFC and two regular expressions) cost more than the rest of an item's
# categories when every render slugified every story's names again.
_slug = lru_cache(maxsize=4096)(slugify)


def entry_id(article_id: str, lang: str) -> str:
    """The item id (RSS guid, Atom id, JSON id) of one story in one language.

    Derived only from the article id and the language, so it survives edits, retitling,
    URL changes and a move of the site to another domain (RFC 4287 §4.2.6: an id is
    permanent). A name-based UUID (RFC 4122 §4.3, version 5) is a valid URI without
    owning a domain name, as a ``tag:`` URI would need. Equal to
    ``uuid.uuid5(namespace, f"{article_id}/{lang}")``, computed without building UUID
    objects, which cost more than the rest of an item's bookkeeping: the SHA-1's hex
    digits, with the version digit (5) and the variant's two bits set in place.
    """
    name = _ID_NAMESPACE + f"{article_id}/{lang}".encode()
    x = hashlib.sha1(name, usedforsecurity=False).hexdigest()
    return f"urn:uuid:{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


def rfc822(value: datetime) -> str:
    """``Fri, 27 Nov 2026 09:30:00 +0000``: English names, 4-digit year, numeric zone.

    What ``email.utils.format_datetime`` writes for a UTC datetime, at a fifth of its
    cost (it matters at 5,000 items).
    """
    v = value.astimezone(UTC)
    return "%s, %02d %s %04d %02d:%02d:%02d +0000" % (  # noqa: UP031 -- fastest here
        _DAYS[v.weekday()],
        v.day,
        _MONTHS[v.month - 1],
        v.year,
        v.hour,
        v.minute,
        v.second,
    )


def rfc3339(value: datetime) -> str:
    """``2026-11-27T09:30:00+00:00`` (Atom §3.3, JSON Feed)."""
    return value.astimezone(UTC).isoformat()


class Item(NamedTuple):
    """One article as rendered in one language's feed."""

    article: Article
    translation: Translation
    guid: str
    categories: tuple[str, ...]

    @property
    def lang(self) -> str:
        return self.translation.lang

    @property
    def published(self) -> datetime:
        return self.article.published

    @property
    def updated(self) -> datetime:
        return self.article.updated


def _categories(article: Article, names: FacetNames) -> tuple[str, ...]:
    """Section first, then tags, each once, by their names in the feed's language
    (``names``: ``(kind, slug) -> name``) where the site gives one."""
    section, tags = article.section, article.tags
    if not names:  # nothing renamed: the names as the newsroom typed them
        found = (section, *tags) if section else tags
    else:
        found = tuple(names.get(("tag", _slug(tag)), tag) for tag in tags)
        if section:
            found = (names.get(("section", _slug(section)), section), *found)
    return tuple(dict.fromkeys(found))


def order_items(
    articles: Iterable[Article], lang: str, names: FacetNames | None = None
) -> Sequence[Item]:
    """The articles that have a ``lang`` version, newest first, ties broken by id.

    The caller already orders them; sorting again costs O(n log n) and makes the bytes
    independent of how the caller's query happened to break ties.
    """
    chosen = []
    for article in articles:
        translation = article.translation(lang)
        if translation is not None:
            chosen.append(
                Item(
                    article,
                    translation,
                    entry_id(article.id, lang),
                    _categories(article, names or {}),
                )
            )
    chosen.sort(key=lambda item: item.article.id)
    chosen.sort(key=lambda item: item.article.published, reverse=True)
    return chosen
