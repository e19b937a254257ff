"""``/{lang}/archive/{YYYY}/{MM}/{atom.xml|rss.xml|feed.json}``: RFC 5005 monthly archives.

A complete month (UTC, by the injected clock) is an archive document: marked
``fh:archive``, cached for a day (``CLOSED_MONTH_MAX_AGE``; then revalidated with its
ETag) because it changes only when a story in it is edited or retracted, and its Atom
version carries an RFC 6721 tombstone for every story of the month retracted after it
was public. Not ``immutable``: a retraction must still reach caches within a day.

The current month is not an archive document (RFC 5005 §4: archive documents are
stable, and this one still gains stories). Its URL answers as a page of the live feed,
without ``fh:archive`` and with the live feed's ``cache_max_age``, so a link made during
the month keeps working and becomes the archive when the month ends; no archive and no
live feed links to it as an archive. See ``feeds.publish.archive`` for the documents.
"""

from __future__ import annotations

import threading
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from feeds.config import Settings
from feeds.feedkeys import FeedKey, Format
from feeds.model import Article
from feeds.publish.archive import Month, current_month, is_closed, neighbours, parse_month
from feeds.publish.description import EPOCH
from feeds.publish.extension import Extension
from feeds.publish.feed import ArchiveFeed
from feeds.publish.render import render
from feeds.publish.tombstone import TombstoneExtension
from feeds.store import Store
from feeds.web.errors import not_found
from feeds.web.freshness import Clock, utc_now
from feeds.web.tombstones import retractions_in
from feeds.web.variant import Variant, read_headers, send_variant

__all__ = ["CLOSED_MONTH_MAX_AGE", "ArchiveEndpoint", "routes"]

CLOSED_MONTH_MAX_AGE = 86_400


class ArchiveEndpoint:
    """Renders an archive once per store state: the store's revision, the time of the
    next embargoed story (which becomes visible without a write) and the current month
    (which decides what is complete and what the neighbours are)."""

    def __init__(self, settings: Settings, store: Store, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.cache: dict[tuple[str, Month, Format], tuple[object, Variant | None]] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        lang = params["lang"]
        month = parse_month(params["year"], params["month"])
        fmt = Format.from_filename(params["file"])
        if month is None or fmt is None or lang not in self.settings.site.languages:
            await not_found(self.settings, scope["path"])(scope, receive, send)
            return
        variant = await run_in_threadpool(self.cached, lang, month, fmt, self.clock())
        if variant is None:
            await not_found(self.settings, scope["path"])(scope, receive, send)
            return
        await send_variant(scope, send, variant, read_headers(scope))

    def cached(self, lang: str, month: Month, fmt: Format, now: datetime) -> Variant | None:
        embargo = self.store.next_publication(now)
        stamp = (self.store.revision().number, embargo, current_month(now))
        key = (lang, month, fmt)
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        variant = self.variant(lang, month, fmt, now)
        with self.lock:
            self.cache[key] = (stamp, variant)
        return variant

    def variant(self, lang: str, month: Month, fmt: Format, now: datetime) -> Variant | None:
        found = self.store.archive_month(lang, month, now)
        if found is None:
            return None
        months, stories, gone = found.months, found.stories, found.retracted
        closed = is_closed(month, now)
        # Archives link only to archives: complete months.
        complete = [m for m in months if is_closed(m, now)]
        older, newer = neighbours(complete, month)
        feed = ArchiveFeed(
            key=FeedKey(lang, format=fmt), month=month, older=older, newer=newer, closed=closed
        )
        site = self.settings.site
        extensions: list[Extension] = feed.extensions(site, fmt)
        if fmt is Format.ATOM:
            retractions = retractions_in(FeedKey(lang).scope(), gone)
            if retractions:
                extensions.append(TombstoneExtension(retractions))
        body = render(feed.describe(site, fmt), fmt, stories, extensions=extensions)
        max_age = CLOSED_MONTH_MAX_AGE if closed else self.settings.site.cache_max_age
        return Variant(
            body,
            f"{fmt.media_type}; charset=utf-8",
            last_modified=_last_modified(stories, [when for _, when in gone]),
            cache_control=f"public, max-age={max_age}",
        )


def _last_modified(stories: list[Article], retractions: list[datetime]) -> datetime:
    return max([*(a.updated for a in stories), *retractions], default=EPOCH)


def routes(settings: Settings, store: Store, clock: Clock = utc_now) -> list[Route]:
    endpoint = ArchiveEndpoint(settings, store, clock)
    return [Route("/{lang}/archive/{year}/{month}/{file}", endpoint, methods=["GET", "HEAD"])]
