"""``/``, ``/{lang}/``, ``/feeds.opml``: pages about the feeds, cached per generation.

Each page version is a ``Variant`` (ETag, 304, compressed once) kept until the store's
generation moves. ``/`` and ``/{lang}/`` may *suggest* the browser's preferred language
(Accept-Language); they never pick a feed's language from it, and say ``Vary`` for it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feeds.config import Settings
from feeds.feedkeys import FeedKey, Format
from feeds.publish.opml import render_opml
from feeds.web.describe import opml_groups
from feeds.web.errors import not_found
from feeds.web.feedcache import FeedCache
from feeds.web.freshness import Freshness
from feeds.web.html import Pages
from feeds.web.negotiate import preferred_language
from feeds.web.variant import Variant, VariantResponse

__all__ = ["PageCache", "page_routes"]

PageKey = tuple[str, ...]


class PageCache:
    """Page bytes by (page, arguments), each valid for one generation."""

    def __init__(self, settings: Settings, freshness: Freshness) -> None:
        self.freshness = freshness
        self.cache_control = f"public, max-age={settings.site.cache_max_age}"
        self._pages: dict[PageKey, tuple[int, Variant]] = {}

    async def get(
        self, key: PageKey, media_type: str, vary: str, make: Callable[[], bytes]
    ) -> Variant:
        generation = self.freshness.generation
        cached = self._pages.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]

        def build() -> Variant:
            body = make()
            if cached is not None and cached[1].body == body:
                return cached[1]
            return Variant(
                body,
                media_type,
                last_modified=self.freshness.changed_at,
                cache_control=self.cache_control,
                vary=vary,
            )

        variant = await run_in_threadpool(build)
        self._pages[key] = (generation, variant)
        return variant


def page_routes(
    settings: Settings, freshness: Freshness, feeds: FeedCache, pages: Pages
) -> list[Route]:
    site = settings.site
    cache = PageCache(settings, freshness)
    html = "text/html; charset=utf-8"
    by_language = "Accept-Encoding, Accept-Language"

    def suggestion(request: Request) -> str | None:
        return preferred_language(request.headers.get("accept-language"), site.languages)

    async def index(request: Request) -> Response | VariantResponse:
        await freshness.ensure()
        suggested = suggestion(request)
        variant = await cache.get(
            ("index", suggested or ""), html, by_language, lambda: pages.index(suggested)
        )
        return VariantResponse(variant)

    async def language(request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        if lang not in site.languages:
            return not_found(settings, request.url.path)
        await freshness.ensure()
        entry = await feeds.get(FeedKey(lang))
        articles = entry.articles if entry else []
        suggested = suggestion(request)
        variant = await cache.get(
            ("language", lang, suggested or ""),
            html,
            by_language,
            lambda: pages.language(lang, articles, suggested),
        )
        return VariantResponse(variant)

    async def opml(request: Request) -> Response | VariantResponse:
        """Every feed in every format, grouped by language (``feeds.web.describe``);
        ``?format=atom|json|rss`` lists one format only."""
        await freshness.ensure()
        formats = tuple(Format)
        asked = request.query_params.get("format")
        if asked:
            try:
                formats = (Format(asked),)
            except ValueError:
                return Response(
                    f"format must be one of {', '.join(Format)}\n",
                    status_code=400,
                    media_type="text/plain",
                )
        title = f"{site.publisher}: feeds"
        variant = await cache.get(
            ("opml", asked or ""),
            "text/x-opml; charset=utf-8",
            "Accept-Encoding",
            lambda: render_opml(title, opml_groups(settings, pages.catalog, formats)),
        )
        return VariantResponse(variant)

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/feeds.opml", opml, methods=["GET", "HEAD"]),
        Route("/{lang}/", language, methods=["GET", "HEAD"]),
    ]
