"""OPML 2.0 (http://opml.org/spec2.opml): the list of our feeds, grouped by language.

Feed readers import it to subscribe to several feeds at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

__all__ = ["render_opml"]


def render_opml(title: str, groups: Sequence[tuple[str, Sequence[tuple[str, str, str]]]]) -> bytes:
    """An OPML 2.0 subscription list as UTF-8 bytes.

    ``groups`` is ``[(language label, [(feed title, xml_url, html_url), ...]), ...]``;
    each group becomes a folder outline holding one ``type="rss"`` outline per feed
    (OPML 2.0 uses ``rss`` for any feed format, Atom and JSON Feed included).
    """
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(opml, "body")
    for label, feeds in groups:
        folder = etree.SubElement(body, "outline", text=label, title=label)
        for feed_title, xml_url, html_url in feeds:
            etree.SubElement(
                folder,
                "outline",
                type="rss",
                text=feed_title,
                title=feed_title,
                xmlUrl=xml_url,
                htmlUrl=html_url,
            )
    return bytes(etree.tostring(opml, encoding="UTF-8", xml_declaration=True))
