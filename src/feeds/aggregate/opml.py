"""OPML 2.0 subscription lists (http://opml.org/spec2.opml): read and write sources.

Reading uses the same hardened lxml parser as feeds (no entities, no network). Outlines
may nest in folders; every outline with an ``xmlUrl`` is a source. A ``language``
attribute (not in the spec, but common) becomes the source's declared language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from feeds.aggregate.xmlguard import UnsafeXMLError, check_no_entity_declarations
from feeds.errors import FeedsError
from feeds.model import check_language_tag
from feeds.store.sources import SourceRecord, SourceSpec

__all__ = ["OPMLError", "read_opml", "write_opml"]


class OPMLError(FeedsError, ValueError):
    """The file is not an OPML subscription list; the message says why."""


def read_opml(data: bytes, where: str = "OPML") -> list[SourceSpec]:
    try:
        check_no_entity_declarations(data)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(data, parser)
    except (UnsafeXMLError, etree.XMLSyntaxError) as exc:
        raise OPMLError(f"{where}: not readable XML: {exc}") from None
    if root.tag != "opml":
        raise OPMLError(f"{where}: the root element is <{root.tag}>, not <opml>")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        lang = (outline.get("language") or "").strip() or None
        if lang is not None and check_language_tag(lang):
            lang = None
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        specs.append(SourceSpec(url=url, title=title, lang=lang))
    return specs


def write_opml(sources: Iterable[SourceRecord], title: str = "feeds sources") -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    for source in sources:
        outline = etree.SubElement(
            body, "outline", type="rss", text=source.display_title, xmlUrl=source.url
        )
        if source.title or source.feed_title:
            outline.set("title", source.display_title)
        lang = source.lang or source.feed_lang
        if lang:
            outline.set("language", lang)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
