"""The public feeds: ``/{lang}/rss.xml`` and friends, rendered into the ``RenderCache``.

A feed is rendered once per generation of the store and only when someone asks for it,
from the stories the store says are visible now; the main and aggregated feeds exist for
every language (even empty), a section, tag or author feed while it has a story
(``Catalog``). New bytes get a Last-Modified that never goes backwards
(``rendercache.last_modified``). Atom feeds carry RFC 6721 tombstones for recent
retractions (``tombstone_extensions``, which partner feeds and archives use too).

A feed opened in a browser shows a readable page. Measured in Debian's Chromium 156
(headless, ``--dump-dom`` and screenshots) before choosing:

- served as ``application/rss+xml`` (our Content-Type), Chromium shows the document as
  plain text in a ``<pre>``: neither an ``xml-stylesheet`` XSLT nor a CSS processing
  instruction is even fetched;
- served as ``application/xml``, the XSLT still runs, but under a red banner "This site
  uses XSLT; that functionality is being removed from this browser very soon"; a CSS
  stylesheet applies, but item HTML shows as escaped tags and links are not links;
- JSON Feed has no stylesheet mechanism at all.

So a top-level navigation (``Sec-Fetch-Dest: document``, which browsers send and feed
readers don't) gets an HTML preview of the same feed, built from the same stories, and
everyone else gets the feed bytes. Both carry ``Vary: Accept-Encoding, Sec-Fetch-Dest`` so
shared caches keep them apart. ``?raw`` shows a browser the feed bytes themselves.

The hot path is: revision check due? (a clock read), one dictionary lookup by path, a
header scan, two ``send`` calls with bytes and headers prepared when the feed was rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from feeds.config import SiteSettings
from feeds.feedkeys import FeedKey, FeedScope, Format, Kind, is_member
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.extension import Extension
from feeds.publish.firstreport import FirstReport, FirstReportExtension
from feeds.publish.render import render
from feeds.publish.tombstone import Retraction, TombstoneExtension
from feeds.store import Store
from feeds.syndicate.notifier import link_header
from feeds.web.catalog import Catalog, describe
from feeds.web.errors import method_not_allowed, not_found
from feeds.web.rendercache import (
    OWN_STORIES,
    STORIES,
    RenderCache,
    Scopes,
    last_modified,
    revise,
)
from feeds.web.variant import Variant, VariantResponse, read_headers

__all__ = [
    "FEED_VARY",
    "FeedEntry",
    "FeedRoute",
    "PublicFeeds",
    "retractions_in",
    "tombstone_extensions",
]

# Browsers navigating to a feed get a readable page instead (see above).
FEED_VARY = "Accept-Encoding, Sec-Fetch-Dest"
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class FeedEntry:
    """One feed as of one generation: its stories, its description, its bytes."""

    key: FeedKey
    articles: tuple[Article, ...]
    description: FeedDescription
    feed: Variant

    @property
    def nbytes(self) -> int:
        return self.feed.nbytes


class PublicFeeds:
    """Renders the public feeds and answers GET and HEAD for every public feed path.

    ``preview`` renders the HTML page a browser gets for a feed (``Pages.preview``).
    """

    def __init__(
        self,
        site: SiteSettings,
        store: Store,
        cache: RenderCache,
        catalog: Catalog,
        preview: Callable[[FeedEntry], bytes],
        *,
        republish: bool = False,
        websub_hubs: tuple[str, ...] = (),
    ) -> None:
        self.site = site
        self.republish = republish  # [aggregator] republish: outlets' stories in main feeds
        self.websub_hubs = websub_hubs
        self.store = store
        self.cache = cache
        self.catalog = catalog
        self.render_preview = preview
        self.cache_control = f"public, max-age={site.cache_max_age}"

    async def feed(self, request: Request) -> Response | VariantResponse:
        scope = request.scope
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            text = f"{method} is not allowed here: feeds are read with GET or HEAD.\n"
            return method_not_allowed(self.site, text, "GET, HEAD")
        freshness = self.cache.freshness
        if monotonic() >= freshness.next_check:
            await freshness.check()
        path = scope["path"]
        entry = self.cache.current(path, FeedEntry)
        if entry is None:
            key = FeedKey.from_path(path)
            if key is not None:
                entry = await self.entry(key)
            if entry is None:
                return not_found(self.site, path)
        headers = read_headers(scope)
        variant = entry.feed
        if headers.fetch_dest == "document" and not _wants_raw(scope["query_string"]):
            variant = await self.preview(entry)
        return VariantResponse(variant, headers)

    async def entry(self, key: FeedKey) -> FeedEntry | None:
        """The current feed, rendering it if needed; None when there is no such feed."""
        path = unquote(key.path)
        return await self.cache.get(
            path, lambda previous: self._render(key, previous), path, scopes=self.scopes(key)
        )

    def scopes(self, key: FeedKey) -> Scopes:
        """What a feed is rendered from: the stories of its origins (an aggregated feed's
        first reports compare with the newsroom's too). Partners are no part of it."""
        if key.scope(republish=self.republish).aggregated:
            return STORIES
        return OWN_STORIES

    async def preview(self, entry: FeedEntry) -> Variant:
        """The HTML page a browser gets for this feed, made once per generation."""
        path = unquote(entry.key.path)

        def make(previous: Variant | None) -> Variant:
            return revise(
                previous,
                self.render_preview(entry),
                _HTML,
                last_modified=entry.feed.last_modified,
                cache_control=self.cache_control,
                vary=FEED_VARY,
            )

        found = await self.cache.get(
            ("preview", path), make, f"the preview of {path}", scopes=self.scopes(entry.key)
        )
        assert found is not None  # make() never says "no such page"
        return found

    def _render(self, key: FeedKey, previous: FeedEntry | None) -> FeedEntry | None:
        if not self.catalog.exists(key):
            return None
        now = self.cache.clock()
        scope = key.scope(republish=self.republish)
        articles = self.store.visible_articles(scope, now, self.site.max_items)
        if not articles and key.kind not in (Kind.ALL, Kind.AGGREGATED):
            return None  # its last story left between the facet read and this one
        description = describe(self.site, self.catalog, key, articles, websub_hubs=self.websub_hubs)
        # RFC 6721 tombstones for recent retractions (Atom only; see tombstone_extensions).
        extensions = tombstone_extensions(self.site, self.store, scope, key.format, now)
        if key.kind is Kind.AGGREGATED:
            extensions += first_report_extensions(self.site, self.store, key, articles, now)
        body = render(description, key.format, articles, extensions=extensions)
        old = previous.feed if previous is not None else None
        feed = revise(
            old,
            body,
            f"{key.format.media_type}; charset=utf-8",
            last_modified=last_modified(
                now,
                self.cache.freshness.changed_at,
                max((a.published for a in articles), default=None),
                old.last_modified if old is not None else None,
            ),
            cache_control=self.cache_control,
            vary=FEED_VARY,
            link=link_header(description.hubs, description.self_url),
        )
        return FeedEntry(key, tuple(articles), description, feed)


class FeedRoute(BaseRoute):
    """Every public feed path, matched with one regex and before any other route.

    One route instead of one per shape keeps the router's work on the hot path to a single
    regex. The language segment must look like a language tag, so other rooms' paths of
    the same shape (``/partners/{name}/{lang}/rss.xml``) never land here. The endpoint is
    an ordinary one (request in, response out), like every other route's.
    """

    PATTERN = re.compile(
        r"/[a-z]{2}(?:-[A-Za-z0-9]{1,8})*/"
        r"(?:aggregated/|(?:section|tag|author)/[^/]+/)?"
        r"(?:rss\.xml|atom\.xml|feed\.json)"
    )

    # The route's name in /metrics: one series for every public feed.
    label = "/{lang}/[{kind}/{slug}/]{feed}"

    def __init__(self, endpoint: Callable[[Request], Any]) -> None:
        self.endpoint = endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and self.PATTERN.fullmatch(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


def _wants_raw(query_string: bytes) -> bool:
    return any(part.split(b"=")[0] == b"raw" for part in query_string.split(b"&"))


# The tombstones an Atom document carries: its stories retracted in the last days (live
# feeds, partner feeds) or, for a monthly archive, every story of that month retracted
# after it was public (RFC 6721).


def retractions_in(
    scope: FeedScope, retracted: Iterable[tuple[Article, datetime]]
) -> list[Retraction]:
    """The retractions of stories that ``scope`` held."""
    found = []
    for article, when in retracted:
        if is_member(article, scope):
            translation = article.translation(scope.lang) if scope.lang else None
            url = translation.url if translation else None
            found.append(Retraction(article.id, when, url))
    return found


def first_report_extensions(
    site: SiteSettings, store: Store, key: FeedKey, articles: list[Article], now: datetime
) -> list[Extension]:
    """``[FirstReportExtension]`` when some of ``articles`` were reported first by another
    story (``Store.first_reports``), else ``[]``. Blocking: call it from a worker thread."""
    first = store.first_reports(key.lang, articles, now)
    reports = {}
    for article_id, report in first.items():
        translation = report.translation(key.lang)
        if translation is None:
            continue
        if report.source is not None:
            reports[article_id] = FirstReport(report.source.link, report.source.title)
        else:
            reports[article_id] = FirstReport(translation.url, site.title(key.lang))
    return [FirstReportExtension(reports)] if reports else []


def tombstone_extensions(
    site: SiteSettings,
    store: Store,
    scope: FeedScope,
    fmt: Format,
    now: datetime,
) -> list[Extension]:
    """``[TombstoneExtension]`` for an Atom feed of ``scope`` with recent retractions,
    else ``[]``. Blocking (reads the store): call it from a worker thread.
    """
    days = site.tombstone_days
    if fmt is not Format.ATOM or days <= 0:
        return []
    retracted = store.retracted_since(now - timedelta(days=days))
    retractions = retractions_in(scope, retracted)
    return [TombstoneExtension(retractions)] if retractions else []
