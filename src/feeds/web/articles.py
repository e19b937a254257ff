"""``/{lang}/articles/{id}``: one story in one language, as a page a feed reader links to.

Feed items link to their translations' URLs, which in the example newsroom (and in any
site without a separate CMS) are these pages. A page shows the story with its bylines,
section and tags linked to their feeds, the lead image, the full body, and points search
engines and readers at the other language versions (``hreflang``) and at the language's
feeds (autodiscovery). The canonical URL is the translation's declared URL, which may
live on another host: this page is served at ``/{lang}/articles/{id}`` regardless.

Only visible stories have a page (``feeds.model.is_visible``): drafts, retractions, stories
under embargo and unknown ids are the site's usual 404, so nothing leaks before its time.
A story that lacks the language asked for is a 404 page linking to the languages it has.
Aggregated stories get a short page that credits their source and sends the reader to
the original; their full text is not republished here.

Pages are cached like the other pages: one ``Variant`` (ETag, 304, compressed once) per
(language, story) in the ``RenderCache``, valid for one generation of the store; a
re-render that gives the same bytes keeps the old ETag. The cache is bounded in bytes,
so a crawler walking every story cannot fill the memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article, Image, SourceRef, check_language_tag, is_visible
from feeds.publish.feed import public_feed
from feeds.safehtml import own_html
from feeds.store import Store
from feeds.web.errors import not_found
from feeds.web.pages import FeedLink, Pages
from feeds.web.rendercache import RenderCache, revise
from feeds.web.variant import Variant, VariantResponse

__all__ = [
    "ArticlePages",
    "ArticleView",
    "Link",
    "Missing",
    "article_path",
    "build_view",
]


HTML = "text/html; charset=utf-8"


def article_path(lang: str, article_id: str) -> str:
    """Where this server shows ``article_id`` in ``lang``: ``/en/articles/{id}``."""
    return f"/{lang}/articles/{article_id}"


@dataclass(frozen=True)
class Link:
    """A labelled link; ``lang`` set when the target is in a language of its own."""

    label: str
    url: str
    lang: str | None = None


@dataclass(frozen=True)
class ArticleView:
    """Everything the template shows, decided here so the template only lays it out."""

    lang: str
    title: str
    summary: str
    # Own stories' body, sanitised here (``feeds.safehtml.own_html``) whatever the store
    # holds; aggregated stories show none (see below).
    body_html: Markup
    published: datetime
    updated: datetime | None  # None when the story was never changed after publication
    canonical: str
    translations: tuple[Link, ...]  # every language the story has, this one included
    section: Link | None
    section_feeds: tuple[FeedLink, ...]
    tags: tuple[Link, ...]
    bylines: tuple[Link, ...]
    image: Image | None
    caption: str  # the lead image's, in this language when the story gives one
    source: SourceRef | None
    discovery: tuple[FeedLink, ...]

    @property
    def others(self) -> tuple[Link, ...]:
        return tuple(t for t in self.translations if t.lang != self.lang)


def build_view(site: SiteSettings, pages: Pages, article: Article, lang: str) -> ArticleView:
    """The page of ``article`` in ``lang``, which the article must have."""
    translation = article.translation(lang)
    if translation is None:
        raise ValueError(f"article {article.id} has no {lang!r} translation")
    own = article.source is None
    served = lang in site.languages  # only configured languages have feeds to link to
    names = site.facet_names(lang)  # sections' and tags' names in this language
    section_name = names.get(("section", article.section_slug or ""), article.section or "")
    section: Link | None = None
    section_feeds: tuple[FeedLink, ...] = ()
    tags: tuple[Link, ...] = ()
    bylines = tuple(Link(a.name, "") for a in article.authors)
    discovery: tuple[FeedLink, ...] = ()
    if served:
        main = FeedKey(lang, Kind.ALL if own else Kind.AGGREGATED)
        discovery = pages.links(main, site.title(lang))
    if served and own:
        # The story itself is visible in ``lang``, so each of these feeds has a story.
        if article.section and article.section_slug:
            key = _feed_key(lang, Kind.SECTION, article.section_slug)
            if key is not None:
                title = public_feed(key, facet_name=article.section).title(site)
                section_feeds = pages.links(key, title)
                section = Link(section_name, section_feeds[0].url)
                discovery += section_feeds
        tags = tuple(
            Link(names.get(("tag", slug), tag), _feed_url(site, key))
            for tag, slug in zip(article.tags, article.tag_slugs, strict=True)
            if (key := _feed_key(lang, Kind.TAG, slug)) is not None
        )
        bylines = tuple(
            Link(a.name, _feed_url(site, key) if key else "")
            for a in article.authors
            for key in [_feed_key(lang, Kind.AUTHOR, a.slug)]
        )
    elif article.section:
        section = Link(section_name, "")
    return ArticleView(
        lang=lang,
        title=translation.title,
        summary=translation.summary,
        body_html=_safe_body(translation.body_html, site.embed_hosts) if own else Markup(""),
        published=article.published,
        updated=article.updated if article.updated > article.published else None,
        canonical=translation.url,
        translations=tuple(
            Link(t.title, t.url, t.lang)
            for t in article.translations
            if own or t.lang == lang  # an aggregated story's "translations" are elsewhere
        ),
        section=section,
        section_feeds=section_feeds,
        tags=tags,
        bylines=bylines,
        image=article.image,
        caption=translation.image_caption
        or (article.image.caption if article.image else None)
        or "",
        source=article.source,
        discovery=discovery,
    )


def _safe_body(body_html: str, embed_hosts: tuple[str, ...]) -> Markup:
    """The newsroom's HTML with nothing active left: what the template may insert as is."""
    return Markup(own_html(body_html, embed_hosts))  # noqa: S704 -- sanitised just now


def _feed_key(lang: str, kind: Kind, slug: str | None) -> FeedKey | None:
    """The feed for a section, tag or author; None when the name has no usable slug."""
    if not slug:
        return None
    try:
        return FeedKey(lang, kind, slug)
    except ValueError:
        return None


def _feed_url(site: SiteSettings, key: FeedKey) -> str:
    return site.absolute(key.in_format(Format.RSS).path)


@dataclass(frozen=True)
class Missing:
    """A story asked for in a language it does not have."""

    lang: str
    path: str
    translations: tuple[Link, ...]


class ArticlePages:
    """Answers ``GET``/``HEAD /{lang}/articles/{article_id}``."""

    def __init__(self, site: SiteSettings, store: Store, cache: RenderCache, pages: Pages) -> None:
        self.site = site
        self.store = store
        self.cache = cache
        self.pages = pages
        self.cache_control = f"public, max-age={site.cache_max_age}"

    async def page(self, request: Request) -> Response | VariantResponse:
        lang = request.path_params["lang"]
        article_id = request.path_params["article_id"]
        path = request.url.path
        if check_language_tag(lang) is not None:
            return not_found(self.site, path)
        variant = await self.cache.get(
            ("article", lang, article_id),
            lambda previous: self._render_page(lang, article_id, previous),
            f"article {article_id} in {lang}",
        )
        if variant is None:
            return await run_in_threadpool(self._missing, lang, article_id, path)
        return VariantResponse(variant)

    def _render_page(self, lang: str, article_id: str, previous: Variant | None) -> Variant | None:
        """The page, or None when there is none to show (blocking: reads the store)."""
        now = self.cache.clock()
        article = self.store.get_article(article_id)
        if article is None or not is_visible(article, now) or article.translation(lang) is None:
            return None
        view = build_view(self.site, self.pages, article, lang)
        # An embargoed story changes the page when its time comes, without any write.
        changed = min(now, max(self.cache.freshness.changed_at, article.published))
        if previous is not None:
            changed = max(changed, previous.last_modified)
        return revise(
            previous,
            self._render(lang, view=view, missing=None),
            HTML,
            last_modified=changed,
            cache_control=self.cache_control,
        )

    def _missing(self, lang: str, article_id: str, path: str) -> Response:
        """The 404 of a page there is none of (blocking: reads the store)."""
        article = self.store.get_article(article_id)
        if article is None or not is_visible(article, self.cache.clock()):
            return not_found(self.site, path)
        return self._other_languages(article, lang, path)

    def _other_languages(self, article: Article, lang: str, path: str) -> Response:
        """404, with links to the languages the story does have."""
        missing = Missing(
            lang=lang,
            path=path,
            translations=tuple(Link(t.title, t.url, t.lang) for t in article.translations),
        )
        body = self._render(lang, view=None, missing=missing)
        return HTMLResponse(body, status_code=404, headers={"Cache-Control": "no-cache"})

    def _render(self, lang: str, **context: object) -> bytes:
        return self.pages.render("article.html", lang, **context)
