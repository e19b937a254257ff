"""What is at a URL someone wants to add as a source: a feed, or a page that links to feeds.

``check_source`` fetches the URL once through the aggregator's own ``Fetcher`` (so the same
address policy, size and time limits apply as to every poll) and parses it with the
aggregator's own parser. An HTML page is searched for feed autodiscovery links
(``<link rel="alternate" type="application/rss+xml" href="…">``, the RSS Advisory Board's
RSS Autodiscovery spec; Atom and JSON Feed use the same element with their media types),
resolved against the page's URL (or its ``<base href>``), and the chosen one is fetched
and parsed in turn. Whatever cannot become a working source raises ``DiscoveryError`` with
one readable line.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from feeds.aggregate.fetch import Fetcher, FetchOutcome, FetchResult
from feeds.aggregate.lang import choose_language
from feeds.aggregate.parse import FeedParseError, ParsedFeed, parse_feed
from feeds.aggregate.urls import SourceURLError, normalize_source_url
from feeds.aggregate.xmlguard import UnsafeXMLError
from feeds.errors import FeedsError

__all__ = ["CheckedFeed", "DiscoveryError", "FeedLink", "check_source", "find_feed_links"]

# Autodiscovery media types and the name an operator reads. JSON Feed 1.1 §"Discovery".
FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# The name of a document's first element, past an XML declaration, comments and a doctype.
_FIRST_ELEMENT = re.compile(
    rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)*<([a-z][a-z0-9:_.-]*)", re.S | re.I
)


class DiscoveryError(FeedsError):
    """The URL cannot be added as a source; the message says why, in one line."""


@dataclass(frozen=True)
class FeedLink:
    """One feed a page links to."""

    url: str  # absolute and normalised
    kind: str  # "RSS", "Atom" or "JSON Feed"
    title: str | None = None


@dataclass(frozen=True)
class CheckedFeed:
    """A URL that was fetched and read as a feed."""

    url: str  # the URL to store: normalised, after a permanent redirect
    title: str | None
    lang: str | None  # primary language: the feed's own, else detected from its entries
    entries: int
    page: str | None = None  # the page it was discovered on
    links: tuple[FeedLink, ...] = ()  # every feed that page links to


def find_feed_links(body: bytes, page_url: str) -> list[FeedLink]:
    """The feeds an HTML page links to, in document order, each URL once."""
    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for element in document.iter("base"):
        if element.get("href"):
            base = urljoin(page_url, element.get("href", "").strip())
            break
    links: list[FeedLink] = []
    seen: set[str] = set()
    for element in document.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        media = (element.get("type") or "").split(";")[0].strip().lower()
        href = (element.get("href") or "").strip()
        if "alternate" not in rel or media not in FEED_TYPES or not href:
            continue
        try:
            url = normalize_source_url(urljoin(base, href))
        except (SourceURLError, ValueError):
            continue  # javascript:, a mangled href: not a feed anyone can poll
        if url in seen:
            continue
        seen.add(url)
        title = (element.get("title") or "").strip() or None
        links.append(FeedLink(url, FEED_TYPES[media], title))
    return links


def _is_html(result: FetchResult) -> bool:
    """A page rather than a feed: by its first element when there is one (servers label
    feeds ``text/html`` often enough), else by its Content-Type."""
    first = _FIRST_ELEMENT.match((result.body or b"")[:4096].lstrip(b"\xef\xbb\xbf"))
    if first is not None:
        return first.group(1).lower().split(b":")[-1] == b"html"
    media = (result.content_type or "").split(";")[0].strip().lower()
    return media in _HTML_TYPES


def _read_feed(result: FetchResult, url: str) -> CheckedFeed:
    assert result.body is not None
    try:
        feed: ParsedFeed = parse_feed(result.body, url, result.content_type)
    except (FeedParseError, UnsafeXMLError) as exc:
        raise DiscoveryError(f"{url} is not a feed: {exc}") from None
    texts = [t for e in feed.entries[:20] for t in (e.title, e.summary)]
    lang = choose_language(None, feed.lang, texts)
    stored = result.permanent_url or url
    try:
        stored = normalize_source_url(stored)
    except SourceURLError:
        stored = url
    return CheckedFeed(
        url=stored,
        title=feed.title or None,
        lang=None if lang == "und" else lang,
        entries=len(feed.entries),
    )


async def _get(fetcher: Fetcher, url: str) -> FetchResult:
    result = await fetcher.fetch(url)
    if result.outcome is not FetchOutcome.OK or result.body is None:
        reason = result.error or result.outcome.value
        raise DiscoveryError(reason if url in reason else f"{url}: {reason}")
    return result


async def check_source(fetcher: Fetcher, url: str, pick: int = 1) -> CheckedFeed:
    """Fetch ``url`` once; return the feed it is, or the ``pick``-th (1-based) feed the
    HTML page at ``url`` links to. Parsing runs in a thread, off the event loop."""
    result = await _get(fetcher, url)
    if not _is_html(result):
        return await asyncio.to_thread(_read_feed, result, url)
    assert result.body is not None
    page = result.final_url or url
    links = tuple(await asyncio.to_thread(find_feed_links, result.body, page))
    if not links:
        raise DiscoveryError(
            f"{url} is an HTML page that links to no feed "
            '(no <link rel="alternate"> with an RSS, Atom or JSON Feed type)'
        )
    if not 1 <= pick <= len(links):
        raise DiscoveryError(f"{url} links to {len(links)} feed(s); --pick {pick} is not one")
    chosen = links[pick - 1]
    found = await _get(fetcher, chosen.url)
    if _is_html(found):
        raise DiscoveryError(f"{chosen.url}, linked from {url} as a feed, is an HTML page")
    checked = await asyncio.to_thread(_read_feed, found, chosen.url)
    return CheckedFeed(
        url=checked.url,
        title=checked.title,
        lang=checked.lang,
        entries=checked.entries,
        page=page,
        links=links,
    )
