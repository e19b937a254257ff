"""``/{lang}/news``: own and aggregated stories on one page, over uvicorn, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from lxml import html
from sqlalchemy import update

from feeds.i18n import local_time
from feeds.model import Article, SourceRef, Status, Translation
from feeds.store import Store
from feeds.store.sources import SourceSpec, add_source, sources
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
    with store._db.transaction() as conn:
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
            external("ext-one", ref_one, hours_ago=2, title="Gyumri bakers open a cooperative"),
            external("ext-two", ref_two, hours_ago=3, title="Chess team wins in Batumi"),
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
    expected = ["(own-new)", "cooperative", "Batumi", "(own-amp)", "(own-old)"]
    assert len(got) == len(expected)
    assert all(title.endswith(end) for title, end in zip(got, expected, strict=True)), got
    links = [li.xpath(".//a[@class='title']")[0].get("href") for li in items]
    assert links[0] == "/en/articles/own-new"
    assert links[1] == "https://one.example/ext-one"
    assert items[1].xpath(".//span[@class='via']")[0].text_content() == "via Source One"
    assert not items[0].xpath(".//span[@class='via']")
    # The time as English readers write it, in the site's time zone (UTC here).
    when = items[0].xpath(".//time")[0]
    assert when.text_content() == local_time(
        datetime.fromisoformat(when.get("datetime")), "en", "UTC"
    )
    assert "Summary of own-new in en." in items[0].text_content()


def test_source_filter_shows_only_that_source(news: tuple[str, int, int]) -> None:
    base, one, two = news
    assert titles(rows(base, f"/en/news?source={two}")) == ["Chess team wins in Batumi"]
    assert titles(rows(base, f"/en/news?source={one}")) == ["Gyumri bakers open a cooperative"]
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


@pytest.fixture
def public(store: Store) -> Iterator[tuple[str, dict[str, int]]]:
    """Sources in every state an operator sees; yields (base, {name: id})."""
    ids: dict[str, int] = {}
    with store._db.transaction() as conn:
        for name, url in [
            ("monitor", "https://monitor.example/feed"),
            ("armenian", "https://hy.example/feed"),
            ("ghost", "http://10.0.0.5/feed.xml"),
            ("blocked", "http://10.0.0.6/feed.xml"),
            ("untitled", "https://untitled.example/feed"),
        ]:
            title = None if name == "untitled" else f"{name.title()} Feed"
            ids[name] = add_source(conn, SourceSpec(url=url, title=title)).id
        # A source the safety policy refused, with stories from before: an operator's matter.
        conn.execute(update(sources).where(sources.c.id == ids["blocked"]).values(health="blocked"))
    refs = {
        name: SourceRef(
            f"{name.title()} Feed",
            f"https://{name}.example/feed",
            f"https://{name}.example",
            "en",
            ids[name],
        )
        for name in ids
    }
    store.upsert_articles(
        [
            external("mon-1", refs["monitor"], hours_ago=1, title="Monitor story"),
            external("arm-1", refs["armenian"], hours_ago=2, lang="hy", title="Armenian story"),
            external("blk-1", refs["blocked"], hours_ago=3, title="Blocked story"),
            external("unt-1", refs["untitled"], hours_ago=4, title="Untitled story"),
        ]
    )
    with served(store, revision_interval=0) as base:
        yield base, ids


def source_bar(base: str, path: str) -> list[html.HtmlElement]:
    page = html.fromstring(fetch(base + path).body)
    return list(page.xpath("//nav[@class='sources']/a | //nav[@class='sources']/strong"))


def test_the_filter_lists_only_sources_with_stories_in_the_language_and_no_urls(
    public: tuple[str, dict[str, int]],
) -> None:
    base, ids = public
    en = source_bar(base, "/en/news")
    assert [e.text_content() for e in en] == [
        "All stories",
        "Monitor Feed",
        f"Source {ids['untitled']}",
    ]
    assert [e.get("href") for e in en[1:]] == [
        f"/en/news?source={ids['monitor']}",
        f"/en/news?source={ids['untitled']}",
    ]
    hy = source_bar(base, "/hy/news")
    assert [e.text_content() for e in hy] == ["Բոլորը", "Armenian Feed"]
    for path in ("/en/news", "/hy/news", "/ru/news"):
        text = (
            html.fromstring(fetch(base + path).body)
            .xpath("//nav[@class='sources']")[0]
            .text_content()
        )
        assert "http" not in text and "10.0.0" not in text and "Ghost" not in text, path
        assert "Blocked" not in text, path


def test_a_source_of_another_language_says_where_it_publishes(
    public: tuple[str, dict[str, int]],
) -> None:
    base, ids = public
    answer = fetch(base + f"/en/news?source={ids['armenian']}")
    assert answer.status == 200
    page = html.fromstring(answer.body)
    assert b"No stories yet" not in answer.body
    note = page.xpath("//p[@class='elsewhere']")[0]
    assert note.text_content().startswith("This source publishes in another language:")
    assert note.xpath("a/@href") == [f"/hy/news?source={ids['armenian']}"]
    assert titles(rows(base, f"/hy/news?source={ids['armenian']}")) == ["Armenian story"]
    # A source with no stories anywhere is simply empty.
    assert b"No stories yet" in fetch(base + f"/en/news?source={ids['ghost']}").body


def test_the_source_and_the_time_are_apart(public: tuple[str, dict[str, int]]) -> None:
    base, _ = public
    item = rows(base, "/en/news")[0]
    meta = " ".join(item.xpath(".//p[@class='meta']")[0].text_content().split())
    when = " ".join(item.xpath(".//time")[0].text_content().split())
    assert meta == f"via Monitor Feed · {when}"
    assert "Feed2" not in item.text_content()
