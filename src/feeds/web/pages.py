"""The HTML pages about the feeds, rendered with Jinja2 from web/templates/ and cached.

``/`` lists every feed by language, ``/{lang}/`` shows a language's latest stories,
``/feeds.opml`` lists every feed for feed readers, and a browser that opens a feed URL
gets its preview (``Pages.preview``). Each page has ``<link rel="alternate">``
autodiscovery for the feeds it is about. Rendering is blocking (it may read facets): it
runs in a worker thread, once per store generation, into the ``RenderCache`` (ETag, 304,
compressed once). ``/`` and ``/{lang}/`` may *suggest* the browser's preferred language
(Accept-Language); they never pick a feed's language from it, and say ``Vary`` for it.

``environment`` and ``page_context`` are the templates and the context every page gets,
the other pages' (articles, the news river, errors) too. The templates are loaded once per
language, with that language's gettext catalog installed (``feeds.i18n``, the Jinja2 i18n
extension: ``{% trans %}`` and ``_()``), and show times in ``[site] timezone``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import Response

from feeds import i18n
from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article
from feeds.publish.opml import render_opml
from feeds.publish.phrases import format_name
from feeds.web.catalog import Catalog, feed_of, opml_groups
from feeds.web.errors import not_found
from feeds.web.feeds import FeedEntry, PublicFeeds
from feeds.web.rendercache import RenderCache, revise
from feeds.web.variant import Variant, VariantResponse, preferred_language

__all__ = ["FeedLink", "FrontPages", "Pages", "environment", "page_context"]

TEMPLATES = Path(__file__).parent / "templates"
# Tags the home page and a language's front page show, the most used first; every feed is
# on the language's directory page (/{lang}/feeds), so these pages stay small.
TOP_TAGS = 10


@dataclass(frozen=True)
class FeedLink:
    """One feed in one format, as a page links to it."""

    title: str
    lang: str
    fmt: Format
    url: str

    @property
    def format_name(self) -> str:
        return format_name(self.fmt)

    @property
    def media_type(self) -> str:
        return self.fmt.media_type


@dataclass(frozen=True)
class FeedGroup:
    """One feed (a section, say) with its links in every format."""

    kind: Kind
    label: str
    count: int | None
    links: tuple[FeedLink, ...]


@dataclass(frozen=True)
class Story:
    title: str
    url: str
    summary: str
    published: datetime
    byline: str
    section: str | None


def environment(site: SiteSettings, lang: str) -> jinja2.Environment:
    """The templates of web/templates/ in ``lang``: its catalog installed for ``_()`` and
    ``{% trans %}``, ``_in(other, msgid)`` for a passage in another language (the home
    page's sections), and ``|local_time`` in the site's time zone."""
    return _environment(lang, site.locale_dirs, site.timezone)


@lru_cache(maxsize=64)
def _environment(lang: str, locale_dirs: tuple[str, ...], timezone: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    words = i18n.words(lang, locale_dirs)
    env.install_gettext_translations(words.translations, newstyle=True)  # type: ignore[attr-defined]

    def in_language(other: str, message: str) -> str:
        return i18n.words(other, locale_dirs).gettext(message)

    def local_time(value: datetime) -> str:
        return i18n.local_time(value, lang, timezone)

    def language_in_text(code: str) -> str:
        return i18n.language_name(code, in_text=True)

    env.globals.update(
        language_name=i18n.language_name, language_in_text=language_in_text, _in=in_language
    )
    env.filters["local_time"] = local_time
    return env


def page_context(site: SiteSettings, lang: str, **context: object) -> dict[str, object]:
    """What every page template is given (base.html's needs), plus the page's own
    ``context``."""
    return {
        "site": site,
        "lang": lang,
        "icon": site.icon,
        "css": "/static/site.css",
        "opml": site.absolute("/feeds.opml"),
        "home": site.absolute("/"),
        **context,
    }


class Pages:
    def __init__(self, site: SiteSettings, catalog: Catalog) -> None:
        self.site = site
        self.catalog = catalog

    def render(self, template: str, lang: str, **context: object) -> bytes:
        """Page ``template`` in ``lang`` with the common context and ``context``, as
        UTF-8 bytes."""
        page = page_context(self.site, lang, **context)
        return environment(self.site, lang).get_template(template).render(page).encode("utf-8")

    def links(self, key: FeedKey, title: str) -> tuple[FeedLink, ...]:
        site = self.site
        return tuple(
            FeedLink(title, key.lang, fmt, site.absolute(key.in_format(fmt).path)) for fmt in Format
        )

    def groups(self, lang: str) -> list[FeedGroup]:
        """Every feed of ``lang``, main feed first."""
        groups = []
        for key, facet in self.catalog.feeds(lang):
            feed = feed_of(self.catalog, key)
            label, title = feed.label(self.site), feed.title(self.site)
            count = facet.count if facet else None
            groups.append(FeedGroup(key.kind, label, count, self.links(key, title)))
        return groups

    def top(self, lang: str) -> list[FeedGroup]:
        """What a front page lists of ``lang``'s feeds: the main and aggregated feeds,
        the sections, and the ``TOP_TAGS`` most used tags (authors and the other tags are
        on the directory page)."""
        groups = self.groups(lang)
        tags = [g for g in groups if g.kind is Kind.TAG]
        top = {id(g) for g in sorted(tags, key=lambda g: -(g.count or 0))[:TOP_TAGS]}
        return [g for g in groups if g.kind not in (Kind.TAG, Kind.AUTHOR) or id(g) in top]

    def directory(self, lang: str) -> bytes:
        """``/{lang}/feeds``: every feed of ``lang`` in every format."""
        groups = self.groups(lang)
        return self.render("directory.html", lang, groups=groups, discovery=list(groups[0].links))

    def index(self, suggested: str | None) -> bytes:
        """The home page, in the reader's language (Accept-Language) or the site's first."""
        site = self.site
        languages = [(lang, self.top(lang)) for lang in site.languages]
        discovery = [link for _, groups in languages for link in groups[0].links]
        return self.render(
            "index.html",
            suggested or site.languages[0],
            languages=languages,
            discovery=discovery,
            suggested=suggested,
        )

    def language(self, lang: str, articles: Sequence[Article], suggested: str | None) -> bytes:
        groups = self.top(lang)
        return self.render(
            "language.html",
            lang,
            stories=_stories(self.site, articles, lang),
            groups=groups,
            discovery=list(groups[0].links),
            suggested=suggested if suggested != lang else None,
        )

    def preview(self, entry: FeedEntry) -> bytes:
        description = entry.description
        lang = description.lang
        this = FeedLink(description.title, lang, entry.key.format, description.self_url)
        others = [
            FeedLink(description.title, lang, fmt, url)
            for fmt, url in description.format_alternates
        ]
        siblings = [
            FeedLink(i18n.language_name(other), other, entry.key.format, url)
            for other, url in description.language_alternates
        ]
        return self.render(
            "preview.html",
            lang,
            feed=description,
            this=this,
            formats=others,
            siblings=siblings,
            discovery=[this, *others],
            stories=_stories(self.site, entry.articles, lang),
        )


def _stories(site: SiteSettings, articles: Sequence[Article], lang: str) -> list[Story]:
    names = site.facet_names(lang)
    stories = []
    for article in articles:
        translation = article.translation(lang)
        if translation is None:
            continue
        stories.append(
            Story(
                title=translation.title,
                url=translation.url,
                summary=translation.summary,
                published=article.published,
                byline=", ".join(a.name for a in article.authors),
                section=names.get(("section", article.section_slug or ""), article.section)
                if article.section
                else None,
            )
        )
    return stories


_HTML = "text/html; charset=utf-8"
_BY_LANGUAGE = "Accept-Encoding, Accept-Language"


class FrontPages:
    """The pages about the feeds: the index, a language's front page, the OPML list."""

    def __init__(
        self, site: SiteSettings, cache: RenderCache, feeds: PublicFeeds, pages: Pages
    ) -> None:
        self.site = site
        self.cache = cache
        self.feeds = feeds
        self.pages = pages
        self.cache_control = f"public, max-age={site.cache_max_age}"

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

    async def directory(self, request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        if lang not in self.site.languages:
            return not_found(self.site, request.url.path)
        return await self._page(
            ("directory", lang), _HTML, "Accept-Encoding", lambda: self.pages.directory(lang)
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
            lambda: render_opml(title, opml_groups(self.site, self.pages.catalog, formats)),
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
