"""Turn a fetched body into a ``ParsedFeed``: plain data, dates in UTC, HTML sanitised.

First the body is read as a document (``feeds.aggregate.document``): its kind from the body
itself, whatever Content-Type says, and its encoding decided once, so that every reader
gets the same UTF-8 text. Then three readers, one output:

- JSON Feed 1.0/1.1 is read here with ``json``; an HTML page is an error of its own.
- Well-formed RSS 2.0/0.9x and Atom 1.0 take the fast path (``feeds.aggregate.fastxml``,
  lxml), which gives up on anything unusual.
- Everything else (RSS 1.0, Atom 0.3, broken XML, whatever the fast path gave up on) goes
  to feedparser, the reference. ``tests/test_aggregate_parse.py`` checks that both XML
  readers map a broad set of feeds to the same entries.

Entry ids (RSS ``guid``, Atom ``id``) are kept exactly as the feed wrote them: an id is an
identity, not a link, so it is neither resolved against the document URL nor re-cased
(feedparser resolves them; its ids are put back as written).

Parsing is CPU work: the pipeline runs ``parse_feed`` in a worker, never on the event loop.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from feeds.aggregate.charset import decode_json
from feeds.aggregate.document import (
    BodyKind,
    FeedDocument,
    declared_charset,
    read_xml_document,
    sniff,
)
from feeds.aggregate.entrycap import lenient_date, newest, trim_document
from feeds.aggregate.sanitize import html_to_text, sanitize_html
from feeds.aggregate.xmlguard import check_no_entity_declarations
from feeds.errors import FeedsError

__all__ = [
    "FeedParseError",
    "ParsedEntry",
    "ParsedFeed",
    "parse_feed",
    "parse_with_feedparser",
    "parse_xml_document",
]


class FeedParseError(FeedsError, ValueError):
    """The body is not a feed we can read; the message says why."""


@dataclass(frozen=True)
class ParsedEntry:
    """One entry as the source published it; HTML already sanitised, text already plain."""

    guid: str | None  # as the feed wrote it (whitespace aside)
    link: str | None
    title: str
    summary: str
    content: str
    published: datetime | None
    updated: datetime | None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # The entry's own language: ``dc:language``, else the ``xml:lang`` in scope at its
    # title (or summary), inherited from the item or the feed as XML says (XML 1.0 §2.12).
    lang: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    lang: str | None
    entries: tuple[ParsedEntry, ...]
    ttl_minutes: int | None = None
    update_period_seconds: int | None = None
    parser: str = "feedparser"
    charset_note: str | None = None  # why the declared charset was overridden, if it was
    left_out: int = 0  # entries beyond max_entries, not read (feeds.aggregate.entrycap)


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    content_language: str | None = None,
    content_location: str | None = None,
    max_entries: int | None = None,
) -> ParsedFeed:
    """Parse ``body`` fetched from ``url``; raise FeedParseError when it is not a feed.

    ``content_type``, ``content_language`` and ``content_location`` are the HTTP headers
    that came with it: the first only for its charset, the others as feedparser uses them.
    Of more than ``max_entries`` entries only the newest are read; ``left_out`` counts the
    others.
    """
    kind = sniff(body)
    if kind is BodyKind.HTML:
        raise FeedParseError(f"{url}: this is an HTML page, not a feed")
    if kind is BodyKind.JSON:
        decoded = decode_json(body, declared_charset(content_type))
        assert decoded.text is not None
        return parse_json_feed(
            decoded.text,
            url,
            content_language=content_language,
            charset_note=decoded.note,
            max_entries=max_entries,
        )
    document = read_xml_document(
        body,
        url,
        content_type,
        content_language=content_language,
        content_location=content_location,
        verify=False,
    )
    return parse_xml_document(document, max_entries)


def parse_xml_document(document: FeedDocument, max_entries: int | None = None) -> ParsedFeed:
    """The fast path if it can read ``document``, else feedparser."""
    from feeds.aggregate.fastxml import NotFastError, parse_fast

    check_no_entity_declarations(document.body)
    try:
        return parse_fast(document, max_entries)
    except NotFastError:
        pass
    checked = document.verified_copy()
    if checked.body is not document.body:  # it was not UTF-8 after all: read it again
        check_no_entity_declarations(checked.body)
        try:
            return parse_fast(checked, max_entries)
        except NotFastError:
            pass
    return parse_with_feedparser(checked, max_entries)


# --- shared mapping helpers --------------------------------------------------------------

_PERIOD_SECONDS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000}
_PERIOD_SECONDS["yearly"] = 31_536_000


def update_period(period: str | None, frequency: str | None) -> int | None:
    """``sy:updatePeriod`` / ``sy:updateFrequency`` (RSS 1.0 syndication module) in seconds."""
    if not period:
        return None
    seconds = _PERIOD_SECONDS.get(period.strip().lower())
    if seconds is None:
        return None
    try:
        times = max(1, int((frequency or "1").strip()))
    except ValueError:
        times = 1
    return seconds // times


def positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def text_to_html(text: str) -> str:
    return html.escape(text.strip(), quote=False)


def clean_lang(value: str | None) -> str | None:
    """``en-US`` stays ``en-US``; ``ru_RU`` becomes ``ru-RU``; empty becomes None; of a
    list (``Content-Language: hy, en``, RFC 9110 §8.5) the first."""
    if not value:
        return None
    value = value.split(",", 1)[0].strip().replace("_", "-")
    return value or None


def _struct_to_utc(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


# --- feedparser, the reference -----------------------------------------------------------


def parse_with_feedparser(document: FeedDocument, max_entries: int | None = None) -> ParsedFeed:
    """The reference reader: any RSS or Atom version, broken XML."""
    from feeds.aggregate.fastxml import raw_entry_ids

    # The encoding is decided: feedparser must not guess again (the body is UTF-8).
    headers = {"content-location": document.base, "content-type": "application/xml; charset=utf-8"}
    if document.content_language:
        headers["content-language"] = document.content_language
    body, trimmed = document.body, 0
    if max_entries is not None:  # feedparser reads only the entries that will be kept
        body, trimmed = trim_document(body, max_entries)
    parsed = feedparser.parse(
        body, sanitize_html=False, resolve_relative_uris=False, response_headers=headers
    )
    feed = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        reason = parsed.get("bozo_exception")
        why = f": {reason}" if reason else ""
        raise FeedParseError(f"{document.url}: not an RSS, Atom or JSON feed{why}")
    written = raw_entry_ids(body)
    if written is None or len(written) != len(entries):
        written = [None] * len(entries)
    # Trimmed already when the XML is well-formed; broken XML is chosen from here.
    chosen, left_out = newest(list(zip(entries, written, strict=True)), max_entries, _entry_date)
    left_out += trimmed
    return ParsedFeed(
        title=html_to_text(feed.get("title", "")),
        link=feed.get("link") or None,
        lang=clean_lang(feed.get("language")),
        entries=tuple(_feedparser_entry(e, w) for e, w in chosen),
        ttl_minutes=positive_int(feed.get("ttl")),
        update_period_seconds=update_period(
            feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")
        ),
        parser="feedparser",
        charset_note=document.charset_note,
        left_out=left_out,
    )


def _entry_date(pair: tuple[Any, str | None]) -> datetime | None:
    entry = pair[0]
    return _struct_to_utc(dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed"))


def _as_written(resolved: str, written: str | None) -> str:
    """The id as the document wrote it, where feedparser resolved it against the base
    (``post-1`` -> ``http://host/feeds/post-1``, ``HTTP://X/`` -> ``http://X/``)."""
    if not written or written == resolved:
        return resolved
    if resolved.lower().endswith(written.lower().lstrip("./")):
        return written
    return resolved  # not the same element after all (counts matched by chance)


def _detail_html(detail: Any) -> str:
    if not detail:
        return ""
    value = str(detail.get("value") or "")
    base = detail.get("base") or None
    if detail.get("type") == "text/plain":
        value = text_to_html(value)
    return sanitize_html(value, base)


def _feedparser_entry(entry: Any, written_id: str | None) -> ParsedEntry:
    contents = entry.get("content") or []
    content = _detail_html(contents[0]) if contents else ""
    summary = _detail_html(entry.get("summary_detail"))
    authors = tuple(
        name for a in entry.get("authors", []) if (name := html_to_text(a.get("name") or ""))
    )
    tags = tuple(t for tag in entry.get("tags", []) if (t := (tag.get("term") or "").strip()))
    detail = entry.get("title_detail") or entry.get("summary_detail") or {}
    return ParsedEntry(
        guid=_as_written((entry.get("id") or "").strip(), written_id) or None,
        link=(entry.get("link") or "").strip() or None,
        title=html_to_text(entry.get("title", "")),
        summary=summary,
        content=content,
        # dict.get: FeedParserDict falls back from "updated" to "published" on its own.
        published=_struct_to_utc(dict.get(entry, "published_parsed")),
        updated=_struct_to_utc(dict.get(entry, "updated_parsed")),
        authors=authors,
        tags=tags,
        lang=clean_lang(entry.get("language") or detail.get("language")),
    )


# --- JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) -----------------------------

_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(\.\d+)?/?$")


def parse_json_feed(
    text: str,
    url: str,
    *,
    content_language: str | None = None,
    charset_note: str | None = None,
    max_entries: int | None = None,
) -> ParsedFeed:
    """A JSON Feed: only a JSON object with a JSON Feed ``version`` is one."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise FeedParseError(f"{url}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not _JSON_FEED_VERSION.match(str(doc.get("version", ""))):
        raise FeedParseError(f"{url}: JSON, but not a JSON Feed (no JSON Feed 1.x 'version')")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"{url}: JSON Feed without an 'items' list")
    home = _string(doc.get("home_page_url"))
    base = urljoin(url, home) if home else url
    chosen, left_out = newest(
        [i for i in items if isinstance(i, dict)], max_entries, _json_item_date
    )
    entries = tuple(_json_entry(item, base) for item in chosen)
    return ParsedFeed(
        title=html_to_text(_string(doc.get("title")) or ""),
        link=home,
        lang=clean_lang(_string(doc.get("language")) or content_language),
        entries=entries,
        parser="json",
        charset_note=charset_note,
        left_out=left_out,
    )


def _json_item_date(item: dict[str, Any]) -> datetime | None:
    return lenient_date(_string(item.get("date_modified")) or _string(item.get("date_published")))


# A JSON "\ud800" escape decodes to a lone surrogate, which no UTF-8 encoder accepts.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _string(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = _SURROGATES.sub("", str(value)).strip()
        return text or None
    return None


def _json_date(value: Any) -> datetime | None:
    text = _string(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def _json_entry(item: dict[str, Any], base: str) -> ParsedEntry:
    link = _string(item.get("url"))
    with contextlib.suppress(ValueError):  # "http://[bad": prepare refuses this entry
        link = urljoin(base, link) if link else None
    entry_base = link or base
    content_html = _string(item.get("content_html"))
    content_text = _string(item.get("content_text"))
    content = (
        sanitize_html(content_html, entry_base)
        if content_html
        else text_to_html(content_text or "")
    )
    summary = text_to_html(_string(item.get("summary")) or "")
    people = item.get("authors")
    if not isinstance(people, list):
        people = [item["author"]] if isinstance(item.get("author"), dict) else []
    authors = tuple(
        name
        for p in people
        if isinstance(p, dict) and (name := html_to_text(_string(p.get("name")) or ""))
    )
    raw_tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    tags = tuple(t for tag in raw_tags or [] if (t := _string(tag)))
    return ParsedEntry(
        guid=_string(item.get("id")),
        link=link,
        title=html_to_text(_string(item.get("title")) or ""),
        summary=summary,
        content=content,
        published=_json_date(item.get("date_published")),
        updated=_json_date(item.get("date_modified")),
        authors=authors,
        tags=tags,
        lang=clean_lang(_string(item.get("language"))),  # JSON Feed 1.1 item language
    )
