"""How many entries of one document are read: the newest ``max_entries``, the rest refused.

A 10,000-entry feed costs a parse worker seconds of sanitising, language detection and
article building, and its answer is megabytes that cross back to the parent: on a busy
machine such a feed ran into ``parse_timeout`` and stored nothing (issue 8). So a document
is read only up to ``[aggregator] max_entries`` entries, chosen *before* any per-entry work:
the newest by their own date, undated ones after the dated, in document order; the kept
ones stay in document order. The others are refused with one reason on the source, as any
refused entry is; a feed that keeps its archive in the document shows ``degraded``.

The date used for choosing is read leniently from the entry's element (``pubDate``,
``dc:date``, Atom ``updated``/``published``, Atom 0.3 ``modified``/``issued``): a date that
does not parse only makes that entry undated for the choice; the reader that maps the
entry decides what its date really is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from lxml import etree

__all__ = ["element_date", "lenient_date", "newest", "refusal_reason", "trim_document"]

T = TypeVar("T")

# Element names (local, any namespace) that carry an entry's date, most telling first.
_DATE_NAMES = ("updated", "modified", "pubDate", "date", "published", "issued", "created")
_ENTRY_TAGS = (
    "item",
    "{http://purl.org/rss/1.0/}item",
    "{http://www.w3.org/2005/Atom}entry",
    "{http://purl.org/atom/ns#}entry",
)


def newest(
    items: Sequence[T], limit: int | None, date_of: Callable[[T], datetime | None]
) -> tuple[list[T], int]:
    """The ``limit`` newest of ``items`` in document order, and how many were left out."""
    if limit is None or len(items) <= limit:
        return list(items), 0
    dates = [date_of(item) for item in items]
    # Dated entries newest first, then undated ones; document order breaks ties.
    order = sorted(
        range(len(items)),
        key=lambda i: (dates[i] is None, -(dates[i] or _EPOCH).timestamp(), i),
    )
    kept = sorted(order[:limit])
    return [items[i] for i in kept], len(items) - limit


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def lenient_date(text: str | None) -> datetime | None:
    """An RFC 822 or ISO 8601 date as UTC, None when it is neither (or has no zone)."""
    if not text:
        return None
    text = text.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def element_date(entry: etree._Element) -> datetime | None:
    """The date of an RSS item or Atom entry element, for choosing the newest."""
    found: dict[str, str] = {}
    for child in entry:
        tag = child.tag
        if isinstance(tag, str):
            found.setdefault(etree.QName(tag).localname, child.text or "")
    for name in _DATE_NAMES:
        if name in found and (date := lenient_date(found[name])) is not None:
            return date
    return None


def trim_document(body: bytes, limit: int) -> tuple[bytes, int]:
    """``body`` with only its ``limit`` newest entry elements, when it is well-formed XML
    with more, and how many it took out; else ``body`` itself and 0. Lets the slow
    reference reader skip what would not be read anyway."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return body, 0
    entries = list(root.iter(*_ENTRY_TAGS))
    kept, left_out = newest(entries, limit, element_date)
    if not left_out:
        return body, 0
    keep = {id(e) for e in kept}
    for entry in entries:
        parent = entry.getparent()
        if id(entry) not in keep and parent is not None:
            parent.remove(entry)
    # The tree, not the root: a doctype stays (the reference reader looks at it).
    tree = root.getroottree()
    return bytes(etree.tostring(tree, encoding="utf-8", xml_declaration=True)), left_out


def refusal_reason(left_out: int, limit: int) -> str:
    """The one reason recorded for the entries beyond ``limit``."""
    return (
        f"{left_out} entries not read: the document has {left_out + limit}, and only the "
        f"{limit} newest are ([aggregator] max_entries)"
    )
