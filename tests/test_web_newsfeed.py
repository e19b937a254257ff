"""``/{lang}/news``: own and aggregated stories on one page, over uvicorn, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from lxml import html

from feeds.model import Article, SourceRef, Status, Translation
from feeds.store import Store
from feeds.store.sources import SourceSpec, add_source
from tests.web_support import NOW, fetch, served, story

HTML = "text/html; charset=utf-8"


def external(
    article_id: str, source: SourceRef, *, hours_ago: float, lang: str = "en", title: str = ""
) -> Article:
    """An aggregated story as the aggregator stores it: one translation, a source."""
    link = f"{source.link}/{article_id}"
    when = NOW - timedelta(hours=hours_ago)
    return Article(
        id=article_id,
        status=Status.PUBLISHED,
        published=when,
        updated=when,
        translations=(
            Translation(
                lang=lang,
                title=title or f"External {article_id}",
                url=link,
                summary=f"Summary of {article_id} <b>not markup</b>",
                body_html="<p>x</p>",
            ),
        ),
        source=replace(source, link=link, lang=lang),
    )


@pytest.fixture
def news(store: Store) -> Iterator[tuple[str, int, int]]:
    """A store with own stories and two sources' stories, served; yields (base, id1, id2)."""
    with store.transaction() as conn:
        one = add_source(conn, SourceSpec(url="https://one.example/feed", title="Source One"))
        two = add_source(conn, SourceSpec(url="https://two.example/feed", title="Source <Two>"))
    ref_one = SourceRef("Source One", one.url, "https://one.example", "en", one.id)
    ref_two = SourceRef("Source <Two>", two.url, "https://two.example", "en", two.id)
    store.upsert_articles(
        [
            story("own-new", hours_ago=1),
            story("own-old", hours_ago=5, langs=("en",)),
            story("own-draft", hours_ago=0.5, status="draft"),
            story("own-amp", hours_ago=4, langs=("en",), title="Tom & <Jerry>"),
            external("ext-one", ref_one, hours_ago=2),
            external("ext-two", ref_two, hours_ago=3),
            external("ext-hy", ref_one, hours_ago=6, lang="hy"),
        ]
    )
    with served(store, revision_interval=0) as base:
        yield base, one.id, two.id


def rows(base: str, path: str) -> list[html.HtmlElement]:
    answer = fetch(base + path)
    assert answer.status == 200, (path, answer.status, answer.body[:200])
    assert answer.header("Content-Type") == HTML
    return list(html.fromstring(answer.body).xpath("//ol[@class='news']/li"))


def titles(items: list[html.HtmlElement]) -> list[str]:
    return [li.xpath(".//a[@class='title']")[0].text_content() for li in items]


def test_both_kinds_newest_first_drafts_never(news: tuple[str, int, int]) -> None:
    base, _, _ = news
    items = rows(base, "/en/news")
    got = titles(items)
    expected = ["(own-new)", "External ext-one", "External ext-two", "(own-amp)", "(own-old)"]
    assert len(got) == len(expected)
    assert all(title.endswith(end) for title, end in zip(got, expected, strict=True)), got
    links = [li.xpath(".//a[@class='title']")[0].get("href") for li in items]
    assert links[0] == "/en/articles/own-new"
    assert links[1] == "https://one.example/ext-one"
    assert items[1].xpath(".//span[@class='via']")[0].text_content() == "via Source One"
    assert not items[0].xpath(".//span[@class='via']")
    assert items[0].xpath(".//time")[0].text_content().endswith(" UTC")
    assert "Summary of own-new in en." in items[0].text_content()


def test_source_filter_shows_only_that_source(news: tuple[str, int, int]) -> None:
    base, one, two = news
    assert titles(rows(base, f"/en/news?source={two}")) == ["External ext-two"]
    assert titles(rows(base, f"/en/news?source={one}")) == ["External ext-one"]
    assert titles(rows(base, "/en/news?source=99999")) == []
    assert fetch(base + "/en/news?source=abc").status == 400
    bar = html.fromstring(fetch(base + "/en/news").body).xpath("//nav[@class='sources']/a")
    assert [a.get("href") for a in bar] == [f"/en/news?source={one}", f"/en/news?source={two}"]
    assert bar[1].text_content() == "Source <Two>"


def test_language_shows_only_its_versions(news: tuple[str, int, int]) -> None:
    base, _, _ = news
    got = titles(rows(base, "/hy/news"))
    assert len(got) == 2 and got[0].endswith("(own-new)") and got[1] == "External ext-hy"
    page = html.fromstring(fetch(base + "/hy/news").body)
    assert page.get("lang") == "hy"
    others = [a.get("href") for a in page.xpath("//nav[@class='languages']/a")]
    assert others == ["/en/news", "/ru/news"]
    assert fetch(base + "/xx/news").status == 404
    assert b"Nothing here: /xx/news" in fetch(base + "/xx/news").body


def test_head_and_conditional(news: tuple[str, int, int]) -> None:
    base, _, _ = news
    get = fetch(base + "/en/news")
    head = fetch(base + "/en/news", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("ETag") == get.header("ETag")
    etag = get.header("ETag")
    assert etag is not None
    assert fetch(base + "/en/news", {"If-None-Match": etag}).status == 304


def test_html_special_characters_are_escaped(news: tuple[str, int, int]) -> None:
    base, _, _ = news
    body = fetch(base + "/en/news").body
    assert b"Tom &amp; &lt;Jerry&gt;" in body
    assert b"<Jerry>" not in body and b"<b>not markup</b>" not in body
    assert b"&lt;b&gt;not markup&lt;/b&gt;" in body
    assert b"Source &lt;Two&gt;" in body


def test_index_links_to_the_news_feed(news: tuple[str, int, int]) -> None:
    base, _, _ = news
    links = html.fromstring(fetch(base + "/").body).xpath("//a")
    assert {"/en/news", "/hy/news", "/ru/news"} <= {a.get("href") for a in links}
