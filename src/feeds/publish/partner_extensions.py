"""feedgen extensions for partner profiles (see ``feeds.publish.extension`` for the hooks).

Each writes only its consumer's own namespace; the core already writes Media RSS images
with caption and credit, full text, ids and dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lxml.html
from lxml import etree

from feeds.feedkeys import Format
from feeds.model import Article
from feeds.publish.extension import Extension, RenderContext

__all__ = [
    "DCTERMS_NS",
    "SNF_NS",
    "WEBFEEDS_NS",
    "YANDEX_NS",
    "DctermsModifiedExtension",
    "SmartNewsExtension",
    "WebfeedsExtension",
    "YandexExtension",
]

WEBFEEDS_NS = "http://webfeeds.org/rss/1.0"
YANDEX_NS = "http://news.yandex.ru"
SNF_NS = "http://www.smartnews.be/snf"
DCTERMS_NS = "http://purl.org/dc/terms/"


def _text(parent: etree._Element, tag: str, value: str, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    element.text = value
    return element


class DctermsModifiedExtension(Extension):
    """``dcterms:modified`` on RSS items: RSS has no updated date, and partners that
    re-ingest edited stories (MSN) look for one. Atom entries already carry updated."""

    name = "dcterms"

    def namespaces(self) -> Mapping[str, str]:
        return {"dcterms": DCTERMS_NS}

    def entry_xml(self, element: etree._Element, article: Article, ctx: RenderContext) -> None:
        if ctx.fmt is Format.RSS:
            _text(element, f"{{{DCTERMS_NS}}}modified", article.updated.isoformat())


class WebfeedsExtension(Extension):
    """Feedly's webfeeds: icon, logo, accent colour and cover image for the source page.

    Options: ``accent_color`` (hex without '#', default ``1a1a1a``), ``cover`` (an image
    URL, default the feed's logo).
    """

    name = "webfeeds"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.accent = str(options.get("accent_color", "1a1a1a")).lstrip("#")
        self.cover = options.get("cover")

    def namespaces(self) -> Mapping[str, str]:
        return {"webfeeds": WEBFEEDS_NS}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        d = ctx.description
        ns = f"{{{WEBFEEDS_NS}}}"
        _text(element, ns + "icon", d.icon)
        _text(element, ns + "logo", d.logo)
        _text(element, ns + "accentColor", self.accent)
        etree.SubElement(element, ns + "cover", image=str(self.cover or d.logo))


class YandexExtension(Extension):
    """Yandex: the story's full text as plain text, and its genre (``message`` by default;
    option ``genre``: message, article, interview)."""

    name = "yandex"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.genre = str(options.get("genre", "message"))

    def namespaces(self) -> Mapping[str, str]:
        return {"yandex": YANDEX_NS}

    def entry_xml(self, element: etree._Element, article: Article, ctx: RenderContext) -> None:
        t = ctx.translation(article)
        ns = f"{{{YANDEX_NS}}}"
        _text(element, ns + "full-text", plain_text(t.body_html))
        _text(element, ns + "genre", self.genre)


class SmartNewsExtension(Extension):
    """SmartNews: ``snf:logo`` (a URL inside) on the channel. Option ``logo``: the wide
    logo SmartNews shows above stories (default: the feed's logo).

    SmartFormat's example writes the URL as an un-namespaced ``<url>``; an element with
    no namespace inside a foreign one is an error for the W3C Feed Validator ("Missing
    namespace for url"), so the URL is ``snf:url`` here (the trade-off is in
    docs/partners.md).
    """

    name = "smartnews"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.logo = options.get("logo")

    def namespaces(self) -> Mapping[str, str]:
        return {"snf": SNF_NS}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        logo = etree.SubElement(element, f"{{{SNF_NS}}}logo")
        _text(logo, f"{{{SNF_NS}}}url", str(self.logo or ctx.description.logo))


def plain_text(html: str) -> str:
    """The text of an HTML fragment, paragraphs separated by blank lines."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for block in root.iter("p", "br", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    text = root.text_content()
    return "\n\n".join(part.strip() for part in text.split("\n\n") if part.strip())
