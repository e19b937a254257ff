"""``/{lang}/sitemap-news.xml`` (Google News sitemap per language) and ``/sitemap.xml``
(the index listing them), rendered into the ``RenderCache`` once per generation.

A news sitemap lists the last two days of stories (``NEWS_WINDOW``), so it also goes stale
without any write when its oldest story leaves the window: each rendered sitemap says
when that is (``expires``) and is rendered again from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from feeds.config import SiteSettings
from feeds.publish.description import EPOCH
from feeds.publish.sitemap import (
    MAX_NEWS_URLS,
    NEWS_WINDOW,
    SitemapRef,
    render_news_sitemap,
    render_sitemap_index,
)
from feeds.store import Headline, Store
from feeds.web.errors import not_found
from feeds.web.rendercache import OWN_STORIES, RenderCache, revise
from feeds.web.variant import Variant, VariantResponse

__all__ = ["Sitemaps"]

_XML = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class _Sitemap:
    variant: Variant
    expires: datetime | None  # when its oldest story leaves the window

    @property
    def nbytes(self) -> int:
        return self.variant.nbytes


class Sitemaps:
    def __init__(self, site: SiteSettings, store: Store, cache: RenderCache) -> None:
        self.site = site
        self.store = store
        self.cache = cache
        self.cache_control = f"public, max-age={site.cache_max_age}"

    async def news(self, request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        if lang not in self.site.languages:
            return not_found(self.site, request.url.path)
        return await self._answer(
            ("sitemap", lang), lambda old: self._news(lang, old), f"the {lang} news sitemap"
        )

    async def index(self, request: Request) -> Response | VariantResponse:
        return await self._answer(("sitemap",), self._index, "the sitemap index")

    async def _answer(
        self, identity: Hashable, render: Callable[[_Sitemap | None], _Sitemap], what: str
    ) -> VariantResponse:
        # Sitemaps list the newsroom's own stories only (``_recent``).
        found = await self.cache.get(
            identity, render, what, expired=self._expired, scopes=OWN_STORIES
        )
        assert found is not None  # a sitemap always exists
        return VariantResponse(found.variant)

    def _expired(self, sitemap: _Sitemap) -> bool:
        return sitemap.expires is not None and sitemap.expires <= self.cache.clock()

    def _recent(self, lang: str, now: datetime) -> list[Headline]:
        # The window in the query: a sitemap reads its two days, not the newest thousand,
        # and of each story its headline only, not its document.
        return self.store.headlines(lang, now, now - NEWS_WINDOW, MAX_NEWS_URLS)

    def _news(self, lang: str, previous: _Sitemap | None) -> _Sitemap:
        now = self.cache.clock()
        stories = self._recent(lang, now)
        front_page = self.site.absolute(f"/{lang}/")
        body = render_news_sitemap(stories, lang, self.site.publisher, now, front_page=front_page)
        newest = max((a.updated for a in stories), default=EPOCH)
        variant = revise(
            previous.variant if previous else None,
            body,
            _XML,
            last_modified=newest,
            cache_control=self.cache_control,
        )
        return _Sitemap(variant, _expires(stories))

    def _index(self, previous: _Sitemap | None) -> _Sitemap:
        now = self.cache.clock()
        refs = []
        expires: list[datetime] = []
        for lang in self.site.languages:
            stories = self._recent(lang, now)
            newest = max((a.updated for a in stories), default=None)
            refs.append(SitemapRef(self.site.absolute(f"/{lang}/sitemap-news.xml"), newest))
            if (leaves := _expires(stories)) is not None:
                expires.append(leaves)
        body = render_sitemap_index(refs)
        newest_all = max((r.lastmod for r in refs if r.lastmod), default=EPOCH)
        variant = revise(
            previous.variant if previous else None,
            body,
            _XML,
            last_modified=newest_all,
            cache_control=self.cache_control,
        )
        return _Sitemap(variant, min(expires, default=None))


def _expires(stories: list[Headline]) -> datetime | None:
    oldest = min((a.published for a in stories), default=None)
    return None if oldest is None else oldest + NEWS_WINDOW
