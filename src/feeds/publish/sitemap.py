"""Google News sitemaps (one per language) and the sitemap index that lists them.

Google News reads News sitemaps, not feeds. Its documented rules, which the tests check:
only stories published in the last two days; at most 1,000 ``news:news`` URLs per
sitemap; each with ``news:publication`` (``news:name`` as registered, ``news:language``
an ISO 639 code), ``news:publication_date`` in W3C date-time format, and ``news:title``.
A language with no story in the window still gets a valid sitemap (see
``render_news_sitemap``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from lxml import etree

from feeds.publish.items import rfc3339

__all__ = [
    "MAX_NEWS_URLS",
    "NEWS_NS",
    "NEWS_WINDOW",
    "SITEMAP_NS",
    "NewsStory",
    "SitemapRef",
    "news_language",
    "render_news_sitemap",
    "render_sitemap_index",
]

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS_WINDOW = timedelta(days=2)
MAX_NEWS_URLS = 1000

_S = f"{{{SITEMAP_NS}}}"
_N = f"{{{NEWS_NS}}}"
# The sitemap namespace is the default one (lxml's None prefix; its stubs want str keys).
_NEWS_NSMAP: Any = {None: SITEMAP_NS, "news": NEWS_NS}
_INDEX_NSMAP: Any = {None: SITEMAP_NS}


class NewsStory(Protocol):
    """What a News sitemap says of a story in its language (the store's ``Headline``)."""

    @property
    def id(self) -> str: ...
    @property
    def published(self) -> datetime: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...


def news_language(lang: str) -> str:
    """Google wants an ISO 639 code: the primary subtag, except Chinese (zh-cn / zh-tw)."""
    parts = lang.lower().split("-")
    if parts[0] == "zh" and len(parts) > 1 and parts[-1] in ("cn", "tw"):
        return f"zh-{parts[-1]}"
    return parts[0]


def render_news_sitemap(
    stories: Sequence[NewsStory],
    lang: str,
    publication: str,
    now: datetime,
    *,
    front_page: str,
) -> bytes:
    """The News sitemap of ``lang``: its stories of the last two days, newest first
    (``stories``: their headlines in ``lang``).

        With no story in those two days it lists ``front_page`` (the language's front page)
        as a plain sitemap URL, without ``news:`` data. An empty ``urlset`` is not a sitemap:
        sitemaps.org's schema requires at least one ``url`` in it, and Search Console rejects
        one without ("Missing XML tag: url", Automattic/jetpack#9753). Of the ways out, this
        keeps the URL the newsroom submitted answering 200 with a valid file, as the
        WordPress "XML Sitemap & Google News" plugin does; Yoast's 404 shows up as a fetch
        error in Search Console, and padding with older stories would hand Google News
        ``news:`` entries outside its two-day window. Google adds extension tags per ``url``
        ("How to combine sitemap extensions"), so a ``url`` without ``news:news`` is an
        ordinary sitemap entry that Google News leaves alone.
    """
    since = now - NEWS_WINDOW
    recent = [s for s in stories if since <= s.published <= now]
    recent.sort(key=lambda s: (s.published, s.id), reverse=True)
    root = etree.Element(_S + "urlset", nsmap=_NEWS_NSMAP)
    if not recent:
        etree.SubElement(etree.SubElement(root, _S + "url"), _S + "loc").text = front_page
    for story in recent[:MAX_NEWS_URLS]:
        url = etree.SubElement(root, _S + "url")
        etree.SubElement(url, _S + "loc").text = story.url
        news = etree.SubElement(url, _N + "news")
        pub = etree.SubElement(news, _N + "publication")
        etree.SubElement(pub, _N + "name").text = publication
        etree.SubElement(pub, _N + "language").text = news_language(lang)
        etree.SubElement(news, _N + "publication_date").text = rfc3339(story.published)
        etree.SubElement(news, _N + "title").text = story.title
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class SitemapRef:
    loc: str
    lastmod: datetime | None = None


def render_sitemap_index(sitemaps: Sequence[SitemapRef]) -> bytes:
    """A sitemap index (sitemaps.org) listing ``sitemaps``."""
    root = etree.Element(_S + "sitemapindex", nsmap=_INDEX_NSMAP)
    for ref in sitemaps:
        entry = etree.SubElement(root, _S + "sitemap")
        etree.SubElement(entry, _S + "loc").text = ref.loc
        if ref.lastmod is not None:
            etree.SubElement(entry, _S + "lastmod").text = rfc3339(ref.lastmod)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
