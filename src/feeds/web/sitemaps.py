"""``/{lang}/sitemap-news.xml`` (Google News sitemap per language) and ``/sitemap.xml``
(the index listing them). Rendered per request from the store: they are small (two
days of stories) and crawled far less often than feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from feeds.config import Settings
from feeds.feedkeys import FeedScope
from feeds.model import Article
from feeds.publish.description import EPOCH
from feeds.publish.sitemap import (
    MAX_NEWS_URLS,
    NEWS_WINDOW,
    SitemapRef,
    render_news_sitemap,
    render_sitemap_index,
)
from feeds.store import Store
from feeds.web.errors import not_found
from feeds.web.freshness import Clock, utc_now
from feeds.web.variant import Variant, read_headers, send_variant

__all__ = ["routes"]

_XML = "application/xml; charset=utf-8"


def routes(settings: Settings, store: Store, clock: Clock = utc_now) -> list[Route]:
    site = settings.site
    cache_control = f"public, max-age={site.cache_max_age}"

    def recent(lang: str, now: datetime) -> list[Article]:
        stories = store.visible_articles(FeedScope(lang), now, MAX_NEWS_URLS)
        return [a for a in stories if a.published >= now - NEWS_WINDOW]

    def news_variant(lang: str) -> Variant:
        now = clock()
        stories = recent(lang, now)
        front_page = site.absolute(f"/{lang}/")
        body = render_news_sitemap(stories, lang, site.publisher, now, front_page=front_page)
        newest = max((a.updated for a in stories), default=EPOCH)
        return Variant(body, _XML, last_modified=newest, cache_control=cache_control)

    def index_variant() -> Variant:
        now = clock()
        refs = []
        for lang in site.languages:
            stories = recent(lang, now)
            newest = max((a.updated for a in stories), default=None)
            refs.append(SitemapRef(site.absolute(f"/{lang}/sitemap-news.xml"), newest))
        body = render_sitemap_index(refs)
        newest_all = max((r.lastmod for r in refs if r.lastmod), default=EPOCH)
        return Variant(body, _XML, last_modified=newest_all, cache_control=cache_control)

    async def news(scope: Scope, receive: Receive, send: Send) -> None:
        lang = scope["path_params"]["lang"]
        if lang not in site.languages:
            await not_found(settings, scope["path"])(scope, receive, send)
            return
        variant = await run_in_threadpool(news_variant, lang)
        await send_variant(scope, send, variant, read_headers(scope))

    async def index(scope: Scope, receive: Receive, send: Send) -> None:
        variant = await run_in_threadpool(index_variant)
        await send_variant(scope, send, variant, read_headers(scope))

    return [
        Route("/{lang}/sitemap-news.xml", _Asgi(news), methods=["GET", "HEAD"]),
        Route("/sitemap.xml", _Asgi(index), methods=["GET", "HEAD"]),
    ]


class _Asgi:
    """Marks a function as a raw ASGI app: Starlette would wrap a bare function as a
    request -> response endpoint."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
