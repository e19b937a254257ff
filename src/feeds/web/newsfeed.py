"""``/{lang}/news``: the newsroom's own stories and the aggregated ones, on one page.

A reader's "river of news": own and external stories merged newest first (at most
``LIMIT``), each with its time in UTC and summary. Own stories link to their page on
this server (``/{lang}/articles/{id}``); external ones to the original, credited "via"
their source. ``?source=<id>`` narrows the page to one source's stories (so own stories
drop out), and the page links to itself in the site's other languages.

This page is public: the filter bar lists only what a reader can use, the sources that
have visible stories in the page's language, by their title (never a feed URL, never a
source that is blocked, gone or switched off, never one with nothing to show). A source
asked for in a language it does not publish in says so, linking to the languages it
does publish in, rather than looking empty.

Every piece of text is escaped by the template, aggregated summaries too: they were
sanitized on the way in, but this page shows them as text, never as markup.

Pages are cached one ``Variant`` per (language, source) for one generation of the store
in the ``RenderCache``, like the article pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, FeedScope
from feeds.model import Article
from feeds.publish.phrases import phrase
from feeds.store import Store
from feeds.store.sources import SourceRecord
from feeds.web.articles import article_path
from feeds.web.errors import not_found
from feeds.web.pages import Pages
from feeds.web.rendercache import RenderCache, revise
from feeds.web.variant import Variant, VariantResponse

__all__ = ["LIMIT", "NewsItem", "NewsPages", "SourceLink", "merge"]


HTML = "text/html; charset=utf-8"
LIMIT = 50

# A source in one of these states is an operator's business, not a reader's.
_HIDDEN_HEALTH = frozenset({"blocked", "gone", "not-found"})


def news_path(lang: str, source_id: int | None = None) -> str:
    return f"/{lang}/news" + (f"?source={source_id}" if source_id is not None else "")


@dataclass(frozen=True)
class NewsItem:
    """One row of the page; ``via`` is the source's title on external stories."""

    title: str
    url: str
    published: datetime
    summary: str
    via: str | None


@dataclass(frozen=True)
class SourceLink:
    label: str
    url: str
    current: bool


def merge(own: list[Article], external: list[Article], limit: int = LIMIT) -> list[Article]:
    """Both lists (each newest first) as one, newest first, at most ``limit``."""
    both = sorted([*own, *external], key=lambda a: (a.published, a.id), reverse=True)
    return both[:limit]


def _item(article: Article, lang: str) -> NewsItem | None:
    translation = article.translation(lang)
    if translation is None:
        return None
    if article.source is None:
        return NewsItem(
            translation.title,
            article_path(lang, article.id),
            article.published,
            translation.summary,
            None,
        )
    return NewsItem(
        translation.title,
        article.source.link,
        article.published,
        translation.summary,
        article.source.title,
    )


class NewsPages:
    """Answers ``GET``/``HEAD /{lang}/news[?source=<id>]``."""

    def __init__(self, site: SiteSettings, store: Store, cache: RenderCache, pages: Pages) -> None:
        self.site = site
        self.store = store
        self.cache = cache
        self.pages = pages
        self.cache_control = f"public, max-age={site.cache_max_age}"

    async def page(self, request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        if lang not in self.site.languages:
            return not_found(self.site, request.url.path)
        raw = request.query_params.get("source")
        source_id: int | None = None
        if raw is not None:
            if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
                return PlainTextResponse(
                    "source must be a source id (a whole number)\n", status_code=400
                )
            source_id = int(raw)
        variant = await self.cache.get(
            ("news", lang, source_id),
            lambda previous: self._build(lang, source_id, previous),
            f"the {lang} news feed",
        )
        assert variant is not None  # _build() never says "no such page"
        return VariantResponse(variant)

    def _build(self, lang: str, source_id: int | None, previous: Variant | None) -> Variant:
        """Read the store and render (blocking: run in a worker thread)."""
        now = self.cache.clock()
        external = self.store.visible_articles(
            FeedScope(lang, own=False, aggregated=True, source_id=source_id), now, LIMIT
        )
        own = (
            []
            if source_id is not None
            else self.store.visible_articles(FeedScope(lang), now, LIMIT)
        )
        published_in = self.store.source_languages(now)
        registered = self.store.sources.records(sorted(published_in))
        items = [item for a in merge(own, external) if (item := _item(a, lang)) is not None]
        sources = [SourceLink(phrase("all_stories", lang), news_path(lang), source_id is None)]
        sources += [
            SourceLink(_label(s, lang), news_path(lang, s.id), s.id == source_id)
            for s in registered
            if lang in published_in[s.id] and s.enabled and s.health not in _HIDDEN_HEALTH
        ]
        site = self.site
        languages = [(other, news_path(other, source_id)) for other in site.languages]
        elsewhere = []
        if source_id is not None and not items:
            elsewhere = [
                (other, news_path(other, source_id))
                for other in site.languages
                if other in published_in.get(source_id, {})
            ]
        body = self.pages.render(
            "newsfeed.html",
            discovery=self.pages.links(FeedKey(lang), site.title(lang)),
            lang=lang,
            items=items,
            sources=sources,
            languages=languages,
            elsewhere=elsewhere,
        )
        return revise(
            previous,
            body,
            HTML,
            last_modified=self.cache.freshness.changed_at,
            cache_control=self.cache_control,
        )


def _label(source: SourceRecord, lang: str) -> str:
    """What the filter bar calls a source: its title, never its URL."""
    return source.title or source.feed_title or f"{phrase('source', lang)} {source.id}"
