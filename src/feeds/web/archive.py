"""``/{lang}/archive/{YYYY}/{MM}/[{page}/]{atom.xml|rss.xml|feed.json}``: RFC 5005 archives.

A month's archive is pages of ``[site] archive_page_size`` stories, newest first; the
month's URL is its newest page, ``.../{MM}/2/...`` the next older and so on (see
``feeds.publish.archive`` for the documents and their links). A page of a complete month
(UTC, by the injected clock) is an archive document: marked ``fh:archive``, cached for a
day (``CLOSED_MONTH_MAX_AGE``; then revalidated with its ETag) because it changes only when
a story in it is edited or retracted, and its Atom version carries an RFC 6721 tombstone
for every story on it retracted after it was public. Not ``immutable``: a retraction must
still reach caches within a day.

The current month is not an archive (RFC 5005 §4: archive documents are stable, and this
one still gains stories). Its pages answer as pages of the live feed, without
``fh:archive`` and with the live feed's ``cache_max_age``, so a link made during the month
keeps working and becomes the archive when the month ends; no archive and no live feed
links to them as an archive.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Format
from feeds.model import Article
from feeds.publish.archive import Month, is_closed, parse_month, parse_page
from feeds.publish.description import EPOCH
from feeds.publish.extension import Extension
from feeds.publish.feed import ArchiveFeed
from feeds.publish.render import render
from feeds.publish.tombstone import TombstoneExtension
from feeds.store import Store
from feeds.web.errors import not_found
from feeds.web.feeds import retractions_in
from feeds.web.rendercache import OWN_STORIES, RenderCache, revise
from feeds.web.variant import Variant, VariantResponse

__all__ = ["CLOSED_MONTH_MAX_AGE", "Archives"]

CLOSED_MONTH_MAX_AGE = 86_400


class Archives:
    """Answers ``GET``/``HEAD`` for the archives' pages, rendered into the ``RenderCache``:
    once per generation of the store, which moves on a write, when an embargoed story
    becomes visible and when a month ends (that decides what is complete and what the
    neighbours are)."""

    def __init__(self, site: SiteSettings, store: Store, cache: RenderCache) -> None:
        self.site = site
        self.store = store
        self.cache = cache

    async def feed(self, request: Request) -> Response | VariantResponse:
        params = request.path_params
        lang = params["lang"]
        month = parse_month(params["year"], params["month"])
        page = parse_page(params["page"]) if "page" in params else 1
        fmt = Format.from_filename(params["file"])
        if month is None or page is None or fmt is None or lang not in self.site.languages:
            return not_found(self.site, request.url.path)
        named = f"{month[0]:04d}-{month[1]:02d}" + (f", page {page}" if page > 1 else "")
        variant = await self.cache.get(
            ("archive", lang, month, page, fmt),
            lambda previous: self.variant(lang, month, fmt, self.cache.clock(), previous, page),
            f"the {lang} archive of {named} ({fmt.value})",
            scopes=OWN_STORIES,  # an archive holds the newsroom's own stories only
        )
        if variant is None:
            return not_found(self.site, request.url.path)
        return VariantResponse(variant)

    def variant(
        self,
        lang: str,
        month: Month,
        fmt: Format,
        now: datetime,
        previous: Variant | None = None,
        page: int = 1,
    ) -> Variant | None:
        site = self.site
        size = site.archive_page_size
        found = self.store.archive_page(lang, month, page, size, now)
        if found is None:
            return None
        stories, gone = found.stories, found.retracted
        closed = is_closed(month, now)
        # Archives link only to archives: complete months.
        complete = [m for m in found.months if is_closed(m, now)]
        older_months = [m for m in complete if m < month]
        newer_months = [m for m in complete if m > month]
        if found.older_page:
            older: Month | None = month
            older_page = page + 1
        else:
            older, older_page = (older_months[-1] if older_months else None), 1
        newer: Month | None = None
        newer_page = 1
        if closed and page > 1:
            newer, newer_page = month, page - 1
        elif closed and newer_months and found.newer_pages:
            newer, newer_page = newer_months[0], found.newer_pages
        feed = ArchiveFeed(
            key=FeedKey(lang, format=fmt),
            month=month,
            page=page,
            older=older,
            older_page=older_page,
            newer=newer,
            newer_page=newer_page,
            closed=closed,
        )
        extensions: list[Extension] = feed.extensions(site, fmt)
        if fmt is Format.ATOM:
            retractions = retractions_in(FeedKey(lang).scope(), gone)
            if retractions:
                extensions.append(TombstoneExtension(retractions))
        body = render(feed.describe(site, fmt), fmt, stories, extensions=extensions)
        max_age = CLOSED_MONTH_MAX_AGE if closed else site.cache_max_age
        return revise(
            previous,
            body,
            f"{fmt.media_type}; charset=utf-8",
            last_modified=_last_modified(stories, [when for _, when in gone]),
            cache_control=f"public, max-age={max_age}",
        )


def _last_modified(stories: list[Article], retractions: list[datetime]) -> datetime:
    return max([*(a.updated for a in stories), *retractions], default=EPOCH)
