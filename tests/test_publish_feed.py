"""The declared feeds (feeds.publish.feed): what each kind of feed says about itself.

Every variation is described through the one builder, ``Feed.describe``, from the
example newsroom's site settings; the assertions are on the values a reader's feed shows
(titles, links, self URLs), not on how the classes are put together.
"""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from feeds import i18n
from feeds.config import SiteSettings
from feeds.publish import FeedKey, Format, Kind, entry_id, render
from feeds.publish.feed import (
    AggregatedFeed,
    ArchiveFeed,
    FacetFeed,
    MainFeed,
    PartnerEdition,
    public_feed,
)
from tests.publish_fixtures import BASE, budget

SITE = SiteSettings(
    base_url=BASE,
    languages=("en", "hy", "ru"),
    titles={"en": "Caucasus Wire", "hy": "Կովկաս Լուր", "ru": "Кавказ Вайр"},
    descriptions={"en": "News from the South Caucasus.", "ru": "Новости Южного Кавказа."},
    publisher="Caucasus Wire",
    copyright="© 2026 Caucasus Wire",
)
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
EN = FeedKey("en")


def test_the_main_feed_links_its_languages_formats_hubs_and_newest_complete_month() -> None:
    feed = MainFeed(
        key=EN,
        siblings=("ru",),
        websub_hubs=("https://hub.example/",),
        archive_months=((2026, 10), (2026, 11), (2026, 12)),
        now=NOW,
    )
    d = feed.describe(SITE, Format.ATOM)
    assert (d.title, d.description) == ("Caucasus Wire", "News from the South Caucasus.")
    assert d.self_url == f"{BASE}/en/atom.xml"
    assert d.home_url == f"{BASE}/en/"
    assert d.language_alternates == (("ru", f"{BASE}/ru/atom.xml"),)
    assert d.format_alternates == (
        (Format.RSS, f"{BASE}/en/rss.xml"),
        (Format.JSON, f"{BASE}/en/feed.json"),
    )
    assert d.hubs == ("https://hub.example/",)
    # The current month (December) still gains stories: never an archive.
    assert d.extra_links == (("prev-archive", f"{BASE}/en/archive/2026/11/atom.xml"),)
    assert d.icon == f"{BASE}/static/icon.png" and d.copyright == "© 2026 Caucasus Wire"


def test_a_section_feed_is_named_as_the_newsroom_typed_the_section() -> None:
    politics = FeedKey("en", Kind.SECTION, "politics")
    feed = public_feed(politics, facet_name="politics", articles=[budget()])
    d = feed.describe(SITE, Format.RSS)
    assert d.title == "Caucasus Wire: Politics"
    assert d.description == "News from the South Caucasus. (Politics)"
    assert d.self_url == f"{BASE}/en/section/politics/rss.xml"
    assert d.home_url == f"{BASE}/en/"  # no section pages: the front page


def test_a_tag_or_author_feed_without_a_name_is_called_by_its_slug() -> None:
    tag = FeedKey("en", Kind.TAG, "budget")
    assert isinstance(public_feed(tag), FacetFeed)
    assert public_feed(tag).title(SITE) == "Caucasus Wire: budget"
    author = FeedKey("en", Kind.AUTHOR, "anna-petrosyan")
    assert public_feed(author, facet_name="Anna Petrosyan").title(SITE) == (
        "Caucasus Wire: Anna Petrosyan"
    )


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "Caucasus Wire: From other sources"),
        ("hy", "Կովկաս Լուր: Այլ աղբյուրներից"),
        ("ru", "Кавказ Вайр: Из других источников"),
    ],
)
def test_the_aggregated_feed_says_so_in_its_language_and_mirrors_the_news_page(
    lang: str, title: str
) -> None:
    feed = public_feed(FeedKey(lang, Kind.AGGREGATED))
    assert isinstance(feed, AggregatedFeed)
    d = feed.describe(SITE, Format.JSON)
    assert d.title == title
    assert d.home_url == f"{BASE}/{lang}/news"
    assert d.self_url == f"{BASE}/{lang}/aggregated/feed.json"


def test_an_archive_month_links_to_the_live_feed_and_its_neighbours() -> None:
    feed = ArchiveFeed(key=EN, month=(2026, 10), older=(2026, 6), newer=(2026, 11))
    d = feed.describe(SITE, Format.ATOM)
    assert d.title == "Caucasus Wire (2026-10)"
    assert d.self_url == f"{BASE}/en/archive/2026/10/atom.xml"
    assert d.extra_links == (
        ("current", f"{BASE}/en/atom.xml"),
        ("prev-archive", f"{BASE}/en/archive/2026/06/atom.xml"),
        ("next-archive", f"{BASE}/en/archive/2026/11/atom.xml"),
    )
    assert d.language_alternates == () and d.format_alternates == () and d.hubs == ()
    # An empty month dates itself by the month, never by the clock.
    assert d.updated_fallback == datetime(2026, 10, 1, tzinfo=UTC)


def test_only_a_complete_month_is_marked_as_an_archive() -> None:
    closed = ArchiveFeed(key=EN, month=(2026, 11), older=(2026, 10))
    current = ArchiveFeed(key=EN, month=(2026, 12), older=(2026, 11), closed=False)
    for fmt in (Format.RSS, Format.ATOM):
        marked = render(
            closed.describe(SITE, fmt), fmt, [], extensions=closed.extensions(SITE, fmt)
        )
        live = render(
            current.describe(SITE, fmt), fmt, [], extensions=current.extensions(SITE, fmt)
        )
        assert b"<fh:archive/>" in marked and b"fh:archive" not in live
    assert current.extensions(SITE, Format.JSON) == []


def test_a_partner_edition_is_served_at_the_partner_url_without_public_neighbours() -> None:
    politics = FeedKey("hy", Kind.SECTION, "politics")
    d = PartnerEdition(key=politics, partner="portal").describe(SITE, Format.RSS)
    assert d.self_url == f"{BASE}/partners/portal/hy/section/politics/rss"
    assert d.title == "Կովկաս Լուր"  # the site's title alone, section or not
    assert d.language_alternates == () and d.hubs == () and d.extra_links == ()
    parsed = feedparser.parse(render(d, Format.RSS, [budget()]))
    assert parsed.feed.title == "Կովկաս Լուր"
    assert [e.id for e in parsed.entries] == [entry_id("2026-budget", "hy")]


def test_words_fall_back_to_english_except_where_english_would_be_wrong() -> None:
    assert i18n.words("ru-RU").gettext("News feed") == "Лента новостей"
    assert i18n.words("ka").gettext("News feed") == "News feed"  # no Georgian catalog here
    assert i18n.words("ka").translated("and") is None  # a byline then joins with commas only
    assert i18n.language_name("hy") == "Հայերեն" and i18n.language_name("ru") == "Русский"
    assert i18n.language_name("ka") == "ქართული"  # Babel's locale data, no catalog needed
    assert i18n.language_name("x-none") == "x-none"
