"""Duplicates marked in feeds: an item that another outlet reported first links to that
first report, so a reader of the aggregated feed sees one story once, wherever it came
from, and every outlet's item is still there.

- RSS and Atom: ``<atom:link rel="related" href="FIRST" title="OUTLET"/>`` in the item
  (RFC 4287 §4.2.7.2: "related" names a resource related to the entry).
- JSON Feed: ``"first_report": FIRST, "first_reported_by": OUTLET`` in the item's
  ``"_feeds"`` object.

Which items are duplicates is the store's answer (``Store.first_reports``); this module
only writes it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from feeds.model import Article
from feeds.publish.extension import Extension, RenderContext

__all__ = ["FirstReport", "FirstReportExtension"]


@dataclass(frozen=True)
class FirstReport:
    """Where the story was first reported, and by whom."""

    url: str
    outlet: str


class FirstReportExtension(Extension):
    name = "first-report"

    def __init__(self, first: Mapping[str, FirstReport]) -> None:
        self.first = dict(first)

    def entry_xml(self, element: etree._Element, article: Article, ctx: RenderContext) -> None:
        report = self.first.get(article.id)
        if report is None:
            return
        etree.SubElement(
            element, ctx.atom("link"), rel="related", href=report.url, title=report.outlet
        )

    def entry_json(self, item: dict[str, Any], article: Article, ctx: RenderContext) -> None:
        report = self.first.get(article.id)
        if report is not None:
            # Beside the source attribution the core writes under the same key.
            marks = item.setdefault("_feeds", {})
            marks.update(first_report=report.url, first_reported_by=report.outlet)
