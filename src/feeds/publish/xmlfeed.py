"""RSS 2.0 and Atom 1.0 through feedgen, plus the elements feedgen 1.0 cannot write.

feedgen writes each item and entry's skeleton (titles, ids, content and summaries); one
feedgen extension, ``_FeedHook`` / ``_EntryHook`` below, adds what it drops or lacks, or
what it would write more slowly than lxml does directly. The document heads are written
here as feedgen 1.0 writes them, each item and entry still by feedgen
(``FeedEntry.rss_entry``, ``FeedEntry.atom_entry``): for RSS (``_rss_document``) feedgen
always writes a channel ``lastBuildDate``, "now" unless told otherwise, and formats it by
switching the process-wide locale (see below), which no public call of feedgen 1.0 turns
off; for Atom (``_atom_document``) its head cost more to set up, write and parse back
than to write.

- feed level: RSS keeps only the first rel=self ``atom:link``, so language siblings,
  other formats, WebSub hubs and archive links are written here for RSS and Atom alike;
- entry level: feedgen writes Atom entry links with ``href`` only (python-feedgen issue
  #135), so entry links are written here, and the translation links, bylines (one RSS
  ``dc:creator``, one Atom ``author`` per person; see ``feeds.publish.byline``),
  categories, lead image (RSS ``media:content`` with caption and credit, Atom
  rel=enclosure), aggregated-source attribution and dates are written here too;
- dates: see ``feeds.publish.items`` for why feedgen never formats an RFC 822 date.

Partner ``Extension`` hooks run inside the same feedgen extension, after the core.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.feedkeys import Format
from feeds.model import Author, Image
from feeds.publish.byline import credited, join_names
from feeds.publish.extension import ATOM_NS, Extension, RenderContext
from feeds.publish.items import Item, rfc822, rfc3339

__all__ = ["DC_NS", "MEDIA_NS", "render_xml"]

DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

_CORE_NAMESPACES = {"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS, "media": MEDIA_NS}
_HOOK = "feeds"
_RSS_ONLY = frozenset({ATOM_NS, CONTENT_NS})

_DC_CREATOR = f"{{{DC_NS}}}creator"
_ATOM_UPDATED = f"{{{ATOM_NS}}}updated"
_ATOM_LINK = f"{{{ATOM_NS}}}link"
_MEDIA_CONTENT = f"{{{MEDIA_NS}}}content"
_MEDIA_DESCRIPTION = f"{{{MEDIA_NS}}}description"
_MEDIA_CREDIT = f"{{{MEDIA_NS}}}credit"
_HTML = "text/html"
# What this format is, for whoever reads the document (RSS 2.0 <docs>), as feedgen wrote it.
_RSS_DOCS = "http://www.rssboard.org/rss-specification"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def render_xml(
    ctx: RenderContext,
    items: Sequence[Item],
    updated: datetime,
    extensions: Sequence[Extension],
) -> bytes:
    """The RSS or Atom document for ``items`` (already ordered), as UTF-8 bytes."""
    state = _State(ctx, _namespaces(extensions), updated, tuple(extensions))
    fg = FeedGenerator()
    fg.register_extension(_HOOK, partial(_FeedHook, state), _EntryHook)
    if ctx.fmt is Format.ATOM:
        # Each entry appended as soon as it is built, as feedgen itself appends them:
        # holding every feedgen entry until the end made the garbage collector walk all
        # of them again and again (per-item time at 5,000 items 1.24-1.40x the 50-item
        # figure; bench/render.py).
        feed = _atom_document(state)
        for entry in _entries(fg, state, items):
            feed.append(entry.atom_entry())
        return bytes(
            etree.tostring(etree.ElementTree(feed), encoding="UTF-8", xml_declaration=True)
        )
    channel, rss = _rss_document(state)
    for entry in _entries(fg, state, items):
        channel.append(entry.rss_entry())
    return bytes(etree.tostring(etree.ElementTree(rss), encoding="UTF-8", xml_declaration=True))


def _atom_document(state: _State) -> etree._Element:
    """The Atom ``<feed>`` head, element for element and attribute for attribute as
    feedgen 1.0 writes it (``FeedGenerator._create_atom``; its entries follow). Written
    here, as the RSS channel head is: setting feedgen's fields, writing its document and
    parsing it back cost more than the head itself.

    Like feedgen's, the Atom elements have no namespace in the tree: ``xmlns`` is a
    plain attribute of ``<feed>``, so hooks add Atom elements by their local names.
    """
    ctx = state.ctx
    d = ctx.description
    if not (d.self_url and d.title):
        raise ValueError("Required fields not set (an Atom feed needs an id and a title)")
    sub = etree.SubElement
    feed = etree.Element("feed", {"xmlns": ATOM_NS}, nsmap=_FeedHook(state).extend_ns())
    feed.set(_XML_LANG, ctx.lang)
    sub(feed, "id").text = d.self_url
    sub(feed, "title").text = d.title
    sub(feed, "updated").text = state.updated.isoformat()
    if d.publisher:
        sub(sub(feed, "author"), "name").text = d.publisher
    sub(feed, "link", {"href": d.self_url, "rel": "self", "type": ctx.fmt.media_type})
    sub(feed, "link", {"href": d.home_url, "rel": "alternate", "type": _HTML, "hreflang": ctx.lang})
    if d.generator:
        sub(feed, "generator").text = d.generator
    if d.icon:
        sub(feed, "icon").text = d.icon
    if d.logo:
        sub(feed, "logo").text = d.logo
    if d.copyright:
        sub(feed, "rights").text = d.copyright
    if d.description:
        sub(feed, "subtitle").text = d.description
    _FeedHook(state).extend_atom(feed)
    return feed


def _rss_document(state: _State) -> tuple[etree._Element, etree._Element]:
    """The RSS document's channel head in feedgen 1.0's order (its items follow):
    ``(channel, rss)``.

    ``lastBuildDate`` comes from ``_FeedHook`` (see ``feeds.publish.items`` on locales).
    """
    ctx = state.ctx
    d = ctx.description
    sub = etree.SubElement
    rss = etree.Element("rss", version="2.0", nsmap=dict(state.namespaces))
    channel = sub(rss, "channel")
    sub(channel, "title").text = d.title
    sub(channel, "link").text = d.home_url
    sub(channel, "description").text = d.description
    sub(channel, _ATOM_LINK, href=d.self_url, rel="self", type=ctx.fmt.media_type)
    if d.copyright:
        sub(channel, "copyright").text = d.copyright
    sub(channel, "docs").text = _RSS_DOCS
    sub(channel, "generator").text = d.generator
    image = sub(channel, "image")
    sub(image, "url").text = d.logo
    sub(image, "title").text = d.title
    sub(image, "link").text = d.home_url
    sub(channel, "language").text = ctx.lang
    _FeedHook(state).extend_rss(rss)
    return channel, rss


def _entries(fg: FeedGenerator, state: _State, items: Sequence[Item]) -> Iterator[FeedEntry]:
    """One feedgen entry per item, in order, its ``_EntryHook`` told what to add; each
    taken out of ``fg`` again once the caller has written it."""
    atom = state.ctx.fmt is Format.ATOM
    full_text = state.ctx.description.full_text
    for item in items:
        t = item.translation
        fe = fg.add_entry(order="append")
        hook: _EntryHook = getattr(fe, _HOOK)
        hook.state = state
        hook.item = item
        fe.id(item.guid)
        fe.title(t.title)
        hook.linked = False
        if full_text and t.body_html:
            fe.content(t.body_html, type="html")
        elif atom:
            # feedgen refuses an Atom entry with neither content nor an alternate link
            # (RFC 4287 §4.1.1). Elsewhere _EntryHook writes the link: feedgen's link
            # validation costs more than the element.
            fe.link(href=t.url, rel="alternate")
            hook.linked = True
        if t.summary:
            # The summary is plain text. Atom says so (type="text"); an RSS reader takes
            # <description> for entity-encoded HTML (RSS Best Practices Profile, 4.1.1.3),
            # so there a "<" in the text is escaped, or a reader would run it as markup.
            fe.summary(t.summary if atom else html.escape(t.summary, quote=False))
        if atom:  # RSS items carry atom:updated from _EntryHook instead
            fe.updated(item.updated.astimezone(UTC))
        yield fe
        fg.remove_entry(fe)


@dataclass(frozen=True, slots=True)
class _State:
    """What the hooks share during one render."""

    ctx: RenderContext
    namespaces: Mapping[str, str]
    updated: datetime
    extensions: tuple[Extension, ...]


def _namespaces(extensions: Sequence[Extension]) -> Mapping[str, str]:
    merged = dict(_CORE_NAMESPACES)
    for ext in extensions:
        for prefix, uri in ext.namespaces().items():
            if merged.setdefault(prefix, uri) != uri:
                raise ValueError(
                    f"extension {ext.name!r} binds prefix {prefix!r} to {uri!r}, "
                    f"but it is already bound to {merged[prefix]!r}"
                )
    return merged


def _link(parent: etree._Element, tag: str, href: str, rel: str, **attrs: str) -> None:
    etree.SubElement(parent, tag, {"href": href, "rel": rel, **attrs})


class _FeedHook(BaseExtension):  # type: ignore[misc]
    def __init__(self, state: _State) -> None:
        self.state = state

    def extend_ns(self) -> dict[str, str]:
        namespaces = self.state.namespaces
        if self.state.ctx.fmt is Format.ATOM:
            # Atom elements are un-namespaced in feedgen's tree (no atom: prefix wanted),
            # and content:encoded is RSS only.
            return {k: v for k, v in namespaces.items() if v not in _RSS_ONLY}
        return dict(namespaces)

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = rss[0]
        etree.SubElement(channel, "lastBuildDate").text = rfc822(self.state.updated)
        self._links(channel)
        return rss

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        self._links(feed)
        return feed

    def _links(self, parent: etree._Element) -> None:
        ctx = self.state.ctx
        d = ctx.description
        tag = ctx.atom("link")
        own_type = ctx.fmt.media_type
        for lang, url in d.language_alternates:
            _link(parent, tag, url, "alternate", type=own_type, hreflang=lang)
        for fmt, url in d.format_alternates:
            _link(parent, tag, url, "alternate", type=fmt.media_type, hreflang=ctx.lang)
        for hub in d.hubs:
            _link(parent, tag, hub, "hub")
        for rel, url in d.extra_links:
            _link(parent, tag, url, rel)
        for ext in self.state.extensions:
            ext.feed_xml(parent, ctx)


class _EntryHook(BaseEntryExtension):  # type: ignore[misc]
    """feedgen makes one per entry (no arguments); ``render_xml`` then sets its fields
    (``linked``: feedgen writes the entry's bare link itself)."""

    state: _State
    item: Item
    linked: bool

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        item = self.item
        article = item.article
        sub = etree.SubElement
        # No type attribute: it is advisory (RFC 4287 §4.2.7.3), readers assume an HTML
        # page, and attributes are the costliest part of an item at 5,000 items.
        for t in article.translations:
            if t is not item.translation:
                sub(entry, _ATOM_LINK, {"href": t.url, "rel": "alternate", "hreflang": t.lang})
        # After the translations: feedparser takes the last rel=alternate text/html link
        # it sees as the item's link, <link> included.
        sub(entry, "link").text = item.translation.url
        sub(entry, "pubDate").text = rfc822(article.published)
        # RSS has no modification date; without one an edit is invisible to readers.
        sub(entry, _ATOM_UPDATED).text = rfc3339(article.updated)
        # Categories here rather than through feedgen, whose per-call validation costs
        # more than the elements themselves.
        for name in item.categories:
            sub(entry, "category").text = name
        # One dc:creator for every name: readers show only one (feeds.publish.byline).
        authors = credited(article)
        if authors:
            sub(entry, _DC_CREATOR).text = join_names(
                [a.name for a in authors], self.state.ctx.description.words
            )
        image = article.image
        if image is not None:
            # After feedgen's <description>: feedparser reads media:description as a
            # description too, and keeps the first one as the summary.
            _media(entry, image, item.translation.image_caption or image.caption)
        source = article.source
        if source is not None:
            # RSS 2.0 <source>: the channel the item came from, its title as text.
            sub(entry, "source", url=source.feed_url).text = source.title
        state = self.state
        for ext in state.extensions:
            ext.entry_xml(entry, article, state.ctx)
        return entry

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        item = self.item
        article = item.article
        sub = etree.SubElement
        url = item.translation.url
        # Readers disagree on which rel=alternate link is "the" link: most take the
        # first, feedparser the last text/html one. So the story's own link comes first
        # with its type and language, the translations follow, and a bare href-only copy
        # comes last (a different type/hreflang combination, so RFC 4287 §4.1.1 allows
        # it). feedgen may already have written that bare copy (it drops rel, type and
        # hreflang, python-feedgen issue #135): it is moved to the end.
        bare = entry.find("link") if self.linked else None
        sub(entry, "link", {"href": url, "rel": "alternate", "type": _HTML, "hreflang": item.lang})
        for t in article.translations:
            if t is not item.translation:
                sub(
                    entry,
                    "link",
                    {"href": t.url, "rel": "alternate", "type": _HTML, "hreflang": t.lang},
                )
        if article.translations[1:]:
            if bare is None:
                sub(entry, "link", href=url)
            else:
                entry.append(bare)
        elif bare is not None:
            entry.remove(bare)
        sub(entry, "published").text = rfc3339(article.published)
        for name in item.categories:
            sub(entry, "category", term=name)
        # Names and pages only: an email address in a public feed is harvested for spam.
        # A co-authored story has one author, the whole byline, and each person as a
        # contributor: feedparser's readers show only the last author's name (and mix
        # one author's uri into the next), so a byline split over several authors lost
        # names. An aggregated story without a byline credits its outlet (feeds.publish.byline).
        authors = credited(article)
        if len(authors) == 1:
            _person(sub(entry, "author"), authors[0])
        elif authors:
            byline = join_names([a.name for a in authors], self.state.ctx.description.words)
            sub(sub(entry, "author"), "name").text = byline
            for author in authors:
                _person(sub(entry, "contributor"), author)
        image = article.image
        if image is not None:
            # No length: the byte size is unknown and RFC 4287 §4.2.7.6 makes it optional.
            sub(entry, "link", href=image.url, rel="enclosure", type=image.mime_type)
        source = article.source
        if source is not None:
            # RFC 4287 §4.2.11: the feed the entry was copied from, with its id, title and
            # updated (the W3C validator warns without updated). The store keeps no date
            # of the source feed itself, so the entry's own updated stands in: the source
            # feed was updated at least then, and the bytes stay stable between polls.
            src = sub(entry, "source")
            sub(src, "id").text = source.feed_url
            sub(src, "title").text = source.title
            sub(src, "updated").text = rfc3339(article.updated)
            sub(src, "link", href=source.feed_url, rel="self")
            sub(src, "link", href=source.link, rel="alternate", type=_HTML)
        state = self.state
        for ext in state.extensions:
            ext.entry_xml(entry, article, state.ctx)
        return entry


def _person(element: etree._Element, author: Author) -> None:
    """An Atom Person construct (RFC 4287 §3.2): the name, and the author's page if any."""
    etree.SubElement(element, "name").text = author.name
    if author.url:
        etree.SubElement(element, "uri").text = author.url


def _media(entry: etree._Element, image: Image, caption: str | None) -> None:
    """Media RSS ``media:content`` for the lead image, with its caption (in the item's
    language when the story gives one) and credit, added to ``entry``."""
    attrs = {
        "url": image.url,
        "type": image.mime_type,
        "medium": "image",
        "width": str(image.width),
        "height": str(image.height),
    }
    # Made in place, its prefix the document's (declared on <rss>): a standalone element
    # with its own namespace map cost a declaration, then a reconciliation on append.
    content = etree.SubElement(entry, _MEDIA_CONTENT, attrs)
    if caption:
        # Plain text is the default type (Media RSS 1.5.1, media:description).
        etree.SubElement(content, _MEDIA_DESCRIPTION).text = caption
    if image.credit:
        etree.SubElement(content, _MEDIA_CREDIT).text = image.credit
