"""``render``: one feed description plus its articles in, the document's bytes out.

Pure: no clock, no database, no network. The same arguments always give the same bytes,
so the web layer may hash them for an ETag or cache them by store revision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC

from feeds.feedkeys import Format
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.items import Item, order_items
from feeds.publish.jsonfeed import render_json
from feeds.publish.xmlfeed import render_xml
from feeds.safehtml import safe_translation

__all__ = ["render"]


def render(
    description: FeedDescription,
    fmt: Format,
    articles: Sequence[Article],
    *,
    extensions: Sequence[Extension] = (),
) -> bytes:
    """The feed ``description`` in format ``fmt`` holding ``articles``, as UTF-8 bytes.

    ``articles`` should already be the visible ones, newest first, capped; they are
    re-sorted by (published desc, id) so ties cannot reorder the output, and articles
    without a version in the feed's language are left out. The feed-level date is the
    newest ``article.updated``, or ``description.updated_fallback`` for an empty feed.
    Serve with ``fmt.media_type`` (plus ``; charset=utf-8``).

    Every body is sanitised here, whatever the store holds (``feeds.safehtml``): no
    stored HTML reaches a feed with active content, rows written before a policy
    change included.
    """
    ctx = RenderContext(description, fmt)
    items = _safe(order_items(articles, ctx.lang, description.facet_names), description.embed_hosts)
    updated = max((item.updated for item in items), default=description.updated_fallback)
    updated = updated.astimezone(UTC)
    if fmt is Format.JSON:
        return render_json(ctx, items, updated, extensions)
    return render_xml(ctx, items, updated, extensions)


def _safe(items: Sequence[Item], embed_hosts: tuple[str, ...]) -> list[Item]:
    """``items`` with sanitised bodies. A changed translation replaces the original in
    its article too: the formats tell "this language" from the others by identity."""
    safe = []
    for item in items:
        original = item.translation
        cleaned = safe_translation(item.article, original, embed_hosts)
        if cleaned is not original:
            translations = tuple(cleaned if t is original else t for t in item.article.translations)
            article = dataclasses.replace(item.article, translations=translations)
            item = item._replace(article=article, translation=cleaned)
        safe.append(item)
    return safe
