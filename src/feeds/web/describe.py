"""The public feeds as ``feeds.publish.feed`` declares them, with the facts from the catalog.

What a feed is called and links to is declared in ``feeds.publish.feed``; this module
only gathers what needs the store (which sibling feeds exist, a facet's name, the months
that have an archive, the time); which stories a feed holds is its
``FeedKey.scope`` (``feeds.feedkeys``).
Blocking (reads facets): call it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.config import Settings
from feeds.feedkeys import FeedKey, Format, Kind
from feeds.model import Article
from feeds.publish.description import EPOCH, FeedDescription
from feeds.publish.feed import PublicFeed, public_feed
from feeds.publish.opml import OpmlFeed
from feeds.publish.phrases import format_name, language_name
from feeds.web.catalog import Catalog

__all__ = ["describe", "feed_of", "opml_groups"]


def _facet_name(catalog: Catalog, key: FeedKey) -> str | None:
    if key.kind in (Kind.ALL, Kind.AGGREGATED):
        return None
    facet = catalog.facet(key)
    return facet.label if facet else None


def feed_of(catalog: Catalog, key: FeedKey, articles: Sequence[Article] = ()) -> PublicFeed:
    """The feed of ``key`` as far as its name goes (title, label, home page)."""
    return public_feed(key, facet_name=_facet_name(catalog, key), articles=articles)


def describe(
    settings: Settings,
    catalog: Catalog,
    key: FeedKey,
    articles: Sequence[Article] = (),
) -> FeedDescription:
    """The description of the feed ``key`` names, with its neighbours."""
    site = settings.site
    lang = key.lang
    main = key.kind is Kind.ALL
    feed = public_feed(
        key,
        facet_name=_facet_name(catalog, key),
        articles=articles,
        siblings=tuple(
            other
            for other in site.languages
            if other != lang and catalog.exists(key.with_lang(other))
        ),
        websub_hubs=settings.websub_hubs,
        archive_months=catalog.archive_months(lang) if main else (),
        now=catalog.clock() if main else EPOCH,
    )
    return feed.describe(site, key.format)


def opml_groups(
    settings: Settings, catalog: Catalog, formats: Sequence[Format] = tuple(Format)
) -> list[tuple[str, list[OpmlFeed]]]:
    """Every feed in each of ``formats``, grouped by language.

    One outline per feed and format, its text saying which: "Caucasus Wire: Politics
    (Atom)". A reader importing the whole list subscribes to each feed once per format;
    ``/feeds.opml?format=rss`` lists one format only.
    """
    site = settings.site
    groups = []
    for lang in site.languages:
        feeds = []
        for key, _ in catalog.feeds(lang):
            feed = feed_of(catalog, key)
            title = feed.title(site)
            html_url = site.absolute(feed.link())
            for fmt in formats:
                text = f"{title} ({format_name(fmt)})"
                feeds.append(OpmlFeed(text, site.absolute(feed.feed_path(fmt)), html_url, lang))
        groups.append((f"{language_name(lang)} ({lang})", feeds))
    return groups
