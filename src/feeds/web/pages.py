"""``/``, ``/{lang}/``, ``/feeds.opml``: pages about the feeds, cached per generation.

Each page version is a ``Variant`` (ETag, 304, compressed once) in the ``RenderCache``,
kept until the store's generation moves. ``/`` and ``/{lang}/`` may *suggest* the
browser's preferred language (Accept-Language); they never pick a feed's language from
it, and say ``Vary`` for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from starlette.requests import Request
from starlette.responses import Response

from feeds.config import Settings
from feeds.feedkeys import FeedKey, Format
from feeds.publish.opml import render_opml
from feeds.web.catalog import opml_groups
from feeds.web.errors import not_found
from feeds.web.feeds import PublicFeeds
from feeds.web.html import Pages
from feeds.web.rendercache import RenderCache, revise
from feeds.web.variant import Variant, VariantResponse, preferred_language

__all__ = ["FrontPages"]

_HTML = "text/html; charset=utf-8"
_BY_LANGUAGE = "Accept-Encoding, Accept-Language"


class FrontPages:
    """The pages about the feeds: the index, a language's front page, the OPML list."""

    def __init__(
        self, settings: Settings, cache: RenderCache, feeds: PublicFeeds, pages: Pages
    ) -> None:
        self.settings = settings
        self.site = settings.site
        self.cache = cache
        self.feeds = feeds
        self.pages = pages
        self.cache_control = f"public, max-age={settings.site.cache_max_age}"

    async def index(self, request: Request) -> Response | VariantResponse:
        suggested = self._suggestion(request)
        return await self._page(
            ("index", suggested), _HTML, _BY_LANGUAGE, lambda: self.pages.index(suggested)
        )

    async def language(self, request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        if lang not in self.site.languages:
            return not_found(self.site, request.url.path)
        entry = await self.feeds.entry(FeedKey(lang))
        articles = entry.articles if entry else ()
        suggested = self._suggestion(request)
        return await self._page(
            ("language", lang, suggested),
            _HTML,
            _BY_LANGUAGE,
            lambda: self.pages.language(lang, articles, suggested),
        )

    async def opml(self, request: Request) -> Response | VariantResponse:
        """Every feed in every format, grouped by language (``catalog.opml_groups``);
        ``?format=atom|json|rss`` lists one format only."""
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
        title = f"{self.site.publisher}: feeds"
        return await self._page(
            ("opml", asked or ""),
            "text/x-opml; charset=utf-8",
            "Accept-Encoding",
            lambda: render_opml(title, opml_groups(self.settings, self.pages.catalog, formats)),
        )

    def _suggestion(self, request: Request) -> str | None:
        return preferred_language(request.headers.get("accept-language"), self.site.languages)

    async def _page(
        self, identity: Hashable, media_type: str, vary: str, make: Callable[[], bytes]
    ) -> VariantResponse:
        def build(previous: Variant | None) -> Variant:
            return revise(
                previous,
                make(),
                media_type,
                last_modified=self.cache.freshness.changed_at,
                cache_control=self.cache_control,
                vary=vary,
            )

        variant = await self.cache.get(identity, build, f"the page {identity!r}")
        assert variant is not None  # build() never says "no such page"
        return VariantResponse(variant)
