"""The fast path: well-formed RSS 2.0/0.9x and Atom 1.0 read with lxml.

feedparser costs tens of milliseconds per 50-item feed; lxml reads the same feed in well
under one. This reader only handles the plain, common shape and raises ``NotFastError`` on
anything else (an unknown element, XHTML content, an unparsable date), so the caller falls
back to feedparser. It maps to exactly what ``parse_with_feedparser`` gives for the same
document, headers included (Content-Location as the base, Content-Language as the
language of last resort); a test checks that. It reads a ``FeedDocument``, whose encoding
is already decided: the body is UTF-8.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from feeds.aggregate.document import FeedDocument
from feeds.aggregate.entrycap import element_date, newest
from feeds.aggregate.parse import (
    ParsedEntry,
    ParsedFeed,
    clean_lang,
    positive_int,
    text_to_html,
    update_period,
)
from feeds.aggregate.sanitize import html_to_text, sanitize_html
from feeds.errors import FeedsError

__all__ = ["NotFastError", "parse_fast", "raw_entry_ids"]

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SY = "{http://purl.org/rss/1.0/modules/syndication/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_RSS_ITEM_CHILDREN = frozenset(
    {
        "title",
        "link",
        "guid",
        "description",
        "pubDate",
        "category",
        "comments",
        "enclosure",
        f"{CONTENT}encoded",
        f"{DC}creator",
        f"{DC}language",
        f"{DC}title",
    }
)
_ATOM_ENTRY_CHILDREN = frozenset(
    f"{ATOM}{name}"
    for name in (
        "id",
        "title",
        "link",
        "summary",
        "content",
        "published",
        "updated",
        "author",
        "category",
        "rights",
    )
)


class NotFastError(FeedsError):
    """This document needs feedparser."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_fast(document: FeedDocument, max_entries: int | None = None) -> ParsedFeed:
    """``document`` read, of its entries at most the ``max_entries`` newest (``entrycap``)."""
    try:
        # The base is Content-Location when the server sent one, as feedparser has it.
        root = etree.fromstring(document.body, _parser(), base_url=document.base)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise NotFastError(str(exc)) from None
    if root.tag == "rss":
        return _rss(root, document, max_entries)
    if root.tag == f"{ATOM}feed":
        return _atom(root, document, max_entries)
    raise NotFastError(f"root element {root.tag}")


def raw_entry_ids(body: bytes) -> list[str | None] | None:
    """Each entry's id (RSS guid, Atom id) as written, in document order; None when the
    body is not well-formed. feedparser's own ids are resolved like links."""
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    ids: list[str | None] = []
    for entry in root.iter("item", f"{RSS10}item", f"{ATOM}entry", f"{ATOM03}entry"):
        found = next((c for c in entry if c.tag in ("guid", f"{ATOM}id", f"{ATOM03}id")), None)
        text = (found.text or "").strip() if found is not None and not len(found) else ""
        ids.append(text or None)
    return ids


def _language(root: etree._Element, parent: etree._Element, document: FeedDocument) -> str | None:
    """The feed's language as feedparser finds it: the last ``language``/``dc:language``
    element, else ``xml:lang`` on the root element, else the Content-Language header."""
    declared = [el for el in parent if el.tag in ("language", f"{DC}language")]
    if declared:
        return clean_lang(_text(declared[-1]))
    return clean_lang(root.get(XML_LANG)) or clean_lang(document.content_language)


def _title(titles: list[etree._Element], dc_titles: list[etree._Element]) -> str:
    """``title``, else ``dc:title`` (feedparser reads both as the title)."""
    if len(titles) > 1 or len(dc_titles) > 1:
        raise NotFastError("several titles")
    plain = _text(titles[0]) if titles else None
    dublin = _text(dc_titles[0]) if dc_titles else None
    if plain is not None and dublin is not None and plain != dublin:
        raise NotFastError("title and dc:title differ")
    return plain if plain is not None else dublin or ""


def _join(base: str, value: str) -> str:
    """urljoin, skipped for the common already-absolute case (urljoin is slow)."""
    if value.startswith(("https://", "http://")) and " " not in value:
        return value
    try:
        return urljoin(base, value)
    except ValueError:  # "http://[bad": prepare refuses that entry, not the whole feed
        return value


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    if len(element):
        raise NotFastError(f"markup inside <{element.tag}>")
    return (element.text or "").strip()


def _single(parent: etree._Element, tag: str) -> etree._Element | None:
    found = parent.findall(tag)
    if len(found) > 1:
        raise NotFastError(f"{len(found)} <{tag}> elements")
    return found[0] if found else None


def _rfc822(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise NotFastError(f"date {value!r}") from None
    if parsed.tzinfo is None:
        raise NotFastError(f"date without zone {value!r}")
    return parsed.astimezone(UTC)


def _iso(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise NotFastError(f"date {value!r}") from None
    if parsed.tzinfo is None:
        raise NotFastError(f"date without zone {value!r}")
    return parsed.astimezone(UTC).replace(microsecond=0)  # feedparser keeps whole seconds


# --- RSS 2.0 / 0.9x ----------------------------------------------------------------------


def _rss(root: etree._Element, document: FeedDocument, max_entries: int | None) -> ParsedFeed:
    channel = _single(root, "channel")
    if channel is None:
        raise NotFastError("no channel")
    base = channel.base or document.base
    link = _text(_single(channel, "link"))
    # feedparser's default language for everything is Content-Language (its "baselang").
    scope_lang = channel.get(XML_LANG) or root.get(XML_LANG) or document.content_language
    items, left_out = newest(channel.findall("item"), max_entries, element_date)
    entries = tuple(_rss_item(item, scope_lang) for item in items)
    title = _title(channel.findall("title"), channel.findall(f"{DC}title"))
    return ParsedFeed(
        title=html_to_text(title),
        link=_join(base, link) if link else None,
        lang=_language(root, channel, document),
        entries=entries,
        ttl_minutes=positive_int(_text(_single(channel, "ttl"))),
        update_period_seconds=update_period(
            _text(_single(channel, f"{SY}updatePeriod")),
            _text(_single(channel, f"{SY}updateFrequency")),
        ),
        parser="fast",
        charset_note=document.charset_note,
        left_out=left_out,
    )


def _entry_lang(
    own: etree._Element | None, entry: etree._Element, scope_lang: str | None
) -> str | None:
    """The ``xml:lang`` in scope at ``own`` (the entry's title, else its summary), which is
    where feedparser reads an entry's language; None without such an element."""
    if own is None:
        return None
    return own.get(XML_LANG) or entry.get(XML_LANG) or scope_lang


def _rss_item(item: etree._Element, scope_lang: str | None = None) -> ParsedEntry:
    # One pass over the children (an item is read thousands of times in a cold cycle).
    children: dict[str, list[etree._Element]] = {}
    for child in item:
        if child.tag not in _RSS_ITEM_CHILDREN:
            raise NotFastError(f"item child {child.tag}")
        children.setdefault(child.tag, []).append(child)

    def single(tag: str) -> etree._Element | None:
        found = children.get(tag)
        if found and len(found) > 1:
            raise NotFastError(f"{len(found)} <{tag}> elements")
        return found[0] if found else None

    base = item.base or ""
    link = _text(single("link"))
    link = _join(base, link) if link else ""
    guid_el = single("guid")
    guid = _text(guid_el)  # an identity: kept as written
    permalink = guid_el is not None and guid_el.get("isPermaLink") != "false"
    if not link and guid and permalink:
        link = _join(base, guid)  # a permalink guid is the link, resolved like one
    description_el = single("description")
    description = _text(description_el)
    content = _text(single(f"{CONTENT}encoded"))
    creators = children.get(f"{DC}creator", ())
    title_el = single("title")
    if title_el is None:
        title_el = single(f"{DC}title")
    lang = _text(single(f"{DC}language")) or _entry_lang(
        title_el if title_el is not None else description_el, item, scope_lang
    )
    return ParsedEntry(
        guid=guid or None,
        link=link or None,
        title=html_to_text(_title(children.get("title", []), children.get(f"{DC}title", []))),
        summary=sanitize_html(description, base),
        content=sanitize_html(content, base) if content else "",
        published=_rfc822(_text(single("pubDate"))),
        updated=None,
        authors=tuple(a for c in creators if (a := html_to_text(_text(c)))),
        tags=tuple(t for c in children.get("category", ()) if (t := _text(c))),
        lang=clean_lang(lang),
    )


# --- Atom 1.0 (RFC 4287) -----------------------------------------------------------------


def _atom_text(element: etree._Element | None, base: str) -> tuple[str, bool]:
    """(value, is_html) of an atom text construct (RFC 4287 §3.1); xhtml needs feedparser."""
    if element is None:
        return "", False
    kind = element.get("type", "text")
    if element.get("src") is not None or kind not in ("text", "html"):
        raise NotFastError(f"atom content type {kind!r}")
    return _text(element), kind == "html"


def _alternate(parent: etree._Element) -> str | None:
    links = [
        el for el in parent.iterfind(f"{ATOM}link") if el.get("rel", "alternate") == "alternate"
    ]
    if len(links) > 1:
        raise NotFastError("several alternate links")
    if not links or not links[0].get("href"):
        return None
    return _join(links[0].base or "", links[0].get("href", "").strip())


def _atom(root: etree._Element, document: FeedDocument, max_entries: int | None) -> ParsedFeed:
    title, _ = _atom_text(_single(root, f"{ATOM}title"), document.base)
    scope_lang = root.get(XML_LANG) or document.content_language
    chosen, left_out = newest(root.findall(f"{ATOM}entry"), max_entries, element_date)
    entries = tuple(_atom_entry(e, scope_lang) for e in chosen)
    return ParsedFeed(
        title=html_to_text(title),
        link=_alternate(root),
        lang=_language(root, root, document),
        entries=entries,
        parser="fast",
        charset_note=document.charset_note,
        left_out=left_out,
    )


def _atom_entry(entry: etree._Element, scope_lang: str | None = None) -> ParsedEntry:
    for child in entry:
        if child.tag not in _ATOM_ENTRY_CHILDREN:
            raise NotFastError(f"entry child {child.tag}")
    base = entry.base or ""
    summary_el = _single(entry, f"{ATOM}summary")
    content_el = _single(entry, f"{ATOM}content")
    summary, summary_html = _atom_text(summary_el, base)
    content, content_html = _atom_text(content_el, base)
    summary_base = (summary_el.base if summary_el is not None else None) or base
    content_base = (content_el.base if content_el is not None else None) or base
    title_el = _single(entry, f"{ATOM}title")
    title, _ = _atom_text(title_el, base)
    lang = _entry_lang(title_el if title_el is not None else summary_el, entry, scope_lang)
    guid = _text(_single(entry, f"{ATOM}id"))  # an identity: kept as written
    authors = tuple(
        name
        for a in entry.iterfind(f"{ATOM}author")
        if (name := html_to_text(_text(_single(a, f"{ATOM}name"))))
    )
    return ParsedEntry(
        guid=guid or None,
        # feedparser's "guidislink": without an alternate link, the id resolved as a link
        link=_alternate(entry) or (_join(base, guid) if guid else None),
        title=html_to_text(title),
        summary=sanitize_html(summary if summary_html else text_to_html(summary), summary_base)
        if summary
        else "",
        content=sanitize_html(content if content_html else text_to_html(content), content_base)
        if content
        else "",
        published=_iso(_text(_single(entry, f"{ATOM}published"))),
        updated=_iso(_text(_single(entry, f"{ATOM}updated"))),
        authors=authors,
        tags=tuple(
            t for c in entry.iterfind(f"{ATOM}category") if (t := (c.get("term") or "").strip())
        ),
        lang=clean_lang(lang),
    )
