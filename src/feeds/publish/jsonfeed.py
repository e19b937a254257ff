"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), built from plain dicts.

What JSON Feed has no field for travels in a ``_feeds`` extension object (§"Extensions":
custom keys start with an underscore), on the feed and on each item::

    "_feeds": {
        "translations": [{"language": "hy", "url": "https://.../hy/feed.json"}],
        "formats": [{"type": "application/rss+xml", "url": "https://.../en/rss.xml"}],
        "links": [{"rel": "prev-archive", "url": "..."}]
    }

and on an aggregated item ``"source": {"title", "feed_url", "url"}``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feeds.publish.byline import credited
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.items import Item, rfc3339

__all__ = ["VERSION", "render_json"]

VERSION = "https://jsonfeed.org/version/1.1"


def render_json(
    ctx: RenderContext,
    items: Sequence[Item],
    updated: datetime,
    extensions: Sequence[Extension],
) -> bytes:
    """The JSON Feed document for ``items`` (already ordered), as UTF-8 bytes.

    ``updated`` has no JSON Feed field; it is in ``_feeds.updated`` for symmetry with
    Atom's feed-level updated and RSS's lastBuildDate.
    """
    d = ctx.description
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": d.title,
        "home_page_url": d.home_url,
        "feed_url": d.self_url,
        "description": d.description,
        "icon": d.logo,
        "favicon": d.icon,
        "authors": [{"name": d.publisher, "url": d.home_url}],
        "language": ctx.lang,
    }
    if d.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in d.hubs]
    own: dict[str, Any] = {"updated": rfc3339(updated)}
    if d.language_alternates:
        own["translations"] = [
            {"language": lang, "url": url} for lang, url in d.language_alternates
        ]
    if d.format_alternates:
        own["formats"] = [{"type": fmt.media_type, "url": url} for fmt, url in d.format_alternates]
    if d.extra_links:
        own["links"] = [{"rel": rel, "url": url} for rel, url in d.extra_links]
        # JSON Feed pagination: the older stories (RFC 5005 archives, feeds.publish.archive).
        older = [url for rel, url in d.extra_links if rel == "prev-archive"]
        if older:
            feed["next_url"] = older[0]
    if d.copyright:
        own["copyright"] = d.copyright
    feed["_feeds"] = own
    for ext in extensions:
        ext.feed_json(feed, ctx)
    # Each item is encoded as soon as it is built: holding every item's dicts until one
    # json.dumps at the end made the garbage collector walk all of them again and again
    # (per-item time at 5,000 items was 1.6-2.1x the 50-item figure; bench/render.py).
    # Each item is written as UTF-8 as soon as it is encoded, into one buffer that
    # becomes the document without a copy: joining the items' text, formatting it and
    # encoding the whole wrote a 5,000-item document (15 MB) into fresh memory four
    # times, and at that size the page faults cost more per item than the items.
    out = io.BytesIO()
    out.write(_encode(feed)[:-1])
    out.write(b',"items":[')
    separator = b""
    for item in items:
        out.write(separator)
        out.write(_encode(_item(ctx, item, extensions)))
        separator = b","
    out.write(b"]}")
    return out.getvalue()


# One encoder for every document: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _encode(value: dict[str, Any]) -> bytes:
    return _ENCODER.encode(value).encode()


def _item(ctx: RenderContext, item: Item, extensions: Sequence[Extension]) -> dict[str, Any]:
    article = item.article
    t = item.translation
    out: dict[str, Any] = {"id": item.guid, "url": t.url, "title": t.title}
    if ctx.description.full_text and t.body_html:
        out["content_html"] = t.body_html
    else:
        # The spec requires content_html or content_text on every item.
        out["content_text"] = t.summary or t.title
    if t.summary:
        out["summary"] = t.summary
    if article.image is not None:
        out["image"] = article.image.url
    out["date_published"] = rfc3339(article.published)
    out["date_modified"] = rfc3339(article.updated)
    authors = credited(article)  # an outlet stands in for a missing byline
    if authors:
        out["authors"] = [
            {"name": a.name, "url": a.url} if a.url else {"name": a.name} for a in authors
        ]
    if item.categories:
        out["tags"] = list(item.categories)
    out["language"] = t.lang
    own: dict[str, Any] = {}
    others = [{"language": o.lang, "url": o.url} for o in article.translations if o is not t]
    if others:
        own["translations"] = others
    if article.source is not None:
        source = article.source
        own["source"] = {"title": source.title, "feed_url": source.feed_url, "url": source.link}
    if own:
        out["_feeds"] = own
    for ext in extensions:
        ext.entry_json(out, article, ctx)
    return out
