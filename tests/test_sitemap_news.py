"""News sitemaps: the urlset validates against sitemaps.org's schema (lax for news:), and
the news: elements follow Google's documented News sitemap rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import Settings, SiteSettings
from feeds.model import Status
from feeds.store import Store
from feeds.web.app import build_app
from tests.conftest import SCHEMAS
from tests.live import live_server
from tests.stories import story

S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
N = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITE = SiteSettings(
    base_url="https://news.example", languages=("en", "hy", "ru"), publisher="Caucasus Wire"
)
# Google: an ISO 639 language code (2 or 3 letters), except zh-cn and zh-tw.
GOOGLE_LANGUAGE = re.compile(r"^(?:[a-z]{2,3}|zh-cn|zh-tw)$")


def lax_sitemap_schema() -> etree.XMLSchema:
    """sitemap.xsd with foreign elements checked laxly: there is no official news: schema."""
    text = (
        (SCHEMAS / "sitemap.xsd")
        .read_bytes()
        .replace(b'processContents="strict"', b'processContents="lax"')
    )
    return etree.XMLSchema(etree.fromstring(text))


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    now = datetime.now(UTC)
    store.upsert_articles(
        [
            story("today", hours_ago=1, title="Parliament passes the budget"),
            story("yesterday", hours_ago=30, langs=("en", "hy")),
            story("old", hours_ago=49),
            story("draft", hours_ago=2, status=Status.DRAFT),
            story("later", status=Status.SCHEDULED, when=now + timedelta(hours=3)),
            story("gone", hours_ago=3),
        ]
    )
    store.retract_article("gone")
    app = build_app(Settings(site=SITE), store)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def test_news_sitemap_lists_the_last_two_days_by_googles_rules(client: httpx.Client) -> None:
    got = client.get("/en/sitemap-news.xml")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/xml; charset=utf-8"
    root = etree.fromstring(got.content)
    lax_sitemap_schema().assertValid(root)
    urls = root.findall(f"{S}url")
    assert [u.findtext(f"{S}loc") for u in urls] == [
        "https://news.example/en/today",
        "https://news.example/en/yesterday",
    ]
    assert 0 < len(urls) <= 1000
    now = datetime.now(UTC)
    for url in urls:
        (news,) = url.findall(f"{N}news")
        assert news.findtext(f"{N}publication/{N}name") == "Caucasus Wire"
        language = news.findtext(f"{N}publication/{N}language") or ""
        assert GOOGLE_LANGUAGE.match(language) and language == "en"
        published = datetime.fromisoformat(news.findtext(f"{N}publication_date") or "")
        assert published.tzinfo is not None and now - timedelta(days=2) <= published <= now
        assert (news.findtext(f"{N}title") or "").strip()
    assert urls[0].findtext(f"{N}news/{N}title") == "Parliament passes the budget"


def test_each_language_has_its_own_news_sitemap(client: httpx.Client) -> None:
    hy = etree.fromstring(client.get("/hy/sitemap-news.xml").content)
    assert [n.text for n in hy.iter(f"{N}language")] == ["hy", "hy"]
    ru = etree.fromstring(client.get("/ru/sitemap-news.xml").content)
    assert [u.findtext(f"{S}loc") for u in ru.iter(f"{S}url")] == ["https://news.example/ru/today"]
    assert client.get("/fr/sitemap-news.xml").status_code == 404


def test_sitemap_index_lists_every_language(client: httpx.Client) -> None:
    got = client.get("/sitemap.xml")
    assert got.status_code == 200
    root = etree.fromstring(got.content)
    assert root.tag == f"{S}sitemapindex"
    locs = [s.findtext(f"{S}loc") for s in root.findall(f"{S}sitemap")]
    assert locs == [f"https://news.example/{lang}/sitemap-news.xml" for lang in ("en", "hy", "ru")]
    for entry in root.findall(f"{S}sitemap"):
        lastmod = entry.findtext(f"{S}lastmod")
        assert lastmod is not None and datetime.fromisoformat(lastmod).tzinfo is not None


def test_with_no_story_in_two_days_the_news_sitemap_lists_the_front_page(store: Store) -> None:
    # sitemaps.org requires a url in every urlset: an empty one is not a sitemap.
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    assert not schema.validate(etree.Element(f"{S}urlset"))

    store.upsert_article(story("old", hours_ago=49, langs=("en",)))
    app = build_app(Settings(site=SITE), store)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        for lang in ("en", "hy"):  # en has only an old story, hy none at all
            got = http.get(f"/{lang}/sitemap-news.xml")
            assert got.status_code == 200
            root = etree.fromstring(got.content)
            schema.assertValid(root)  # the official schema, unmodified: no news: inside
            urls = root.findall(f"{S}url")
            assert [u.findtext(f"{S}loc") for u in urls] == [f"https://news.example/{lang}/"]
            assert list(root.iter(f"{N}news")) == []  # nothing for Google News to judge
            assert http.get(f"/{lang}/").status_code == 200  # and the page is there
        index = etree.fromstring(http.get("/sitemap.xml").content)
        locs = [s.findtext(f"{S}loc") for s in index.findall(f"{S}sitemap")]
        assert locs == [f"https://news.example/{lang}/sitemap-news.xml" for lang in SITE.languages]
