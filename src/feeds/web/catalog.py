"""Which feeds exist: the site's languages and, per language, its sections, tags, authors
and the months that have an archive.

Feeds for a configured language always exist (the main and the aggregated feed, even when
empty); a section, tag or author feed exists while at least one visible story of its own
language has it. A feed's own facet is read once per generation (see ``Freshness``) from
that facet's rows, so the first request after a write costs the facet's stories, not the
language's; every facet of a language (with their counts, for the pages that list them)
is read once per generation too. A made-up slug is one empty index range per generation
(remembered up to ``MAX_REMEMBERED`` slugs, then read again each time).

What a feed is called and links to is declared in ``feeds.publish.feed``; ``describe``,
``feed_of`` and ``opml_groups`` only add what needs the store (which sibling feeds exist,
a facet's name, the months that have an archive, the time); which stories a feed holds is
its ``FeedKey.scope`` (``feeds.feedkeys``). Blocking (reads facets): call them in a
worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article
from feeds.publish.archive import Month
from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.feed import PublicFeed, public_feed
from feeds.publish.opml import OpmlFeed, opml_group
from feeds.store import Facet, Store
from feeds.web.rendercache import Freshness

__all__ = ["Catalog", "describe", "feed_of", "opml_groups"]

Facets = dict[str, list[Facet]]
T = TypeVar("T")
# Facets remembered one by one per generation (made-up slugs included); beyond that many a
# facet is read again on each request, so a crawler of made-up URLs cannot grow the cache.
MAX_REMEMBERED = 10_000


class Catalog:
    def __init__(
        self,
        site: SiteSettings,
        store: Store,
        freshness: Freshness,
    ) -> None:
        self.languages = site.languages
        self.store = store
        self.freshness = freshness
        self.clock = freshness.clock
        self._lock = threading.Lock()
        self._generation = -1
        self._cache: dict[tuple[str, str], Any] = {}
        # One facet per feed (``facet``): (lang, kind, slug) -> (facet or None,).
        self._one: dict[tuple[str, str, str], tuple[Facet | None]] = {}

    def _cached(self, what: str, lang: str, compute: Callable[[datetime], T]) -> T:
        """``compute(now)``, once per generation and language."""
        generation = self.freshness.generation
        key = (what, lang)
        with self._lock:
            if generation != self._generation:
                self._cache, self._one = {}, {}
                self._generation = generation
            cached = self._cache.get(key)
        if cached is not None:
            return cast(T, cached)
        found = compute(self.clock())
        with self._lock:
            if generation == self._generation:
                self._cache[key] = found
        return found

    def facets(self, lang: str) -> Facets:
        """Sections, tags and authors of ``lang`` (blocking: call it in a worker thread)."""
        return self._cached("facets", lang, lambda now: self.store.facets(lang, now))

    def archive_months(self, lang: str) -> list[Month]:
        """Every month of ``lang`` with an archive, oldest first, the current one included
        (blocking). ``Freshness`` starts a new generation when a month ends."""
        return self._cached("archive", lang, lambda now: self.store.archive_months(lang, now))

    def facet(self, key: FeedKey) -> Facet | None:
        """The section, tag or author a feed narrows to, if it has visible stories: from
        the language's facets when they were read in this generation, else from its own."""
        if key.lang not in self.languages or key.slug is None:
            return None
        kind, slug = key.kind.value, key.slug
        generation = self.freshness.generation
        with self._lock:
            current = generation == self._generation
            every = self._cache.get(("facets", key.lang)) if current else None
            known = self._one.get((key.lang, kind, slug)) if current else None
        if every is not None:
            return next((f for f in every.get(kind, []) if f.slug == slug), None)
        if known is not None:
            return known[0]
        found = self.store.facet(key.lang, kind, slug, self.clock())
        with self._lock:
            if generation != self._generation:
                self._cache, self._one = {}, {}
                self._generation = generation
            if len(self._one) < MAX_REMEMBERED:
                self._one[(key.lang, kind, slug)] = (found,)
        return found

    def exists(self, key: FeedKey) -> bool:
        if key.lang not in self.languages:
            return False
        if key.kind in (Kind.ALL, Kind.AGGREGATED):
            return True
        return self.facet(key) is not None

    def feeds(self, lang: str) -> list[tuple[FeedKey, Facet | None]]:
        """Every feed of ``lang``: main, aggregated, then sections, tags and authors."""
        found: list[tuple[FeedKey, Facet | None]] = [
            (FeedKey(lang), None),
            (FeedKey(lang, Kind.AGGREGATED), None),
        ]
        facets = self.facets(lang)
        for kind in (Kind.SECTION, Kind.TAG, Kind.AUTHOR):
            for facet in facets.get(kind.value, []):
                try:
                    found.append((FeedKey(lang, kind, facet.slug), facet))
                except ValueError:  # a slug stored by an older slugify: no canonical URL
                    continue
        return found


def _facet_name(catalog: Catalog, key: FeedKey) -> str | None:
    if key.kind in (Kind.ALL, Kind.AGGREGATED):
        return None
    facet = catalog.facet(key)
    return facet.label if facet else None


def feed_of(catalog: Catalog, key: FeedKey, articles: Sequence[Article] = ()) -> PublicFeed:
    """The feed of ``key`` as far as its name goes (title, label, home page)."""
    return public_feed(key, facet_name=_facet_name(catalog, key), articles=articles)


def describe(
    site: SiteSettings,
    catalog: Catalog,
    key: FeedKey,
    articles: Sequence[Article] = (),
    *,
    websub_hubs: tuple[str, ...] = (),
) -> FeedDescription:
    """The description of the feed ``key`` names, with its neighbours (and the WebSub hubs
    it names)."""
    lang = key.lang
    main = key.kind is Kind.ALL
    feed = public_feed(
        key,
        facet_name=_facet_name(catalog, key),
        articles=articles,
        siblings=tuple(
            other
            for other in site.languages
            if other != lang and catalog.exists(key.with_lang(other))
        ),
        websub_hubs=websub_hubs,
        archive_months=catalog.archive_months(lang) if main else (),
        now=catalog.clock() if main else EPOCH,
    )
    return feed.describe(site, key.format)


def opml_groups(
    site: SiteSettings, catalog: Catalog, formats: Sequence[Format] = tuple(Format)
) -> list[tuple[str, list[OpmlFeed]]]:
    """Every feed in each of ``formats``, grouped by language (``/feeds.opml?format=rss``
    lists one format only)."""
    return [
        opml_group(site, lang, [feed_of(catalog, key) for key, _ in catalog.feeds(lang)], formats)
        for lang in site.languages
    ]
