"""``/{lang}/news`` as a reader sees it over uvicorn, on SQLite and PostgreSQL: thumbnails,
one entry per story with the outlets that also reported it, stable pages, the source
filter and the search box."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from lxml import etree, html

from feeds.model import Article, SourceRef, Status, Translation
from feeds.store import Store
from feeds.store.sources import SourceSpec, add_source
from feeds.web.newsfeed import PAGE
from tests.stories import NOW, story
from tests.web_support import fetch, served


def outlet_story(
    article_id: str, source: SourceRef, title: str, hours_ago: float, lang: str = "ru"
) -> Article:
    when = NOW - timedelta(hours=hours_ago)
    link = f"{source.link}/{article_id}"
    return Article(
        id=article_id,
        status=Status.PUBLISHED,
        published=when,
        updated=when,
        translations=(Translation(lang, title, link, f"Кратко: {title}"),),
        source=SourceRef(source.title, source.feed_url, link, lang, source.source_id),
    )


@pytest.fixture
def site(store: Store) -> Iterator[tuple[str, Store, list[int]]]:
    ids = []
    with store._db.transaction() as conn:
        for name in ("Кавказский вестник", "Новости Севана"):
            ids.append(
                add_source(conn, SourceSpec(url=f"https://{len(ids)}.example/feed", title=name)).id
            )
    with served(store, revision_interval=0) as base:
        yield base, store, ids


def refs(ids: list[int]) -> list[SourceRef]:
    names = ("Кавказский вестник", "Новости Севана")
    return [
        SourceRef(name, f"https://{i}.example/feed", f"https://{i}.example", "ru", source_id)
        for i, (name, source_id) in enumerate(zip(names, ids, strict=True))
    ]


def page(base: str, path: str) -> html.HtmlElement:
    answer = fetch(base + path)
    assert answer.status == 200, (path, answer.status, answer.body[:300])
    return html.fromstring(answer.body)


def entries(doc: html.HtmlElement) -> list[html.HtmlElement]:
    return list(doc.xpath("//ol[@class='news']/li"))


def titles(doc: html.HtmlElement) -> list[str]:
    return [li.xpath(".//a[@class='title']")[0].text_content() for li in entries(doc)]


def test_lead_images_are_sized_lazy_thumbnails(site: tuple[str, Store, list[int]]) -> None:
    base, store, _ = site
    store.upsert_articles([story("pictured", image_width=1200), story("plain", image_width=None)])
    items = entries(page(base, "/en/news"))
    pictured = [li for li in items if li.xpath(".//img")]
    assert len(pictured) == 1 and len(items) == 2
    thumb = pictured[0].xpath(".//img")[0]
    assert thumb.get("src") == "https://img.news.example/pictured.jpg"
    assert (thumb.get("width"), thumb.get("height")) == ("160", "107")  # 1200 x 800 scaled
    assert thumb.get("loading") == "lazy" and thumb.get("alt") == ""


def test_one_entry_per_story_with_the_others_that_reported_it(
    site: tuple[str, Store, list[int]],
) -> None:
    base, store, ids = site
    vestnik, sevan = refs(ids)
    store.upsert_articles(
        [
            outlet_story("v-1", vestnik, "В Тбилиси открылась выставка армянских художников", 3),
            outlet_story("s-1", sevan, "В Тбилиси открыли выставку армянских художников", 2),
            outlet_story("s-2", sevan, "Урожай абрикосов в Араратской долине стал рекордным", 1),
        ]
    )
    doc = page(base, "/ru/news")
    assert titles(doc) == [
        "Урожай абрикосов в Араратской долине стал рекордным",
        "В Тбилиси открылась выставка армянских художников",
    ]
    also = entries(doc)[1].xpath(".//p[@class='also']/a")
    assert [(a.text_content(), a.get("href")) for a in also] == [
        ("Новости Севана", "https://1.example/s-1")
    ]
    assert "Также сообщили" in entries(doc)[1].text_content()
    # Each outlet's own page still shows its report, with the other outlet credited.
    own_page = page(base, f"/ru/news?source={ids[1]}")
    assert titles(own_page) == [
        "Урожай абрикосов в Араратской долине стал рекордным",
        "В Тбилиси открыли выставку армянских художников",
    ]
    assert [a.text_content() for a in entries(own_page)[1].xpath(".//p[@class='also']/a")] == [
        "Кавказский вестник"
    ]


def test_pages_are_stable_when_new_stories_arrive(site: tuple[str, Store, list[int]]) -> None:
    base, store, _ = site
    store.upsert_articles(
        [story(f"s{n:02d}", hours_ago=n + 1, langs=("en",)) for n in range(PAGE + 5)]
    )
    first = page(base, "/en/news")
    assert len(entries(first)) == PAGE
    assert not first.xpath("//nav[@class='pages']//a[@rel='first']")
    older = first.xpath("//nav[@class='pages']//a[@rel='next']")[0].get("href")
    second = page(base, older)
    expected = [f"A story called s{n:02d} in en" for n in range(PAGE, PAGE + 5)]
    assert titles(second) == expected
    assert not second.xpath("//a[@rel='next']")
    assert second.xpath("//nav[@class='pages']//a[@rel='first']")[0].get("href") == "/en/news"
    store.upsert_article(story("breaking", hours_ago=0.1, langs=("en",)))
    assert titles(page(base, older)) == expected
    assert titles(page(base, "/en/news"))[0] == "A story called breaking in en"
    assert fetch(base + "/en/news?after=yesterday").status == 400


def test_the_search_box_finds_stories_in_the_page_language(
    site: tuple[str, Store, list[int]],
) -> None:
    base, store, ids = site
    vestnik, _ = refs(ids)
    store.upsert_articles(
        [
            outlet_story(
                "v-1", vestnik, "Железная дорога Ереван — Тбилиси возобновит ночные рейсы", 2
            ),
            outlet_story("v-2", vestnik, "Урожай абрикосов стал рекордным", 1),
            outlet_story("hy-1", vestnik, "Երևանի մետրոն կերկարացվի դեպի Աջափնյակ", 1, lang="hy"),
        ]
    )
    doc = page(base, "/ru/news?q=" + quote("ЕРЕВАН*"))
    assert titles(doc) == ["Железная дорога Ереван — Тбилиси возобновит ночные рейсы"]
    form = doc.xpath("//form[@role='search']")[0]
    assert form.get("action") == "/ru/news"
    assert form.xpath(".//input[@name='q']")[0].get("value") == "ЕРЕВАН*"
    assert form.xpath(".//label")[0].text_content() == "Поиск по новостям"
    assert titles(page(base, "/ru/news?q=" + quote("«ночные рейсы»"))) == [
        "Железная дорога Ереван — Тбилиси возобновит ночные рейсы"
    ]
    assert titles(page(base, "/hy/news?q=" + quote("երեվանի"))) == [
        "Երևանի մետրոն կերկարացվի դեպի Աջափնյակ"
    ]
    nothing = page(base, "/ru/news?q=" + quote("метро"))
    assert (
        titles(nothing) == [] and "По этому запросу новостей не найдено." in nothing.text_content()
    )
    refused = page(base, "/ru/news?q=" + quote("-абрикосов"))
    assert refused.xpath("//p[@class='problem']")[0].text_content() == (
        "Введите хотя бы одно слово для поиска."
    )
    narrowed = page(base, f"/ru/news?source={ids[0]}&q=" + quote("урожай"))
    assert titles(narrowed) == ["Урожай абрикосов стал рекордным"]
    assert narrowed.xpath("//form//input[@name='source']")[0].get("value") == str(ids[0])


def test_aggregated_feeds_link_a_repeated_story_to_its_first_report(
    site: tuple[str, Store, list[int]],
) -> None:
    base, store, ids = site
    vestnik, sevan = refs(ids)
    store.upsert_articles(
        [
            outlet_story("v-1", vestnik, "В Тбилиси открылась выставка армянских художников", 3),
            outlet_story("s-1", sevan, "В Тбилиси открыли выставку армянских художников", 2),
        ]
    )
    atom = etree.fromstring(fetch(base + "/ru/aggregated/atom.xml").body)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries_by_link = {
        e.xpath("a:link[@rel='alternate']/@href", namespaces=ns)[0]: e
        for e in atom.xpath("//a:entry", namespaces=ns)
    }
    assert set(entries_by_link) == {"https://0.example/v-1", "https://1.example/s-1"}
    related = entries_by_link["https://1.example/s-1"].xpath(
        "a:link[@rel='related']", namespaces=ns
    )
    assert [(r.get("href"), r.get("title")) for r in related] == [
        ("https://0.example/v-1", "Кавказский вестник")
    ]
    assert not entries_by_link["https://0.example/v-1"].xpath(
        "a:link[@rel='related']", namespaces=ns
    )
    rss = etree.fromstring(fetch(base + "/ru/aggregated/rss.xml").body)
    assert rss.xpath("//item/a:link[@rel='related']/@href", namespaces=ns) == [
        "https://0.example/v-1"
    ]
    items = json.loads(fetch(base + "/ru/aggregated/feed.json").body)["items"]
    marks = {item["url"]: item["_feeds"] for item in items}
    assert "first_report" not in marks["https://0.example/v-1"]
    assert marks["https://1.example/s-1"]["first_report"] == "https://0.example/v-1"
    assert marks["https://1.example/s-1"]["first_reported_by"] == "Кавказский вестник"
    assert marks["https://1.example/s-1"]["source"]["title"] == "Новости Севана"
