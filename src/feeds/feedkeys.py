"""Feed keys: a feed named independently of format and host.

``en``, ``en/section/politics``, ``en/tag/elections``, ``en/author/anna-petrosyan``,
``en/aggregated``. The WebSub outbox stores them; the notifier turns them into topic
URLs. Kept apart from the store so that a parse worker can compute them cheaply.
"""

from __future__ import annotations

from feeds.model import Article

__all__ = ["feed_keys"]


def feed_keys(article: Article) -> set[str]:
    """Every feed ``article`` appears in (when visible), as feed keys."""
    keys: set[str] = set()
    for lang in article.languages:
        if article.source is not None:
            keys.add(f"{lang}/aggregated")
            continue
        keys.add(lang)
        if article.section_slug:
            keys.add(f"{lang}/section/{article.section_slug}")
        keys.update(f"{lang}/tag/{slug}" for slug in article.tag_slugs if slug)
        keys.update(f"{lang}/author/{a.slug}" for a in article.authors if a.slug)
    return keys
