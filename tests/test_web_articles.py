"""Article pages and lead images: what a feed reader's user reaches by clicking an item.

The example newsroom (examples/articles, examples/feeds.toml) is imported into a real store
on SQLite and on PostgreSQL and served by uvicorn on 127.0.0.1. Its feeds link to
``http://127.0.0.1:8000/...`` (the example base URL); each link is followed on the test
server by keeping its path, and a link to any other host fails the test rather than being
skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree, html

from feeds.config import Settings, load_settings
from feeds.importing import expand_paths, read_file
from feeds.model import Article, Status, article_from_dict, is_visible
from feeds.store import Store
from tests.conftest import REPO
from tests.web_support import fetch, served

EXAMPLES = REPO / "examples"
IMAGES = REPO / "src" / "feeds" / "web" / "static" / "images"
SITE = "127.0.0.1:8000"  # examples/feeds.toml's base_url
NS = {"atom": "http://www.w3.org/2005/Atom", "media": "http://search.yahoo.com/mrss/"}
HTML = "text/html; charset=utf-8"

APRICOT = "2026-10-apricot-export-record"
DILIJAN = "2026-11-dilijan-reading-marathon"  # Armenian only
DRAFT = "2026-11-sevan-trout-hatchery"
EMBARGOED = "2026-11-street-music-festival-2027"
RETRACTED = "2026-10-byurakan-possible-comet"


def example_articles() -> list[Article]:
    found: list[Article] = []
    for path in expand_paths([EXAMPLES / "articles"]):
        parsed = read_file(path)
        assert parsed.error is None, (path, parsed.error)
        found.extend(parsed.articles)
    return found


# As the site at examples/feeds.toml's base_url serves them (the files name paths).
ARTICLES = {a.id: a.on_site(f"http://{SITE}") for a in example_articles()}


def example_settings() -> Settings:
    return load_settings(EXAMPLES / "feeds.toml", env={})


@pytest.fixture
def newsroom(store: Store) -> Iterator[str]:
    """The example newsroom, served; the server reads the store's revision on every request."""
    store.upsert_articles(list(ARTICLES.values()))
    with served(store, example_settings(), revision_interval=0) as base:
        yield base


def on(base: str, url: str) -> str:
    """``url`` (an example-site URL) on the test server."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == SITE, f"not a link to the site: {url}"
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


def page(base: str, path: str) -> html.HtmlElement:
    answer = fetch(base + path)
    assert answer.status == 200, (path, answer.status)
    assert answer.header("Content-Type") == HTML
    return html.fromstring(answer.body)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment (ITU T.81 §B.2.2)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    at = 2
    while at + 4 <= len(data):
        assert data[at] == 0xFF, f"broken JPEG marker at byte {at}"
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width, height
        at += 2 + length
    raise AssertionError("no start-of-frame segment")


# --- the links in the feeds -------------------------------------------------------------


def item_links(feed: bytes, fmt: str) -> tuple[set[str], set[str]]:
    """(story and translation links, image links) of every item of one feed.

    Author pages (Atom ``author/uri``, JSON Feed ``authors[].url``) are not item links to
    stories or images and are not collected.
    """
    if fmt == "json":
        stories: set[str] = set()
        images: set[str] = set()
        for item in json.loads(feed)["items"]:
            stories.add(item["url"])
            stories.update(t["url"] for t in item.get("_feeds", {}).get("translations", []))
            if "image" in item:
                images.add(item["image"])
            images.update(a["url"] for a in item.get("attachments", []))
        return stories, images
    root = etree.fromstring(feed)
    if fmt == "rss":
        stories = set(root.xpath("//item/link/text()"))
        stories |= set(root.xpath("//item/atom:link[@rel='alternate']/@href", namespaces=NS))
        images = set(root.xpath("//item/media:content/@url", namespaces=NS))
        images |= set(root.xpath("//item/enclosure/@url"))
    else:
        entry_links = "//atom:entry/atom:link"
        stories = set(
            root.xpath(f"{entry_links}[not(@rel) or @rel='alternate']/@href", namespaces=NS)
        )
        images = set(root.xpath(f"{entry_links}[@rel='enclosure']/@href", namespaces=NS))
        images |= set(root.xpath("//atom:entry/media:content/@url", namespaces=NS))
    return stories, images


def test_every_story_and_image_link_in_the_example_feeds_resolves(newsroom: str) -> None:
    now = datetime.now(UTC)
    visible = [a for a in ARTICLES.values() if is_visible(a, now)]
    stories: set[str] = set()
    images: set[str] = set()
    for lang in ("en", "hy", "ru"):
        for fmt, name in (("rss", "rss.xml"), ("atom", "atom.xml"), ("json", "feed.json")):
            answer = fetch(f"{newsroom}/{lang}/{name}")
            assert answer.status == 200
            found_stories, found_images = item_links(answer.body, fmt)
            stories |= found_stories
            images |= found_images
    # Every visible translation and every visible story's image is linked from some feed.
    assert stories == {t.url for a in visible for t in a.translations}
    assert images == {a.image.url for a in visible if a.image}
    assert len(stories) > 40 and len(images) > 10

    for url in sorted(stories):
        answer = fetch(on(newsroom, url))
        assert answer.status == 200, url
        assert answer.header("Content-Type") == HTML
        document = html.fromstring(answer.body)
        # The page is the one the link promised: its language and canonical address.
        assert document.xpath("//head/link[@rel='canonical']/@href") == [url]
        assert document.get("lang") == urlsplit(url).path.split("/")[1]
    for url in sorted(images):
        answer = fetch(on(newsroom, url))
        assert answer.status == 200, url
        assert answer.header("Content-Type") == "image/jpeg"
        assert answer.body[:2] == b"\xff\xd8"


def test_example_images_have_their_declared_size_and_stay_small() -> None:
    with_images = [a for a in ARTICLES.values() if a.image is not None]
    assert len(with_images) >= 15
    for article in with_images:
        assert article.image is not None
        name = urlsplit(article.image.url).path.removeprefix("/static/images/")
        data = (IMAGES / name).read_bytes()
        assert jpeg_size(data) == (article.image.width, article.image.height), name
        assert len(data) <= 60_000, (name, len(data))


# --- what the page shows ---------------------------------------------------------------


def test_the_page_shows_the_whole_story_in_its_language(newsroom: str) -> None:
    article = ARTICLES[APRICOT]
    en = article.translation("en")
    assert en is not None and article.image is not None
    doc = page(newsroom, f"/en/articles/{APRICOT}")

    assert doc.get("lang") == "en"
    assert doc.xpath("//h1/text()") == [en.title]
    assert doc.xpath("//head/meta[@name='description']/@content") == [en.summary]
    assert doc.xpath("//head/link[@rel='canonical']/@href") == [en.url]
    # Dates in the example site's time zone (Asia/Yerevan), as English readers write
    # them: published 11:00 at +04:00, 07:00 UTC.
    assert doc.xpath("//article//time/@datetime")[0] == "2026-10-09T07:00:00+00:00"
    assert doc.xpath("//article//time/text()")[0] == "Oct 9, 2026, 11:00\u202fAM"
    # The body as HTML, not as escaped text.
    assert doc.xpath("//div[@class='body']//strong/text()")[0] == "27,400 tonnes"
    assert len(doc.xpath("//div[@class='body']/ul/li")) == 4
    # The lead image with its size, caption and credit.
    (img,) = doc.xpath("//figure/img")
    assert img.get("src") == article.image.url
    assert (img.get("width"), img.get("height")) == ("1400", "933")
    caption = doc.xpath("string(//figure/figcaption)")
    assert article.image.caption in caption and str(article.image.credit) in caption
    # Byline, section and tags lead to their feeds.
    site = "http://127.0.0.1:8000"
    assert doc.xpath("//a[@rel='author']/@href") == [f"{site}/en/author/tigran-mkrtchyan/rss.xml"]
    assert f"{site}/en/section/economy/rss.xml" in doc.xpath("//p[@class='section']//a/@href")
    # The example names its tags per language ([site.tags]); URLs keep the slugs.
    assert doc.xpath("//a[@rel='tag']/text()") == ["Apricots", "Agriculture", "Exports"]


def test_the_page_points_to_its_translations_and_the_language_feeds(newsroom: str) -> None:
    article = ARTICLES[APRICOT]
    doc = page(newsroom, f"/hy/articles/{APRICOT}")
    hy = article.translation("hy")
    assert hy is not None
    assert doc.get("lang") == "hy"
    assert doc.xpath("//h1/text()") == [hy.title]
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in doc.xpath("//head/link[@rel='alternate'][not(@type)]")
    }
    assert alternates == {t.lang: t.url for t in article.translations}
    visible = doc.xpath("//nav[@class='translations']/a")
    assert {(a.get("hreflang"), a.get("href")) for a in visible} == {
        (t.lang, t.url) for t in article.translations if t.lang != "hy"
    }
    feeds = doc.xpath("//head/link[@rel='alternate'][@type]")
    assert {f.get("hreflang") for f in feeds} == {"hy"}
    assert "http://127.0.0.1:8000/hy/rss.xml" in {f.get("href") for f in feeds}
    # Every feed the page links to is served.
    linked = set(doc.xpath("//head/link[@type]/@href | //a[contains(@href, '.xml')]/@href"))
    linked |= set(doc.xpath("//a[contains(@href, 'feed.json')]/@href"))
    assert len(linked) >= 9
    for url in sorted(linked):
        assert fetch(on(newsroom, url)).status == 200, url


def test_head_conditional_get_and_compression(newsroom: str) -> None:
    path = f"{newsroom}/ru/articles/{APRICOT}"
    full = fetch(path)
    head = fetch(path, method="HEAD")
    assert full.status == head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Cache-Control", "Last-Modified"):
        assert head.header(name) == full.header(name), name
    assert full.header("Cache-Control") == "public, max-age=60"
    etag = full.header("ETag")
    assert etag is not None
    assert fetch(path, {"If-None-Match": etag}).status == 304
    gzipped = fetch(path, {"Accept-Encoding": "gzip"})
    assert gzipped.header("Content-Encoding") == "gzip"
    assert len(gzipped.body) < len(full.body)
    assert fetch(path, method="POST").status == 405


# --- what has no page --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("article_id", "why"),
    [
        (DRAFT, Status.DRAFT),
        (EMBARGOED, Status.SCHEDULED),
        (RETRACTED, Status.RETRACTED),
    ],
)
def test_hidden_stories_are_the_sites_usual_404(
    newsroom: str, article_id: str, why: Status
) -> None:
    article = ARTICLES[article_id]
    assert article.status is why and not is_visible(article, datetime.now(UTC))
    for translation in article.translations:
        path = urlsplit(translation.url).path
        answer = fetch(newsroom + path)
        assert answer.status == 404, path
        assert answer.header("Cache-Control") == "no-cache"
        text = answer.body.decode()
        assert path in text and "feeds.opml" in text
        assert translation.title not in text
        assert fetch(newsroom + path, method="HEAD").status == 404


@pytest.mark.parametrize(
    "path",
    ["/en/articles/no-such-story", "/xx/articles/" + APRICOT, "/english/articles/" + APRICOT],
)
def test_unknown_stories_and_languages_are_404(newsroom: str, path: str) -> None:
    answer = fetch(newsroom + path)
    assert answer.status == 404
    assert path in answer.body.decode()


def test_a_language_the_story_lacks_is_a_404_linking_to_the_ones_it_has(newsroom: str) -> None:
    hy = ARTICLES[DILIJAN].translation("hy")
    assert hy is not None and ARTICLES[DILIJAN].languages == ("hy",)
    for lang in ("en", "ru"):
        answer = fetch(f"{newsroom}/{lang}/articles/{DILIJAN}")
        assert answer.status == 404
        assert answer.header("Content-Type") == HTML
        doc = html.fromstring(answer.body)
        assert doc.xpath("//ul[@class='translations']//a/@href") == [hy.url]
        assert doc.xpath("//head/link[@rel='alternate']/@hreflang") == ["hy"]
        assert hy.title in doc.text_content()
    assert fetch(on(newsroom, hy.url)).status == 200


def test_a_story_leaves_its_page_when_retracted(newsroom: str, store: Store) -> None:
    path = f"{newsroom}/en/articles/{APRICOT}"
    assert fetch(path).status == 200  # cached now
    store.retract_article(APRICOT)
    assert fetch(path).status == 404


# --- stories from outside the newsroom ------------------------------------------------------


def document(article_id: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": article_id,
        "status": "published",
        "published": "2026-11-20T10:00:00Z",
        "translations": {
            "en": {
                "title": "Story",
                "url": f"http://127.0.0.1:8000/en/articles/{article_id}",
                "summary": "Summary.",
                "body_html": "<p>Body with <em>emphasis</em>.</p>",
            }
        },
    }
    doc.update(fields)
    return doc


def test_no_field_but_the_body_is_rendered_as_html(store: Store) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    doc = document(
        "escaped",
        section=f"Sec {evil}",
        tags=[f"tag {evil}"],
        authors=[{"name": f"Ann {evil}"}],
        image={
            "url": "http://127.0.0.1:8000/static/images/x.jpg",
            "width": 10,
            "height": 10,
            "mime_type": "image/jpeg",
            "caption": f"cap {evil}",
            "credit": f"cred {evil}",
        },
    )
    doc["translations"]["en"]["title"] = f"Title {evil}"
    doc["translations"]["en"]["summary"] = f'Sum "{evil}'
    store.upsert_article(article_from_dict(doc))
    with served(store, example_settings()) as base:
        answer = fetch(f"{base}/en/articles/escaped")
    assert answer.status == 200
    parsed = html.fromstring(answer.body)
    assert parsed.xpath("//script") == []
    assert parsed.xpath("//img[@onerror]") == []
    assert parsed.xpath("//h1/text()") == [f"Title {evil}"]
    assert parsed.xpath("//meta[@name='description']/@content") == [f'Sum "{evil}']
    assert evil in parsed.xpath("string(//figcaption)")
    assert parsed.xpath("//div[@class='body']//em/text()") == ["emphasis"]


def test_an_aggregated_story_credits_and_links_to_the_original(store: Store) -> None:
    original = "https://ararat-daily.example/news/42"
    doc = document(
        "src-1-42",
        source={
            "title": "Ararat Daily",
            "feed_url": "https://ararat-daily.example/rss.xml",
            "link": original,
            "lang": "en",
        },
    )
    doc["translations"]["en"]["url"] = original
    store.upsert_article(article_from_dict(doc))
    with served(store, example_settings()) as base:
        answer = fetch(f"{base}/en/articles/src-1-42")
    assert answer.status == 200
    parsed = html.fromstring(answer.body)
    (credit,) = parsed.xpath("//p[@class='original']")
    assert "Ararat Daily" in credit.text_content()
    assert credit.xpath(".//a/@href") == [original]
    assert parsed.xpath("//head/link[@rel='canonical']/@href") == [original]
    assert parsed.xpath("//meta[@name='robots']/@content") == ["noindex"]
    # The other outlet's full text is not republished here.
    assert parsed.xpath("//em") == []
    assert "aggregated/rss.xml" in " ".join(parsed.xpath("//head/link[@type]/@href"))
