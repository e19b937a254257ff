"""``/{lang}/news``: the newsroom's own stories and the aggregated ones, on one page.

A reader's "river of news": own and external stories merged newest first, ``PAGE`` at a
time, each with its lead image as a thumbnail (sized, lazy-loaded), its time (in the
site's time zone) and summary. Own stories link to their page on this server
(``/{lang}/articles/{id}``); external ones to the original, credited "via" their source.
The same story from several outlets is one entry, its first visible report, with the
others "also reported by"
(``Store.stories``, clusters found when stories are written: ``docs/news.md``).

- ``?source=<id>`` narrows the page to one source's stories (own stories drop out); there
  every story of that source is shown, clustered or not, with the other outlets that
  reported it.
- ``?q=...`` searches the stories of the page's language (``feeds.searchtext`` syntax,
  ``Store.search``); a query that cannot run says why on the page.
- ``?after=<cursor>`` is the next page: keyset pagination on (published, id), so a page
  does not shift when new stories arrive. The cursor is the last story's time in
  microseconds since 1970 and its id, ``<micros>~<id>``.

This page is public: the filter bar lists only what a reader can use, the sources that
have visible stories in the page's language, by their title (never a feed URL, never a
source that is blocked, gone or switched off, never one with nothing to show). A source
asked for in a language it does not publish in says so, linking to the languages it
does publish in, rather than looking empty.

Every piece of text is escaped by the template, aggregated summaries too: they were
sanitized on the way in, but this page shows them as text, never as markup.

Pages are cached one ``Variant`` per (language, source, query, cursor) for one
generation of the store in the ``RenderCache``, like the article pages.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, FeedScope
from feeds.model import Article
from feeds.publish.phrases import Words
from feeds.searchtext import MAX_QUERY_CHARS, SearchSyntaxError, parse_query
from feeds.store import Store
from feeds.store.sources import SourceRecord
from feeds.web.articles import article_path
from feeds.web.errors import not_found
from feeds.web.pages import Pages
from feeds.web.rendercache import RenderCache, revise
from feeds.web.variant import Variant, VariantResponse

__all__ = ["PAGE", "NewsItem", "NewsPages", "Report", "SourceLink", "Thumbnail"]


HTML = "text/html; charset=utf-8"
PAGE = 30
THUMBNAIL_WIDTH = 160
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# A source in one of these states is an operator's business, not a reader's.
_HIDDEN_HEALTH = frozenset({"blocked", "gone", "not-found"})


def news_path(
    lang: str, source_id: int | None = None, q: str | None = None, after: str | None = None
) -> str:
    params: list[tuple[str, str]] = []
    if source_id is not None:
        params.append(("source", str(source_id)))
    if q:
        params.append(("q", q))
    if after:
        params.append(("after", after))
    return f"/{lang}/news" + (f"?{urlencode(params)}" if params else "")


def cursor_of(article: Article) -> str:
    """The cursor of the page after ``article``."""
    return f"{(article.published - _EPOCH) // _MICROSECOND}~{article.id}"


def parse_cursor(raw: str) -> tuple[datetime, str] | None:
    """``(published, id)`` of a cursor; None when it is not one."""
    micros, found, article_id = raw.partition("~")
    if not found or not micros.isascii() or not micros.isdigit() or len(micros) > 17:
        return None
    if not article_id or len(article_id) > 200:
        return None
    return _EPOCH + int(micros) * _MICROSECOND, article_id


@dataclass(frozen=True)
class Thumbnail:
    """A lead image shown small: its URL, and the size it is shown at."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Report:
    """Another outlet's report of the same story: who, and where to read it."""

    label: str
    url: str


@dataclass(frozen=True)
class NewsItem:
    """One entry of the page; ``via`` is the source's title on external stories."""

    title: str
    url: str
    published: datetime
    summary: str
    via: str | None
    thumbnail: Thumbnail | None = None
    also: tuple[Report, ...] = ()


@dataclass(frozen=True)
class SourceLink:
    label: str
    url: str
    current: bool


def thumbnail(article: Article) -> Thumbnail | None:
    """The lead image at ``THUMBNAIL_WIDTH`` (or its own width, if smaller)."""
    image = article.image
    if image is None or image.width <= 0 or image.height <= 0:
        return None
    width = min(THUMBNAIL_WIDTH, image.width)
    return Thumbnail(image.url, width, max(1, round(image.height * width / image.width)))


def _link(article: Article, lang: str) -> str:
    return article.source.link if article.source is not None else article_path(lang, article.id)


def _item(article: Article, lang: str, others: list[Article], own_label: str) -> NewsItem | None:
    translation = article.translation(lang)
    if translation is None:
        return None
    also = tuple(
        Report(o.source.title if o.source is not None else own_label, _link(o, lang))
        for o in others
    )
    return NewsItem(
        translation.title,
        _link(article, lang),
        article.published,
        translation.summary,
        article.source.title if article.source is not None else None,
        thumbnail(article),
        also,
    )


class NewsPages:
    """Answers ``GET``/``HEAD /{lang}/news[?source=<id>]``."""

    def __init__(self, site: SiteSettings, store: Store, cache: RenderCache, pages: Pages) -> None:
        self.site = site
        self.store = store
        self.cache = cache
        self.pages = pages
        self.cache_control = f"public, max-age={site.cache_max_age}"
        # The filter bar's sources and languages, read once per generation: every page,
        # source filter, search and older page rendered in one generation shares it (it
        # reads every visible aggregated story: seconds at 1,000,000 stories).
        self._languages_lock = threading.Lock()
        self._languages: tuple[int, dict[int, dict[str, int]]] | None = None

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
        q = " ".join(request.query_params.get("q", "").split())[: MAX_QUERY_CHARS + 1]
        after = request.query_params.get("after")
        cursor = parse_cursor(after) if after is not None else None
        if after is not None and cursor is None:
            return PlainTextResponse(
                "after must be a page cursor from this page's own links\n", status_code=400
            )
        variant = await self.cache.get(
            ("news", lang, source_id, q, after),
            lambda previous: self._build(lang, source_id, q, cursor, previous),
            f"the {lang} news feed",
        )
        assert variant is not None  # _build() never says "no such page"
        return VariantResponse(variant)

    def _source_languages(self, now: datetime) -> dict[int, dict[str, int]]:
        generation = self.cache.freshness.generation
        with self._languages_lock:
            if self._languages is not None and self._languages[0] == generation:
                return self._languages[1]
        found = self.store.source_languages(now)
        with self._languages_lock:
            self._languages = (generation, found)
        return found

    def _entries(
        self,
        lang: str,
        source_id: int | None,
        q: str,
        cursor: tuple[datetime, str] | None,
        now: datetime,
    ) -> tuple[list[tuple[Article, list[Article]]], str | None]:
        """One page of stories (``PAGE`` and one more, to know there is a next page), and
        what is wrong with the search, if anything."""
        if source_id is None:
            scope = FeedScope(lang, own=True, aggregated=True)
        else:
            scope = FeedScope(lang, own=False, aggregated=True, source_id=source_id)
        if not q:
            found = self.store.stories(scope, now, PAGE + 1, cursor, collapse=source_id is None)
            return found, None
        try:
            query = parse_query(q)
        except SearchSyntaxError as problem:
            return [], _search_problem(self.site.words(lang), problem.reason)
        return [(a, []) for a in self.store.search(query, scope, now, PAGE + 1, cursor)], None

    def _build(
        self,
        lang: str,
        source_id: int | None,
        q: str,
        cursor: tuple[datetime, str] | None,
        previous: Variant | None,
    ) -> Variant:
        """Read the store and render (blocking: run in a worker thread)."""
        now = self.cache.clock()
        entries, problem = self._entries(lang, source_id, q, cursor, now)
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        published_in = self._source_languages(now)
        registered = self.store.sources.records(sorted(published_in))
        own_label = self.site.title(lang)
        items = [
            item
            for story, others in entries
            if (item := _item(story, lang, others, own_label)) is not None
        ]
        words = self.site.words(lang)
        older = news_path(lang, source_id, q, cursor_of(entries[-1][0])) if more else None
        newest = news_path(lang, source_id, q) if cursor is not None else None
        sources = [
            SourceLink(
                self.site.words(lang).gettext("All stories"), news_path(lang), source_id is None
            )
        ]
        sources += [
            SourceLink(_label(s, words), news_path(lang, s.id), s.id == source_id)
            for s in registered
            if lang in published_in[s.id] and s.enabled and s.health not in _HIDDEN_HEALTH
        ]
        site = self.site
        languages = [(other, news_path(other, source_id)) for other in site.languages]
        elsewhere = []
        if source_id is not None and not items and not q:
            elsewhere = [
                (other, news_path(other, source_id))
                for other in site.languages
                if other in published_in.get(source_id, {})
            ]
        body = self.pages.render(
            "newsfeed.html",
            lang,
            discovery=self.pages.links(FeedKey(lang), site.title(lang)),
            items=items,
            q=q,
            problem=problem,
            older=older,
            newest=newest,
            search_action=f"/{lang}/news",
            source_id=source_id,
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


def _label(source: SourceRecord, words: Words) -> str:
    """What the filter bar calls a source: its title, never its URL."""
    return source.title or source.feed_title or words.gettext("Source %(id)s") % {"id": source.id}


def _search_problem(words: Words, reason: str) -> str:
    """What is wrong with a search (``SearchSyntaxError.reason``), in the page's language."""
    if reason == "empty":
        return words.gettext("Type at least one word to look for.")
    if reason == "prefix":
        return words.gettext("A word ending in * needs at least two letters before the *.")
    return words.gettext("This search is too long: use fewer words.")
