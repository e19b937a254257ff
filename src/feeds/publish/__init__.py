"""Pure rendering of feeds: RSS 2.0 and Atom 1.0 (feedgen), JSON Feed 1.1 and OPML.

No database, no HTTP server, no clock. The web layer builds a ``FeedDescription`` and
picks the articles; ``render`` turns them into bytes.
"""

from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.extension import Extension, RenderContext
from feeds.publish.items import entry_id
from feeds.publish.opml import render_opml
from feeds.publish.render import render
from feeds.publish.selection import Format, Kind, Selection, parse_feed_path

__all__ = [
    "EPOCH",
    "Extension",
    "FeedDescription",
    "Format",
    "Kind",
    "RenderContext",
    "Selection",
    "entry_id",
    "parse_feed_path",
    "render",
    "render_opml",
]
