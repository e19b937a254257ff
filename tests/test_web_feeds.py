"""The public feeds and pages over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import feedparser
import pytest
from lxml import etree, html

from feeds.store import Store
from feeds.web.pages import TOP_TAGS
from tests.conftest import SCHEMAS
from tests.web_support import TITLES, fetch, served, story

ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))


@pytest.fixture
def newsroom(store: Store) -> Iterator[str]:
    """Three stories (one only in Armenian), a draft, a retraction; served."""
    store.upsert_articles(
        [
            story("sevan", hours_ago=3),
            story(
                "budget",
                title="Parliament passes the budget",
                section="Politics",
                tags=("Budget", "Parliament"),
                authors=("Anna Petrosyan",),
                hours_ago=2,
                langs=("en", "ru"),
            ),
            story(
                "gyumri",
                langs=("hy",),
                title="Գյումրիի թանգարանը բացվեց",
                section="Culture",
                tags=("Գյումրի",),
                hours_ago=1,
            ),
            story("draft", status="draft", title="A draft nobody may see"),
            story("pulled", status="retracted", title="A retracted story"),
        ]
    )
    with served(store) as base:
        yield base


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/en/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/hy/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/ru/feed.json", "application/feed+json; charset=utf-8"),
    ],
)
def test_each_language_has_its_feed_in_each_format(
    newsroom: str, path: str, media_type: str
) -> None:
    answer = fetch(newsroom + path)
    assert answer.status == 200
    assert answer.header("Content-Type") == media_type
    assert answer.header("Cache-Control") == "public, max-age=123"
    lang = path.split("/")[1]
    parsed = feedparser.parse(answer.body)
    if path.endswith(".json"):
        titles = [item["title"] for item in json.loads(answer.body)["items"]]
        assert json.loads(answer.body)["language"] == lang
    else:
        titles = [entry.title for entry in parsed.entries]
        assert parsed.feed.language == lang
    assert f"{TITLES[lang]} (sevan)" in titles
    assert not any("draft" in t or "retracted" in t for t in titles)


def test_a_feed_lists_only_stories_in_its_language(newsroom: str) -> None:
    en = feedparser.parse(fetch(newsroom + "/en/rss.xml").body)
    hy = feedparser.parse(fetch(newsroom + "/hy/rss.xml").body)
    assert [e.title for e in en.entries] == [
        "Parliament passes the budget (budget)",
        f"{TITLES['en']} (sevan)",
    ]
    assert [e.title for e in hy.entries] == [
        "Գյումրիի թանգարանը բացվեց (gyumri)",
        f"{TITLES['hy']} (sevan)",
    ]


def test_section_tag_and_author_feeds_narrow_the_stories(newsroom: str) -> None:
    section = feedparser.parse(fetch(newsroom + "/en/section/politics/atom.xml").body)
    tag = feedparser.parse(fetch(newsroom + "/en/tag/sevan/rss.xml").body)
    author = fetch(newsroom + "/ru/author/anna-petrosyan/feed.json")
    armenian_tag = fetch(newsroom + "/hy/tag/" + quote("գյումրի") + "/rss.xml")
    assert [e.title for e in section.entries] == ["Parliament passes the budget (budget)"]
    assert section.feed.title == "Caucasus Wire: Politics"
    assert [e.title for e in tag.entries] == [f"{TITLES['en']} (sevan)"]
    assert [i["title"] for i in json.loads(author.body)["items"]] == [
        "Parliament passes the budget (budget)"
    ]
    assert armenian_tag.status == 200
    assert "Գյումրիի թանգարանը բացվեց" in armenian_tag.body.decode()


def test_the_aggregated_feed_exists_even_when_empty(newsroom: str) -> None:
    answer = fetch(newsroom + "/en/aggregated/rss.xml")
    assert answer.status == 200
    assert feedparser.parse(answer.body).entries == []


@pytest.mark.parametrize(
    "path",
    [
        "/xx/rss.xml",  # not a language
        "/de/rss.xml",  # a language this newsroom does not publish
        "/en/section/nope/rss.xml",  # no such section
        "/hy/section/politics/rss.xml",  # a section with no Armenian stories
        "/en/tag/Sevan/rss.xml",  # not the canonical slug
        "/en/rss.json",  # no such format
        "/en/weather/today/rss.xml",  # no such kind of feed
    ],
)
def test_an_unknown_feed_is_a_helpful_404(newsroom: str, path: str) -> None:
    answer = fetch(newsroom + path)
    assert answer.status == 404
    text = answer.body.decode()
    assert path in text
    assert "https://news.example/" in text and "feeds.opml" in text


def test_feeds_are_read_only(newsroom: str) -> None:
    answer = fetch(newsroom + "/en/rss.xml", method="POST")
    assert answer.status == 405
    assert answer.header("Allow") == "GET, HEAD"


def test_front_page_lists_every_feed_with_autodiscovery(newsroom: str) -> None:
    answer = fetch(newsroom + "/")
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/html; charset=utf-8"
    page = html.fromstring(answer.body)
    discovered = {
        (link.get("type"), link.get("hreflang"), link.get("href"))
        for link in page.xpath("//head/link[@rel='alternate']")
    }
    for lang in ("en", "hy", "ru"):
        assert ("application/rss+xml", lang, f"https://news.example/{lang}/rss.xml") in discovered
        assert ("application/atom+xml", lang, f"https://news.example/{lang}/atom.xml") in discovered
        assert ("application/feed+json", lang, f"https://news.example/{lang}/feed.json") in (
            discovered
        )
    hrefs = set(page.xpath("//a/@href"))
    assert "https://news.example/en/section/politics/rss.xml" in hrefs
    assert "https://news.example/hy/tag/" + quote("գյումրի") + "/feed.json" in hrefs
    assert "https://news.example/en/aggregated/rss.xml" in hrefs
    # Authors (and tags past the most used) are on each language's directory page.
    assert "https://news.example/en/author/anna-petrosyan/atom.xml" not in hrefs
    assert {"/en/feeds", "/hy/feeds", "/ru/feeds"} <= hrefs
    directory = html.fromstring(fetch(newsroom + "/en/feeds").body)
    listed = set(directory.xpath("//a/@href"))
    assert "https://news.example/en/author/anna-petrosyan/atom.xml" in listed
    assert "https://news.example/en/section/politics/rss.xml" in listed
    assert fetch(newsroom + "/xx/feeds").status == 404


def test_the_home_page_stays_small_as_tags_grow(store: Store) -> None:
    """The most used tags only, per language; every one is on the directory page."""
    for i in range(TOP_TAGS + 15):
        # Tag "t0" is on one story, "t1" on two, ...: the most used are the last ones.
        tags = tuple(f"t{j}" for j in range(i, TOP_TAGS + 15))
        store.upsert_article(story(f"s{i}", langs=("en",), tags=tags, hours_ago=i + 1))
    with served(store) as base:
        home = html.fromstring(fetch(base + "/").body)
        shown = {
            href.split("/tag/")[1].split("/")[0]
            for href in home.xpath("//section[@id='en']//a/@href")
            if "/tag/" in href
        }
        assert shown == {f"t{j}" for j in range(15, TOP_TAGS + 15)}
        directory = html.fromstring(fetch(base + "/en/feeds").body)
        listed = {h for h in directory.xpath("//a/@href") if "/tag/" in h and h.endswith("rss.xml")}
        assert len(listed) == TOP_TAGS + 15


def test_front_page_suggests_the_browser_language_without_choosing_feeds(newsroom: str) -> None:
    russian = fetch(newsroom + "/", {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    plain = fetch(newsroom + "/")
    suggestion = html.fromstring(russian.body).xpath("//*[@class='suggestion']//a/@href")
    assert suggestion == ["/ru/"]
    assert "Accept-Language" in (russian.header("Vary") or "")
    assert html.fromstring(plain.body).xpath("//*[@class='suggestion']") == []
    # The feeds themselves do not change with the header.
    feed_ru = fetch(newsroom + "/en/rss.xml", {"Accept-Language": "ru"})
    assert feedparser.parse(feed_ru.body).feed.language == "en"


def test_language_page_shows_latest_stories(newsroom: str) -> None:
    answer = fetch(newsroom + "/hy/")
    page = html.fromstring(answer.body)
    assert answer.status == 200
    assert page.get("lang") == "hy"
    assert page.xpath("//ol[@class='stories']//h3/a/text()") == [
        "Գյումրիի թանգարանը բացվեց (gyumri)",
        f"{TITLES['hy']} (sevan)",
    ]
    assert page.xpath("//head/link[@rel='alternate']/@hreflang") == ["hy", "hy", "hy"]
    assert fetch(newsroom + "/xx/").status == 404


def test_opml_lists_every_feed_grouped_by_language(newsroom: str) -> None:
    answer = fetch(newsroom + "/feeds.opml")
    assert answer.status == 200
    root = etree.fromstring(answer.body)
    groups = {g.get("text"): g.xpath("outline/@xmlUrl") for g in root.xpath("/opml/body/outline")}
    assert list(groups) == ["English (en)", "Հայերեն (hy)", "Русский (ru)"]
    assert "https://news.example/en/rss.xml" in groups["English (en)"]
    assert "https://news.example/ru/author/anna-petrosyan/rss.xml" in groups["Русский (ru)"]
    assert "https://news.example/en/section/culture/rss.xml" not in groups["English (en)"]
    atom = etree.fromstring(fetch(newsroom + "/feeds.opml?format=atom").body)
    assert all(url.endswith("/atom.xml") for url in atom.xpath("//outline/@xmlUrl"))
    assert fetch(newsroom + "/feeds.opml?format=pdf").status == 400


def test_every_listed_feed_is_served_and_reads_back(newsroom: str) -> None:
    """Every feed in the OPML, in every format, answers 200 and parses with its language."""
    for fmt in ("rss", "atom", "json"):
        opml = etree.fromstring(fetch(f"{newsroom}/feeds.opml?format={fmt}").body)
        for group in opml.xpath("/opml/body/outline"):
            for url in group.xpath("outline/@xmlUrl"):
                path = url.removeprefix("https://news.example")
                answer = fetch(newsroom + path)
                assert answer.status == 200, path
                lang = path.split("/")[1]
                if fmt == "json":
                    feed = json.loads(answer.body)
                    assert feed["language"] == lang, path
                    count = len(feed["items"])
                else:
                    parsed = feedparser.parse(answer.body)
                    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
                    assert parsed.feed.language == lang, path
                    count = len(parsed.entries)
                if fmt == "atom":
                    document = etree.fromstring(answer.body)
                    assert ATOM_SCHEMA.validate(document), (path, ATOM_SCHEMA.error_log)
                assert count > 0 or "/aggregated/" in path, path


def test_healthz_reports_the_database(newsroom: str, store: Store) -> None:
    answer = fetch(newsroom + "/healthz")
    body = json.loads(answer.body)
    assert answer.status == 200
    assert body["ok"] is True and body["database"] == "reachable"
    assert body["revision"] == store.revision().number
    assert body["backend"] == store.backend


def test_static_icon_and_logo_are_real_pngs(newsroom: str) -> None:
    for name in ("icon", "logo"):
        answer = fetch(f"{newsroom}/static/{name}.png")
        assert answer.status == 200
        assert answer.header("Content-Type") == "image/png"
        assert answer.body.startswith(b"\x89PNG\r\n\x1a\n")
