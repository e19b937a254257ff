"""``/{lang}/archive/{YYYY}/{MM}/{atom.xml|rss.xml|feed.json}``: RFC 5005 monthly archives.

A closed month changes only when a story in it is edited or retracted, so its archive is
cached for a day (and revalidated with its ETag after that); the current month's archive
is cached like the live feeds. See ``feeds.publish.archive`` for the documents.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from feeds.config import Settings
from feeds.model import Article
from feeds.publish.archive import ArchiveExtension, archive_path, is_closed, neighbours, parse_month
from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.render import render
from feeds.publish.selection import Format, Selection
from feeds.store import Store
from feeds.store import archive as queries
from feeds.web.errors import not_found
from feeds.web.variant import Variant, read_headers, send_variant

__all__ = ["ArchiveEndpoint", "routes"]

CLOSED_MONTH_MAX_AGE = 86_400


class ArchiveEndpoint:
    """Renders an archive once per store state: the store's revision plus the time of the
    next embargoed story (which becomes visible without a write)."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.cache: dict[tuple[str, tuple[int, int], Format], tuple[object, Variant | None]] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        lang = params["lang"]
        month = parse_month(params["year"], params["month"])
        fmt = Format.from_filename(params["file"])
        if month is None or fmt is None or lang not in self.settings.site.languages:
            await not_found(self.settings, scope["path"])(scope, receive, send)
            return
        variant = await run_in_threadpool(self.cached, lang, month, fmt, datetime.now(UTC))
        if variant is None:
            await not_found(self.settings, scope["path"])(scope, receive, send)
            return
        await send_variant(scope, send, variant, read_headers(scope))

    def cached(
        self, lang: str, month: tuple[int, int], fmt: Format, now: datetime
    ) -> Variant | None:
        embargo = self.store.next_publication(now)
        stamp = (self.store.revision().number, embargo, is_closed(month, now))
        key = (lang, month, fmt)
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        variant = self.variant(lang, month, fmt, now)
        with self.lock:
            self.cache[key] = (stamp, variant)
        return variant

    def variant(
        self, lang: str, month: tuple[int, int], fmt: Format, now: datetime
    ) -> Variant | None:
        with self.store.reading() as conn:
            months = queries.months_with_stories(conn, lang, now)
            if month not in months:
                return None
            stories = queries.stories_in_month(conn, lang, month[0], month[1], now)
        body = render(
            self.description(lang, month, fmt, months),
            fmt,
            stories,
            extensions=[ArchiveExtension(self.older_url(lang, month, fmt, months))],
        )
        site = self.settings.site
        closed = is_closed(month, now)
        max_age = CLOSED_MONTH_MAX_AGE if closed else site.cache_max_age
        return Variant(
            body,
            f"{fmt.media_type}; charset=utf-8",
            last_modified=_last_modified(stories),
            cache_control=f"public, max-age={max_age}",
        )

    def older_url(
        self, lang: str, month: tuple[int, int], fmt: Format, months: list[tuple[int, int]]
    ) -> str | None:
        older, _ = neighbours(months, month)
        return self.settings.site.absolute(archive_path(lang, older, fmt)) if older else None

    def description(
        self, lang: str, month: tuple[int, int], fmt: Format, months: list[tuple[int, int]]
    ) -> FeedDescription:
        site = self.settings.site
        older, newer = neighbours(months, month)
        links = [("current", site.absolute(Selection(lang).path(fmt)))]
        if older:
            links.append(("prev-archive", site.absolute(archive_path(lang, older, fmt))))
        if newer:
            links.append(("next-archive", site.absolute(archive_path(lang, newer, fmt))))
        label = f"{month[0]:04d}-{month[1]:02d}"
        return FeedDescription(
            selection=Selection(lang),
            title=f"{site.title(lang)} ({label})",
            description=f"{site.description(lang)} ({label})",
            home_url=site.absolute(f"/{lang}/"),
            self_url=site.absolute(archive_path(lang, month, fmt)),
            icon=site.absolute(site.icon),
            logo=site.absolute(site.logo),
            publisher=site.publisher,
            extra_links=tuple(links),
            copyright=site.copyright,
        )


def _last_modified(stories: list[Article]) -> datetime:
    return max((a.updated for a in stories), default=EPOCH)


def routes(settings: Settings, store: Store) -> list[Route]:
    endpoint = ArchiveEndpoint(settings, store)
    return [Route("/{lang}/archive/{year}/{month}/{file}", endpoint, methods=["GET", "HEAD"])]
