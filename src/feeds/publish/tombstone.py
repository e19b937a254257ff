"""RFC 6721 tombstones: an Atom feed tells partners which entries were taken down.

A retracted story leaves every feed at once; for a while after (``tombstone_days``), the
Atom feeds it was in carry ``<at:deleted-entry ref="<entry id>" when="...">`` so that a
partner who copied the story can remove it too (RFC 6721 §2). RSS and JSON Feed have no
such vocabulary: there, the story simply disappears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from feeds.feedkeys import Format
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.items import entry_id, rfc3339

__all__ = ["AT_NS", "Retraction", "TombstoneExtension"]

AT_NS = "http://purl.org/atompub/tombstones/1.0"


@dataclass(frozen=True)
class Retraction:
    """A story taken down at ``when``; ``url`` is where it was, in this feed's language."""

    article_id: str
    when: datetime
    url: str | None = None


class TombstoneExtension(Extension):
    name = "tombstones"

    def __init__(self, retractions: Sequence[Retraction], comment: str = "retracted") -> None:
        # Newest first, ties by id: the same data must render the same bytes.
        self.retractions = sorted(retractions, key=lambda r: (r.when, r.article_id), reverse=True)
        self.comment = comment

    def namespaces(self) -> Mapping[str, str]:
        return {"at": AT_NS}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        if ctx.fmt is not Format.ATOM:
            return
        for r in self.retractions:
            tomb = etree.SubElement(
                element,
                f"{{{AT_NS}}}deleted-entry",
                ref=entry_id(r.article_id, ctx.lang),
                when=rfc3339(r.when),
            )
            if r.url:
                etree.SubElement(tomb, ctx.atom("link"), rel="alternate", href=r.url)
            etree.SubElement(tomb, f"{{{AT_NS}}}comment").text = self.comment
