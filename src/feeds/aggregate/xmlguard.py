"""Refuse XML that declares entities, before any parser sees it.

feedparser's fallback (sgmllib-based) parser expands internal entities without limit: a
160 KB "billion laughs" document grew to gigabytes. No news feed needs its own entities
(the five XML ones and numeric references need no declaration), so a document whose
DOCTYPE declares any is refused outright. The check is a byte scan: linear time, no
allocation beyond one decoded copy for UTF-16/32 documents.

External DTDs are never fetched either: lxml runs with ``no_network`` and
``resolve_entities=False``; feedparser's strict parser turns external entities off.
"""

from __future__ import annotations

import codecs

from feeds.errors import FeedsError

__all__ = ["UnsafeXMLError", "check_no_entity_declarations"]


class UnsafeXMLError(FeedsError, ValueError):
    """The document declares entities; it is refused instead of parsed."""


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Without a BOM, '<' followed by NUL bytes gives a UTF-16/32 document away (XML 1.0 App. F).
_WIDE_SIGNATURES = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def _ascii_view(body: bytes) -> bytes:
    for bom, codec in _WIDE_BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace").encode("utf-8", errors="replace")
    for signature, codec in _WIDE_SIGNATURES:
        if body.startswith(signature):
            return body.decode(codec, errors="replace").encode("utf-8", errors="replace")
    return body


def check_no_entity_declarations(body: bytes) -> None:
    """Raise UnsafeXMLError when ``body`` declares an XML entity (``<!ENTITY``)."""
    view = _ascii_view(body)
    if b"<!ENTITY" in view or b"<!entity" in view:
        raise UnsafeXMLError(
            "the document declares XML entities (a possible entity-expansion bomb); refused"
        )
