"""RSS feeds follow RSS 2.0 and the RSS Advisory Board's Best Practices Profile."""

from __future__ import annotations

import locale
import re
from collections.abc import Iterator
from datetime import UTC
from email.utils import format_datetime

import feedparser
import pytest
from lxml import etree

from feeds.model import Article
from feeds.publish import FeedKey, Format, Kind, entry_id, render
from tests.publish_fixtures import (
    BASE,
    HUB,
    PUBLISHED_BODY,
    SELECTIONS,
    aggregated,
    all_articles,
    budget,
    chosen,
    describe,
)

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
# RFC 822 as the profile wants it: English day and month, 4-digit year, numeric zone or GMT.
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT)$"
)


def rss(
    selection: FeedKey, *, full_text: bool = True, articles: list[Article] | None = None
) -> bytes:
    chosen_articles = chosen(selection) if articles is None else articles
    return render(describe(selection, Format.RSS, full_text=full_text), Format.RSS, chosen_articles)


def channel_of(data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    (channel,) = root.findall("channel")
    return channel


def item_for(channel: etree._Element, article_id: str, lang: str) -> etree._Element:
    guid = entry_id(article_id, lang)
    return next(i for i in channel.findall("item") if i.findtext("guid") == guid)


@pytest.mark.parametrize(
    "selection", SELECTIONS, ids=[s.in_format(Format.RSS).path for s in SELECTIONS]
)
@pytest.mark.parametrize("full_text", [True, False], ids=["full", "summaries"])
def test_every_rss_feed_follows_the_best_practices_profile(
    selection: FeedKey, full_text: bool
) -> None:
    channel = channel_of(rss(selection, full_text=full_text))
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    assert channel.findtext("language") == selection.lang
    self_links = channel.findall("atom:link[@rel='self']", NS)
    assert len(self_links) == 1
    assert self_links[0].get("href") == BASE + selection.in_format(Format.RSS).path
    assert self_links[0].get("type") == "application/rss+xml"
    image = channel.find("image")
    assert image is not None
    assert [image.findtext(k) for k in ("url", "title", "link")] == [
        f"{BASE}/static/logo.png",
        channel.findtext("title"),
        channel.findtext("link"),
    ]
    assert len(channel.findall("lastBuildDate")) == 1
    assert RFC822.match(channel.findtext("lastBuildDate") or "")
    items = channel.findall("item")
    assert len(items) == len(chosen(selection))
    for item in items:
        assert item.findtext("title") or item.findtext("description")
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false" and guid.text
        assert len(item.findall("pubDate")) == 1
        assert RFC822.match(item.findtext("pubDate") or ""), item.findtext("pubDate")
        assert len(item.findall("enclosure")) <= 1
        # Names without an email go in dc:creator; <author> must hold an email address.
        assert item.findall("author") == []
        assert len(item.findall("link")) == 1
        if not full_text:
            assert item.find("content:encoded", NS) is None


def test_channel_links_to_its_siblings_in_other_languages_and_formats() -> None:
    channel = channel_of(rss(FeedKey("ru")))
    links = {
        (link.get("rel"), link.get("type"), link.get("hreflang")): link.get("href")
        for link in channel.findall("atom:link", NS)
    }
    assert links[("alternate", "application/rss+xml", "en")] == f"{BASE}/en/rss.xml"
    assert links[("alternate", "application/rss+xml", "hy")] == f"{BASE}/hy/rss.xml"
    assert links[("alternate", "application/atom+xml", "ru")] == f"{BASE}/ru/atom.xml"
    assert links[("alternate", "application/feed+json", "ru")] == f"{BASE}/ru/feed.json"
    assert links[("hub", None, None)] == HUB
    assert links[("prev-archive", None, None)] == f"{BASE}/ru/archive/2026-10/rss.xml"
    assert channel.findtext("link") == f"{BASE}/ru/"
    assert channel.findtext("title") == "Кавказ Вайр"


def test_an_item_carries_bylines_categories_image_and_translations() -> None:
    channel = channel_of(rss(FeedKey("en")))
    item = item_for(channel, "2026-budget", "en")
    story = budget()
    # One dc:creator with the whole byline: readers keep only one (feeds.publish.byline).
    creators = [c.text for c in item.findall("dc:creator", NS)]
    assert creators == ["Anna Petrosyan and Davit Grigoryan"]
    assert [c.text for c in item.findall("category")] == ["Politics", "Budget", "Parliament"]
    (media,) = item.findall("media:content", NS)
    assert media.attrib == {
        "url": f"{BASE}/media/parliament.jpg",
        "type": "image/jpeg",
        "medium": "image",
        "width": "1600",
        "height": "900",
    }
    assert media.findtext("media:description", namespaces=NS) == story.image.caption  # type: ignore[union-attr]
    assert media.findtext("media:credit", namespaces=NS) == "Photo: Armen Sargsyan"
    translations = {
        link.get("hreflang"): link.get("href")
        for link in item.findall("atom:link", NS)
        if link.get("rel") == "alternate"
    }
    assert translations == {
        "hy": f"{BASE}/hy/news/2026-budget",
        "ru": f"{BASE}/ru/news/2026-budget",
    }
    assert item.findtext("link") == f"{BASE}/en/news/2026-budget"
    assert item.findtext("description") == story.translation("en").summary  # type: ignore[union-attr]


def test_dates_are_rfc_822_in_utc_whatever_the_offset_given() -> None:
    channel = channel_of(rss(FeedKey("ru")))
    item = item_for(channel, "local-elections", "ru")
    # Published 12:00 at +04:00.
    assert item.findtext("pubDate") == "Wed, 25 Nov 2026 08:00:00 +0000"
    assert channel.findtext("lastBuildDate") == "Fri, 27 Nov 2026 10:15:00 +0000"


@pytest.fixture
def russian_locale() -> Iterator[str]:
    saved = locale.setlocale(locale.LC_ALL)
    for name in ("ru_RU.UTF-8", "ru_RU.utf8", "hy_AM.UTF-8", "de_DE.UTF-8"):
        try:
            locale.setlocale(locale.LC_ALL, name)
        except locale.Error:
            continue
        try:
            yield name
        finally:
            locale.setlocale(locale.LC_ALL, saved)
        return
    pytest.skip("no non-English locale installed (try: localedef -i ru_RU -f UTF-8 ru_RU.UTF-8)")


def test_dates_stay_english_under_a_non_english_locale(russian_locale: str) -> None:
    data = rss(FeedKey("en"))
    channel = channel_of(data)
    for article in chosen(FeedKey("en")):
        item = item_for(channel, article.id, "en")
        assert item.findtext("pubDate") == format_datetime(article.published.astimezone(UTC))
    assert channel.findtext("lastBuildDate") == "Fri, 27 Nov 2026 10:15:00 +0000"
    assert locale.setlocale(locale.LC_ALL) == russian_locale  # and the process locale untouched


def test_rendering_never_switches_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    # The locale is shared by every thread of the server; feedgen's RFC 822 helper switches
    # it to C and back around strftime, so no date of ours may go through feedgen.
    calls: list[tuple[object, ...]] = []
    real = locale.setlocale

    def recording(*args: object) -> str:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(locale, "setlocale", recording)
    for fmt in Format:
        render(describe(FeedKey("en"), fmt), fmt, chosen(FeedKey("en")))
    assert calls == []


def test_full_text_is_escaped_so_cdata_terminators_cannot_break_the_document() -> None:
    data = rss(FeedKey("en"))
    channel = channel_of(data)
    item = item_for(channel, "yerevan-metro-fares", "en")
    assert item.findtext("content:encoded", namespaces=NS) == PUBLISHED_BODY
    assert item.findtext("title") == "Metro fares & <tickets> double ]]> overnight"
    assert (
        b"<![CDATA["
        not in data.split(b"<content:encoded>", 1)[1].split(b"</content:encoded>", 1)[0]
    )


def test_an_aggregated_item_keeps_its_link_and_names_its_source() -> None:
    channel = channel_of(rss(FeedKey("en", Kind.AGGREGATED)))
    (item,) = channel.findall("item")
    story = aggregated()
    assert item.findtext("link") == story.translation("en").url  # type: ignore[union-attr]
    (source,) = item.findall("source")
    assert source.get("url") == "https://weekly.example/feed/"
    assert source.text == "The Armenian Weekly"


def test_feedparser_reads_back_titles_links_dates_authors_language_and_translations() -> None:
    selection = FeedKey("hy")
    parsed = feedparser.parse(rss(selection))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Կովկաս Լուր"
    assert parsed.feed.language == "hy"
    assert parsed.feed.link == f"{BASE}/hy/"
    expected = sorted(chosen(selection), key=lambda a: (-a.published.timestamp(), a.id))
    assert [e.id for e in parsed.entries] == [entry_id(a.id, "hy") for a in expected]
    for entry, article in zip(parsed.entries, expected, strict=True):
        t = article.translation("hy")
        assert t is not None
        assert entry.title == t.title
        assert entry.link == t.url
        assert entry.published_parsed[:6] == article.published.utctimetuple()[:6]
        # atom:updated: RSS has no element of its own for an edit.
        assert entry.updated_parsed[:6] == article.updated.utctimetuple()[:6]
        assert entry.author == " և ".join(a.name for a in article.authors)
        assert [tag.term for tag in entry.tags] == [article.section, *article.tags]
        translations = {
            link.hreflang: link.href
            for link in entry.links
            if link.get("hreflang") not in (None, "hy")
        }
        assert translations == {o.lang: o.url for o in article.translations if o.lang != "hy"}
    siblings = {
        link.hreflang: link.href
        for link in parsed.feed.links
        if link.get("hreflang") in ("en", "ru")
    }
    assert siblings == {"en": f"{BASE}/en/rss.xml", "ru": f"{BASE}/ru/rss.xml"}


def test_articles_without_the_feeds_language_are_left_out() -> None:
    channel = channel_of(rss(FeedKey("ru"), articles=all_articles()))
    guids = {i.findtext("guid") for i in channel.findall("item")}
    assert guids == {entry_id("2026-budget", "ru"), entry_id("local-elections", "ru")}
