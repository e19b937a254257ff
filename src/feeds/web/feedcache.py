"""Rendered feeds, kept until their data changes.

A feed is rendered once per generation (see ``Freshness``) and only when someone asks for
it. A re-render that gives the same bytes keeps the old ``Variant``: same ETag, same
Last-Modified, no recompression. New bytes get a Last-Modified that never goes backwards,
even when a story was retracted and the newest remaining story is older:

    max(previous Last-Modified, time of the store's last write, newest story's time)

The store's last write is shared by every process on the database, so a feed first
rendered after a restart still dates itself no earlier than the change it shows. HTTP
dates have whole seconds: two changes within one second share a Last-Modified, and only
the ETag tells them apart (RFC 9110 §8.8.2.2); it is never dated in the future to avoid
that (§8.8.2.1).

Concurrent requests for a feed that needs rendering wait for one render, not one each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool

from feeds.config import Settings
from feeds.feedkeys import FeedKey, Kind
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.render import render
from feeds.store import Store
from feeds.syndicate.notifier import link_header
from feeds.web.catalog import Catalog
from feeds.web.describe import describe
from feeds.web.freshness import Freshness
from feeds.web.singleflight import SingleFlight
from feeds.web.tombstones import tombstone_extensions
from feeds.web.variant import Variant

__all__ = ["FEED_VARY", "Entry", "FeedCache", "last_modified"]

# Browsers navigating to a feed get a readable page instead (see feeds.web.feeds).
FEED_VARY = "Accept-Encoding, Sec-Fetch-Dest"


@dataclass
class Entry:
    """One feed as of one generation: its stories, its description, its bytes."""

    key: FeedKey
    generation: int
    articles: list[Article]
    description: FeedDescription
    feed: Variant
    preview: Variant | None = field(default=None)


class FeedCache:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        freshness: Freshness,
        catalog: Catalog,
        preview: Callable[[Entry], bytes],
    ) -> None:
        self.settings = settings
        self.store = store
        self.freshness = freshness
        self.catalog = catalog
        self.render_preview = preview
        self.cache_control = f"public, max-age={settings.site.cache_max_age}"
        self.by_path: dict[str, Entry] = {}
        self.by_key: dict[FeedKey, Entry] = {}
        self._renders: SingleFlight[FeedKey, Entry | None] = SingleFlight()

    def lookup(self, path: str) -> Entry | None:
        """The hot path: the current entry for a decoded request path, if rendered."""
        entry = self.by_path.get(path)
        if entry is not None and entry.generation == self.freshness.generation:
            return entry
        return None

    async def get(self, key: FeedKey) -> Entry | None:
        """The current entry, rendering it if needed; None when there is no such feed."""
        entry = self.by_key.get(key)
        if entry is not None and entry.generation == self.freshness.generation:
            return entry
        entry = await self._renders.run(key, lambda: self._render(key))
        path = unquote(key.path)
        if entry is None:
            self.by_key.pop(key, None)
            self.by_path.pop(path, None)
        else:
            self.by_key[key] = entry
            self.by_path[path] = entry
        return entry

    async def preview(self, entry: Entry) -> Variant:
        """The HTML page a browser gets for this feed, made once per entry."""
        if entry.preview is None:
            entry.preview = await run_in_threadpool(self._render_preview, entry)
        return entry.preview

    def _render_preview(self, entry: Entry) -> Variant:
        return Variant(
            self.render_preview(entry),
            "text/html; charset=utf-8",
            last_modified=entry.feed.last_modified,
            cache_control=self.cache_control,
            vary=FEED_VARY,
        )

    def _render(self, key: FeedKey) -> Entry | None:
        generation = self.freshness.generation
        if not self.catalog.exists(key):
            return None
        now = self.freshness.clock()
        scope = key.scope(republish=self.settings.aggregator.republish)
        articles = self.store.visible_articles(scope, now, self.settings.site.max_items)
        if not articles and key.kind not in (Kind.ALL, Kind.AGGREGATED):
            return None  # its last story left between the facet read and this one
        description = describe(self.settings, self.catalog, key, articles)
        # RFC 6721 tombstones for recent retractions (Atom only; feeds.web.tombstones).
        extensions = tombstone_extensions(self.settings, self.store, scope, key.format, now)
        body = render(description, key.format, articles, extensions=extensions)
        previous = self.by_key.get(key)
        if previous is not None and previous.feed.body == body:
            feed = previous.feed
        else:
            feed = Variant(
                body,
                f"{key.format.media_type}; charset=utf-8",
                last_modified=last_modified(
                    now,
                    self.freshness.changed_at,
                    max((a.published for a in articles), default=None),
                    previous.feed.last_modified if previous is not None else None,
                ),
                cache_control=self.cache_control,
                vary=FEED_VARY,
                link=link_header(description.hubs, description.self_url),
            )
        return Entry(key, generation, articles, description, feed)


def last_modified(
    now: datetime,
    store_changed_at: datetime,
    newest_story: datetime | None,
    previous: datetime | None,
) -> datetime:
    """The Last-Modified of newly rendered bytes (see the module docstring).

    ``max(previous, store's last write, newest story)``, never later than ``now``: a
    scheduled story's time can be after the write that stored it.
    """
    newest = store_changed_at if newest_story is None else newest_story
    changed = min(now, max(store_changed_at, newest))
    return changed if previous is None else max(changed, previous)
