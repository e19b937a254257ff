"""Rendered partner feeds, kept until the store or the partner's settings change.

The same rules as the public ``FeedCache``: a feed is rendered once per generation of the
store (its revision, or a scheduled story's time coming; see ``Freshness``) and only
when asked for; a re-render giving the same bytes keeps the old ``Variant`` (same ETag,
same Last-Modified); new bytes get a Last-Modified that never goes backwards; concurrent
requests wait for one render.

An entry is keyed by everything that shapes a partner's bytes: its name (the feed's self
link), profile, languages, sections and tags, its options (caps, ``full_text``,
``extensions``, Feedly, Yandex and SmartNews settings) and the feed (its ``FeedKey``). A
partner whose profile or options change in the store gets a new key, so a fresh render,
on its next request. Two partners never share an entry, even with identical settings.

The cache does not authenticate: ``feeds.web.partners`` checks the credential and the
partner's rights against the store on every request, before it asks for an entry, so a
revoked token or partner is refused at once even while its feed is cached.

Memory is bounded: entries (plain, gzip and brotli bytes) are dropped least recently
used first once they hold more than ``max_bytes``; a feed bigger than that on its own is
served but not kept.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from feeds.feedkeys import FeedKey
from feeds.publish.partners import PartnerFeed
from feeds.store.partners import PartnerRecord
from feeds.web.feedcache import last_modified
from feeds.web.freshness import Freshness
from feeds.web.singleflight import SingleFlight
from feeds.web.variant import Variant

__all__ = ["DEFAULT_MAX_BYTES", "PARTNER_VARY", "PartnerEntry", "PartnerFeedCache", "PartnerKey"]

log = logging.getLogger("feeds.partners")

# About 250 partner feeds of 50 full-text items (plain + gzip + brotli ≈ 130 KB each).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
# Credentials are in Authorization; a shared cache must not keep them anyway (private).
PARTNER_VARY = "Accept-Encoding, Authorization"

# (record, feed, now) -> the partner's feed; blocking (reads the store).
Render = Callable[[PartnerRecord, FeedKey, datetime], PartnerFeed]


@dataclass(frozen=True)
class PartnerKey:
    """Everything that changes the bytes of a partner feed."""

    partner: str
    profile: str
    languages: tuple[str, ...]
    sections: tuple[str, ...]
    tags: tuple[str, ...]
    options: str  # canonical JSON: options are plain TOML/JSON values, not hashable
    feed: FeedKey

    @classmethod
    def of(cls, record: PartnerRecord, feed: FeedKey) -> PartnerKey:
        return cls(
            partner=record.name,
            profile=record.profile,
            languages=tuple(record.languages),
            sections=tuple(record.sections),
            tags=tuple(record.tags),
            options=json.dumps(dict(record.options), sort_keys=True, default=repr),
            feed=feed,
        )


@dataclass(frozen=True)
class PartnerEntry:
    """One partner feed as of one generation."""

    generation: int
    feed: Variant
    stories: int  # how many stories it holds, for the log

    @property
    def size(self) -> int:
        return sum(len(body) for body in self.feed.bodies.values())


class PartnerFeedCache:
    def __init__(
        self,
        freshness: Freshness,
        render: Render,
        *,
        cache_control: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.freshness = freshness
        self.render = render
        self.cache_control = cache_control
        self.max_bytes = max_bytes
        self.size = 0  # bytes held by the entries
        self._entries: OrderedDict[PartnerKey, PartnerEntry] = OrderedDict()
        self._renders: SingleFlight[tuple[PartnerKey, int], PartnerEntry] = SingleFlight()
        self._too_big: set[PartnerKey] = set()  # warned about once each

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, record: PartnerRecord, feed: FeedKey) -> PartnerEntry:
        """``record``'s current feed, rendered if needed. Call only for an authorised
        partner: the cache trusts that ``record`` came from the store just now."""
        await self.freshness.ensure()
        key = PartnerKey.of(record, feed)
        generation = self.freshness.generation
        entry = self._entries.get(key)
        if entry is not None and entry.generation == generation:
            self._entries.move_to_end(key)
            return entry
        previous = entry
        fresh = await self._renders.run(
            (key, generation),
            lambda: self._render(record, feed, generation, previous),
        )
        self._keep(key, fresh)
        return fresh

    def _render(
        self,
        record: PartnerRecord,
        feed_key: FeedKey,
        generation: int,
        previous: PartnerEntry | None,
    ) -> PartnerEntry:
        now = self.freshness.clock()
        feed = self.render(record, feed_key, now)
        if previous is not None and previous.feed.body == feed.body:
            return PartnerEntry(generation, previous.feed, len(feed.included))
        variant = Variant(
            feed.body,
            f"{feed_key.format.media_type}; charset=utf-8",
            last_modified=last_modified(
                now,
                self.freshness.changed_at,
                feed.newest,
                previous.feed.last_modified if previous is not None else None,
            ),
            cache_control=self.cache_control,
            vary=PARTNER_VARY,
        )
        return PartnerEntry(generation, variant, len(feed.included))

    def _keep(self, key: PartnerKey, entry: PartnerEntry) -> None:
        current = self._entries.get(key)
        if current is not None and current.generation > entry.generation:
            return  # a waiter of an older render: the newer entry stays
        if current is not None:
            self.size -= current.size
            del self._entries[key]
        if entry.size > self.max_bytes:
            if key not in self._too_big:
                self._too_big.add(key)
                log.warning(
                    "partner %s: its %s feed (%d bytes with compressed copies) is larger than "
                    "the partner feed cache (%d bytes): it is rendered on every request",
                    key.partner,
                    key.feed.path,
                    entry.size,
                    self.max_bytes,
                )
            return
        self._entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.size -= dropped.size
