"""The hook partner profiles use to add their own elements to a feed.

A partner profile (MSN, Flipboard, Feedly webfeeds, Yandex, SmartNews, ...) is an
``Extension`` subclass that overrides only what it needs::

    class WebfeedsExtension(Extension):
        name = "webfeeds"

        def namespaces(self) -> Mapping[str, str]:
            return {"webfeeds": "http://webfeeds.org/rss/1.0"}

        def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
            logo = etree.SubElement(element, "{http://webfeeds.org/rss/1.0}logo")
            logo.text = ctx.description.logo

        def entry_json(self, item: dict[str, Any], article: Article, ctx: RenderContext) -> None:
            item["_webfeeds"] = {"logo": ctx.description.logo}

    render(description, Format.RSS, articles, extensions=[WebfeedsExtension()])

How the hooks are called, per rendered document:

- ``namespaces()``: prefix -> URI, declared once on the root element (RSS and Atom).
  A prefix that another extension (or the core: ``atom``, ``content``, ``dc``,
  ``media``) binds to a different URI is a ``ValueError``.
- ``feed_xml(element, ctx)``: once, after the core feed-level elements and before the
  items. ``element`` is the RSS ``<channel>`` (its parent is ``<rss>``) or the Atom
  ``<feed>``.
- ``entry_xml(element, article, ctx)``: once per item, after the core elements.
  ``element`` is the RSS ``<item>`` or the Atom ``<entry>``; ``ctx.lang`` is the feed's
  language and ``ctx.translation(article)`` the version being rendered.
- ``feed_json(feed, ctx)`` / ``entry_json(item, article, ctx)``: the same for JSON Feed,
  on the plain dicts before encoding. JSON Feed 1.1 wants custom keys to start with
  ``_`` (e.g. ``"_yandex"``).

Hooks run in the order the extensions are given, mutate the element or dict they get and
return nothing. They must be deterministic (no clock, no randomness): the same input must
render the same bytes.

feedgen builds Atom documents from *un-namespaced* element names and declares the Atom
namespace as the default on output, so an Atom element added by a hook must be named
``ctx.atom("link")`` (``"link"`` in Atom, ``"{http://www.w3.org/2005/Atom}link"`` in
RSS). Foreign elements always use their ``{uri}local`` name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from feeds.feedkeys import Format
from feeds.model import Article, Translation
from feeds.publish.description import FeedDescription

__all__ = ["ATOM_NS", "Extension", "RenderContext"]

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class RenderContext:
    """What a hook may want to know about the document being rendered."""

    description: FeedDescription
    fmt: Format

    @property
    def lang(self) -> str:
        return self.description.lang

    def translation(self, article: Article) -> Translation:
        """The article's version in this feed's language (render skips articles without)."""
        found = article.translation(self.lang)
        if found is None:
            raise LookupError(f"article {article.id} has no {self.lang!r} translation")
        return found

    def atom(self, local: str) -> str:
        """The element name of Atom element ``local`` in this document."""
        return local if self.fmt is Format.ATOM else f"{{{ATOM_NS}}}{local}"


class Extension:
    """Base class of a partner profile; every hook does nothing until overridden."""

    name: str = "extension"

    def namespaces(self) -> Mapping[str, str]:
        return {}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        return None

    def entry_xml(self, element: etree._Element, article: Article, ctx: RenderContext) -> None:
        return None

    def feed_json(self, feed: dict[str, Any], ctx: RenderContext) -> None:
        return None

    def entry_json(self, item: dict[str, Any], article: Article, ctx: RenderContext) -> None:
        return None
