"""RFC 5005 archived feeds: one document per language, month and format.

``/{lang}/archive/2026/06/atom.xml`` (and ``rss.xml``, ``feed.json``) holds every story of
that month (UTC). Each archive is marked ``fh:archive`` (RFC 5005 §4) and links to the
neighbouring months that have stories (``prev-archive`` older, ``next-archive`` newer)
and to the current feed (``current``). The current feed links with ``prev-archive`` to
the month of its newest story, so a partner walking ``prev-archive`` from the current
feed reaches every story ever published, each in exactly one archive document.

JSON Feed has no archive vocabulary; its pages chain with ``next_url`` (older stories).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from feeds.model import Article
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.selection import Format, Kind, Selection

__all__ = [
    "FH_NS",
    "ArchiveExtension",
    "Month",
    "archive_path",
    "current_feed_links",
    "is_closed",
    "neighbours",
    "parse_month",
]

FH_NS = "http://purl.org/syndication/history/1.0"

Month = tuple[int, int]


def archive_path(lang: str, month: Month, fmt: Format) -> str:
    year, number = month
    return f"/{lang}/archive/{year:04d}/{number:02d}/{fmt.filename}"


def parse_month(year: str, month: str) -> Month | None:
    """``("2026", "06")`` -> ``(2026, 6)``; None unless it is a real, canonical month."""
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        return None
    y, m = int(year), int(month)
    return (y, m) if 1 <= m <= 12 and y >= 1 else None


def neighbours(months: Sequence[Month], month: Month) -> tuple[Month | None, Month | None]:
    """The months with stories just before and just after ``month`` (sorted input)."""
    older = [m for m in months if m < month]
    newer = [m for m in months if m > month]
    return (older[-1] if older else None, newer[0] if newer else None)


def current_feed_links(
    selection: Selection, fmt: Format, articles: Sequence[Article]
) -> tuple[tuple[str, str], ...]:
    """``prev-archive`` for a language's main feed: the month of its newest story.

    Section, tag, author and aggregated feeds have no archives.
    """
    if selection.kind is not Kind.ALL or not articles:
        return ()
    newest = max(a.published for a in articles).astimezone(UTC)
    return (("prev-archive", archive_path(selection.lang, (newest.year, newest.month), fmt)),)


class ArchiveExtension(Extension):
    """``<fh:archive/>`` on an archive document; JSON pages get ``next_url`` instead."""

    name = "archive"

    def __init__(self, older_url: str | None = None) -> None:
        self.older_url = older_url

    def namespaces(self) -> Mapping[str, str]:
        return {"fh": FH_NS}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        etree.SubElement(element, f"{{{FH_NS}}}archive")

    def feed_json(self, feed: dict[str, Any], ctx: RenderContext) -> None:
        if self.older_url:
            feed["next_url"] = self.older_url
        feed.setdefault("_feeds", {})["archive"] = True


def is_closed(month: Month, now: datetime) -> bool:
    """Whether the month is over, so its archive only changes on a retraction or edit."""
    return (now.year, now.month) > month
