"""OPML 2.0 (http://opml.org/spec2.opml): the list of our feeds, grouped by language.

Feed readers import it to subscribe to several feeds at once. Each group is a folder
outline with only a ``text`` (OPML 2.0: an outline with more attributes says its
``type``); each feed is an outline of ``type="rss"``, the type OPML 2.0 defines for a
subscription whatever the feed's format (RSS, Atom and JSON Feed alike: readers that
import subscription lists look for ``type="rss"`` and an ``xmlUrl``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lxml import etree

from feeds.feedkeys import Format
from feeds.publish.feed import Feed, Site
from feeds.publish.phrases import format_name

__all__ = ["OpmlFeed", "opml_group", "render_opml"]


class OpmlFeed(NamedTuple):
    """One subscription: its ``text``, the feed URL, the HTML page it mirrors and the
    language of its stories (OPML 2.0 ``language``, left out when None)."""

    text: str
    xml_url: str
    html_url: str
    language: str | None = None


def opml_group(
    site: Site, lang: str, feeds: Sequence[Feed], formats: Sequence[Format]
) -> tuple[str, list[OpmlFeed]]:
    """The folder of language ``lang``: each of ``feeds`` once per format in ``formats``.

    An outline's text says which feed and format it is: "Caucasus Wire: Politics (Atom)";
    a reader importing the whole list subscribes to each feed once per format.
    """
    outlines = []
    for feed in feeds:
        title = feed.title(site)
        html_url = site.absolute(feed.link())
        for fmt in formats:
            xml_url = site.absolute(feed.feed_path(fmt))
            outlines.append(OpmlFeed(f"{title} ({format_name(fmt)})", xml_url, html_url, lang))
    return f"{site.words(lang).language(lang)} ({lang})", outlines


def render_opml(
    title: str, groups: Sequence[tuple[str, Sequence[OpmlFeed | tuple[str, str, str]]]]
) -> bytes:
    """An OPML 2.0 subscription list as UTF-8 bytes.

    ``groups`` is ``[(language label, [OpmlFeed or (text, xml_url, html_url), ...]), ...]``.
    """
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(opml, "body")
    for label, feeds in groups:
        folder = etree.SubElement(body, "outline", text=label)
        for entry in feeds:
            feed = OpmlFeed(*entry)
            attrs = {
                "type": "rss",
                "text": feed.text,
                "title": feed.text,
                "xmlUrl": feed.xml_url,
                "htmlUrl": feed.html_url,
            }
            if feed.language:
                attrs["language"] = feed.language
            etree.SubElement(folder, "outline", attrs)
    return bytes(etree.tostring(opml, encoding="UTF-8", xml_declaration=True))
