"""What a fetched body is, decided once, before any parser sees it.

- Its **kind** comes from the body, whatever ``Content-Type`` claims: servers send RSS as
  ``application/json`` or ``text/html`` and HTML error pages as ``application/rss+xml``
  (issue 8). JSON starts with ``{`` or ``[`` (RFC 8259); XML is told by its root element
  after the prolog (``rss``, ``feed``, ``RDF``: a feed; ``html`` or an HTML doctype: a web
  page, which is an error of its own, "this is an HTML page, not a feed").
- Its **text** is UTF-8 in the encoding decided by ``feeds.aggregate.charset``, and the
  HTTP headers a feed reader honours travel with it: ``Content-Location`` is the base for
  relative links and ``Content-Language`` the feed's language when the document declares
  none (both as feedparser uses them, so that both XML readers agree).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import urljoin

from feeds.aggregate.charset import Decoded, byte_order, decode_xml, verify_xml

__all__ = [
    "BodyKind",
    "FeedDocument",
    "declared_charset",
    "is_html_page",
    "read_xml_document",
    "sniff",
]


class BodyKind(enum.StrEnum):
    JSON = "json"
    XML = "xml"  # a feed root, or an XML root we do not know: the XML readers decide
    HTML = "html"
    UNKNOWN = "unknown"  # neither markup nor JSON; the XML readers say why not


_HEAD_BYTES = 8192
_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([^\s>\[]+)", re.IGNORECASE)
# Elements only a web page starts with (a feed's root is rss, feed or rdf:RDF).
_HTML_ROOTS = frozenset(
    {"html", "head", "body", "meta", "div", "p", "table", "script", "style", "iframe", "form"}
    | {"span", "a", "br", "center", "font", "h1", "h2", "h3", "noscript", "link", "frameset"}
)


def _head_text(body: bytes) -> str:
    order = byte_order(body)
    if order is None:
        return body[:_HEAD_BYTES].decode("latin-1")  # an ASCII-compatible view is enough
    codec, skip = order
    return body[skip : skip + _HEAD_BYTES].decode(codec, errors="ignore")


def _after(text: str, token: str) -> int:
    at = text.find(token)
    return -1 if at < 0 else at + len(token)


def _doctype_end(text: str) -> int:
    close, subset = text.find(">"), text.find("[")
    if 0 <= subset < close:  # an internal subset may hold '>' of its own
        subset_end = text.find("]", subset)
        close = text.find(">", subset_end) if subset_end >= 0 else -1
    return -1 if close < 0 else close + 1


def _root_start(text: str) -> str | None:
    """The text from the root element's ``<`` on, past declarations, comments and the
    doctype ("<html" for an HTML doctype); None when the prolog runs past the head."""
    while True:
        text = text.lstrip("\ufeff \t\r\n")
        if text.startswith("<?"):
            end = _after(text, "?>")
        elif text.startswith("<!--"):
            end = _after(text, "-->")
        elif text[:9].upper() == "<!DOCTYPE":
            name = _DOCTYPE_NAME.match(text)
            if name and name.group(1).lower() == "html":
                return "<html"
            end = _doctype_end(text)
        else:
            return text
        if end < 0:
            return None
        text = text[end:]


def sniff(body: bytes) -> BodyKind:
    """The kind of ``body``, from its first bytes."""
    head = _head_text(body).lstrip("\ufeff \t\r\n")
    if head[:1] in ("{", "["):
        return BodyKind.JSON
    if not head.startswith("<"):
        return BodyKind.UNKNOWN
    rest = _root_start(head)
    if rest is None:
        return BodyKind.XML
    root = _ROOT.match(rest)
    if root is None:
        return BodyKind.XML
    return BodyKind.HTML if root.group(2).lower() in _HTML_ROOTS else BodyKind.XML


def is_html_page(body: bytes) -> bool:
    """True when ``body`` is a web page rather than a feed (e.g. to start feed discovery)."""
    return sniff(body) is BodyKind.HTML


def declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() or None if isinstance(charset, str) else None


@dataclass(frozen=True)
class FeedDocument:
    """An XML feed document, ready for either reader."""

    url: str  # where it was fetched from
    body: bytes  # UTF-8; its XML declaration, if any, says so
    base: str  # the base for relative links: Content-Location, else ``url``
    content_language: str | None = None  # the HTTP header: the language if none declared
    charset_note: str | None = None  # why the declared charset was overridden
    # Set by read_xml_document(verify=False): see feeds.aggregate.charset.Decoded.
    verified: bool = True
    original: bytes = b""
    http_charset: str | None = None

    def verified_copy(self) -> FeedDocument:
        """This document with its whole body checked (and re-decided if it is not UTF-8)."""
        if self.verified:
            return self
        decoded = verify_xml(
            Decoded(None, self.body, "utf-8", self.charset_note, verified=False),
            self.original,
            self.http_charset,
        )
        return replace(
            self, body=decoded.body, charset_note=decoded.note, verified=True, original=b""
        )


def read_xml_document(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    content_language: str | None = None,
    content_location: str | None = None,
    verify: bool = True,
) -> FeedDocument:
    """Decide the encoding of an XML ``body`` and gather what the readers need with it."""
    charset = declared_charset(content_type)
    decoded = decode_xml(body, charset, verify=verify)
    base = url
    if content_location and content_location.strip():
        try:
            base = urljoin(url, content_location.strip())
        except ValueError:
            base = url
    language = content_language.strip() if content_language else None
    return FeedDocument(
        url=url,
        body=decoded.body,
        base=base,
        content_language=language or None,
        charset_note=decoded.note,
        verified=decoded.verified,
        original=b"" if decoded.verified else body,
        http_charset=charset,
    )
