"""RFC 5005 archived feeds: pages of a fixed number of stories, per language, month and format.

``/{lang}/archive/2026/06/atom.xml`` (and ``rss.xml``, ``feed.json``) holds the newest
``[site] archive_page_size`` stories of that month (UTC): every story of a month that fits
one page, as before pages existed. A larger month continues at ``/{lang}/archive/2026/06/2/
atom.xml``, ``.../3/...`` and so on, each page older than the one before; so an archive
document stays a bounded size however many stories a month holds. Only a complete month is
an archive: RFC 5005 §4 wants an archive's set of entries to stay the same, and the
current month still gains stories. The pages of a complete month are numbered from its
newest story, which is fixed once the month is over; a retraction leaves its story's place
on its page to the story's tombstone, so it moves no story to another page.

Each archive page is marked ``fh:archive`` and links to the neighbouring pages in time
(``prev-archive`` older, ``next-archive`` newer): within its month, then across to the
neighbouring complete months that have stories (the previous month's newest page, the
next month's oldest), and to the current feed (``current``). The current month's pages
answer too, as pages of the live feed: without ``fh:archive``, with the live feed's short
cache lifetime, linking only to older pages, and with no archive linking to them.

The current feed links with ``prev-archive`` to the newest page of the newest complete
month that has stories (that month's URL), never to the current month (its stories are the
live feed's), so a partner walking ``prev-archive`` from the current feed reaches every
story of every complete month, each in exactly one archive document. A story retracted
after it was public leaves its page's Atom archive as an RFC 6721 tombstone
(``feeds.publish.tombstone``).

JSON Feed has no archive vocabulary; its pages chain with ``next_url`` (older stories).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from feeds.feedkeys import FeedKey, Format, Kind
from feeds.publish.extension import Extension, RenderContext

__all__ = [
    "FH_NS",
    "ArchiveExtension",
    "Month",
    "Page",
    "archive_path",
    "current_feed_links",
    "current_month",
    "is_closed",
    "neighbours",
    "newest_complete",
    "next_month_start",
    "parse_month",
    "parse_page",
]

FH_NS = "http://purl.org/syndication/history/1.0"

Month = tuple[int, int]
# A page of a month's archive: (month, number), number 1 the month's newest stories.
Page = tuple[Month, int]


def archive_path(lang: str, month: Month, fmt: Format, page: int = 1) -> str:
    """Where a page of a month's archive is served: the month's own URL for its newest
    page (the only one of a month that fits a page), ``.../{page}/...`` for older ones."""
    year, number = month
    middle = f"{page}/" if page > 1 else ""
    return f"/{lang}/archive/{year:04d}/{number:02d}/{middle}{fmt.filename}"


def parse_page(number: str) -> int | None:
    """``"2"`` -> 2; None unless it names an older page canonically (no ``1``, which is
    the month's own URL, and no leading zero)."""
    if not number.isdigit() or not number.isascii() or number.startswith("0"):
        return None
    page = int(number)
    return page if 2 <= page <= 1_000_000 else None


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


def newest_complete(months: Sequence[Month], now: datetime) -> Month | None:
    """The newest of ``months`` that is over at ``now`` (UTC), if any."""
    done = [m for m in months if is_closed(m, now)]
    return max(done) if done else None


def current_feed_links(
    key: FeedKey, months: Sequence[Month], now: datetime
) -> tuple[tuple[str, str], ...]:
    """``prev-archive`` for a language's main feed: the newest complete month of
    ``months`` (the months that have an archive), never the current one, in ``key``'s
    format.

    Section, tag, author and aggregated feeds have no archives.
    """
    if key.kind is not Kind.ALL:
        return ()
    newest = newest_complete(months, now)
    if newest is None:
        return ()
    return (("prev-archive", archive_path(key.lang, newest, key.format)),)


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


def current_month(now: datetime) -> Month:
    utc = now.astimezone(UTC)
    return (utc.year, utc.month)


def is_closed(month: Month, now: datetime) -> bool:
    """Whether the month (UTC) is over at ``now``, so its archive only changes on a
    retraction or an edit."""
    return current_month(now) > month


def next_month_start(now: datetime) -> datetime:
    """When the current month (UTC) ends and becomes an archive."""
    year, month = current_month(now)
    return datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
