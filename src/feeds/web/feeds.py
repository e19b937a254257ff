"""The feed routes: ``/{lang}/rss.xml`` and friends, answered from ``FeedCache``.

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

The hot path is: revision check due? (a clock read), dictionary lookup, header scan,
two ``send`` calls with bytes and headers prepared when the feed was rendered.
"""

from __future__ import annotations

import re
from time import monotonic
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from feeds.config import Settings
from feeds.feedkeys import FeedKey
from feeds.web.errors import method_not_allowed, not_found
from feeds.web.feedcache import FeedCache
from feeds.web.freshness import Freshness
from feeds.web.variant import read_headers, send_variant

__all__ = ["FeedEndpoint", "FeedRoute"]


class FeedEndpoint:
    """An ASGI app answering GET and HEAD for every public feed path."""

    def __init__(self, settings: Settings, freshness: Freshness, cache: FeedCache) -> None:
        self.settings = settings
        self.freshness = freshness
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            text = f"{method} is not allowed here: feeds are read with GET or HEAD.\n"
            await method_not_allowed(self.settings, text, "GET, HEAD")(scope, receive, send)
            return
        freshness = self.freshness
        if monotonic() >= freshness.next_check:
            await freshness.check()
        path = scope["path"]
        entry = self.cache.lookup(path)
        if entry is None:
            key = FeedKey.from_path(path)
            if key is not None:
                entry = await self.cache.get(key)
            if entry is None:
                await not_found(self.settings, path)(scope, receive, send)
                return
        headers = read_headers(scope)
        variant = entry.feed
        if headers.fetch_dest == "document" and not _wants_raw(scope["query_string"]):
            variant = await self.cache.preview(entry)
        await send_variant(scope, send, variant, headers)


class FeedRoute(BaseRoute):
    """Every public feed path, matched with one regex and before any other route.

    One route instead of one per shape keeps the router's work on the hot path to a single
    regex. The language segment must look like a language tag, so other rooms' paths of
    the same shape (``/partners/{name}/{lang}/rss.xml``) never land here.
    """

    PATTERN = re.compile(
        r"/[a-z]{2}(?:-[A-Za-z0-9]{1,8})*/"
        r"(?:aggregated/|(?:section|tag|author)/[^/]+/)?"
        r"(?:rss\.xml|atom\.xml|feed\.json)"
    )

    def __init__(self, endpoint: FeedEndpoint) -> None:
        self.app = endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and self.PATTERN.fullmatch(scope["path"]):
            return Match.FULL, {"endpoint": self.app}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _wants_raw(query_string: bytes) -> bool:
    return any(part.split(b"=")[0] == b"raw" for part in query_string.split(b"&"))
