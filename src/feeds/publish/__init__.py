"""Pure rendering of feeds: RSS 2.0 and Atom 1.0 (feedgen), JSON Feed 1.1 and OPML.

No database, no HTTP server, no clock. A feed is declared in ``feeds.publish.feed``
(main, section/tag/author, aggregated, archive and partner feeds are variations of one
``Feed``), whose ``describe`` gives the ``FeedDescription``; the web layer picks the
articles, and ``render`` turns both into bytes. ``feeds.publish.phrases`` holds every
word feeds and pages add around the newsroom's text.
"""

from feeds.feedkeys import FeedKey, Format, Kind
from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.feed import Feed
from feeds.publish.items import entry_id
from feeds.publish.opml import render_opml
from feeds.publish.render import render

__all__ = [
    "EPOCH",
    "Extension",
    "Feed",
    "FeedDescription",
    "FeedKey",
    "Format",
    "Kind",
    "RenderContext",
    "entry_id",
    "render",
    "render_opml",
]
