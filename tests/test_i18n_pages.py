"""Every public page, the error pages and the console's login page speak the page's
language: no English interface text on hy and ru pages (decided from the catalogs,
``tests/l10n_support.py``), times in the site's time zone, feeds in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree, html

from feeds import i18n
from feeds.model import Image, article_from_dict, article_to_dict
from feeds.store import Store
from tests.l10n_support import english_left
from tests.test_admin_http import PASSWORD, Browser, failing_source
from tests.web_support import fetch, served, settings, story

BROWSER = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Dest": "document"}
# 07:00 UTC is 11:00 in Yerevan.
PUBLISHED = datetime(2026, 10, 9, 7, 0, tzinfo=UTC)


@pytest.fixture
def site(store: Store) -> Iterator[str]:
    store.upsert_article(story("sevan", when=PUBLISHED))
    store.upsert_article(story("budget", title="Parliament passes the budget", hours_ago=1))
    store.upsert_article(story("en-only", langs=("en",), hours_ago=3))
    with served(store, settings(timezone="Asia/Yerevan")) as base:
        yield base


PAGES = [
    "/{lang}/",
    "/{lang}/feeds",
    "/{lang}/news",
    "/{lang}/news?q=zzzz",
    "/{lang}/articles/sevan",
    "/{lang}/rss.xml",
    "/{lang}/aggregated/atom.xml",
]


@pytest.mark.parametrize("lang", ["hy", "ru"])
def test_no_english_interface_text_on_armenian_and_russian_pages(site: str, lang: str) -> None:
    for template in PAGES:
        path = template.format(lang=lang)
        answer = fetch(site + path, BROWSER)
        assert answer.status == 200, path
        assert answer.header("Content-Type").startswith("text/html"), path  # type: ignore[union-attr]
        assert english_left(answer.body, lang) == [], path
        assert html.fromstring(answer.body).get("lang") == lang, path


@pytest.mark.parametrize("lang", ["hy", "ru"])
def test_the_home_page_and_errors_follow_the_browsers_language(site: str, lang: str) -> None:
    home = fetch(site + "/", {**BROWSER, "Accept-Language": f"{lang},en;q=0.5"})
    assert home.status == 200
    assert english_left(home.body, lang) == []
    assert html.fromstring(home.body).get("lang") == lang
    # A 404 in a language's path speaks it, whatever the browser prefers.
    missing = fetch(site + f"/{lang}/nothing-here", BROWSER)
    assert missing.status == 404
    page = html.fromstring(missing.body)
    assert page.get("lang") == lang
    assert page.findtext(".//h1") == i18n.words(lang).gettext("Page not found")
    assert english_left(missing.body, lang) == []
    # Elsewhere, the browser's language.
    elsewhere = fetch(site + "/nothing-here", {**BROWSER, "Accept-Language": lang})
    assert elsewhere.status == 404 and html.fromstring(elsewhere.body).get("lang") == lang
    # A story that lacks the language is a 404 in that language, linking to the others.
    story_page = fetch(site + f"/{lang}/articles/en-only", BROWSER)
    assert story_page.status == 404
    assert english_left(story_page.body, lang) == []
    # The language named as it is written inside a sentence: "(русский)", "(հայերեն)".
    assert f"({i18n.language_name(lang, in_text=True)})" in story_page.body.decode()
    # A method a page does not take is said in the path's language too.
    refused = fetch(site + f"/{lang}/rss.xml", BROWSER, method="POST")
    assert refused.status == 405
    assert html.fromstring(refused.body).findtext(".//h1") == i18n.words(lang).gettext(
        "Method not allowed"
    )
    # Feed readers keep plain text.
    reader = fetch(site + f"/{lang}/nothing-here", {"Accept": "*/*"})
    assert reader.status == 404
    assert reader.header("Content-Type").startswith("text/plain")  # type: ignore[union-attr]


def test_times_on_pages_are_local_and_feeds_keep_utc(site: str) -> None:
    page = html.fromstring(fetch(site + "/ru/articles/sevan", BROWSER).body)
    (published, *_) = page.xpath("//article//time")
    assert published.get("datetime") == "2026-10-09T07:00:00+00:00"
    assert published.text_content() == "9 окт. 2026\u202fг., 11:00"  # Yerevan, Russian style
    hy = html.fromstring(fetch(site + "/hy/articles/sevan", BROWSER).body)
    assert hy.xpath("//article//time")[0].text_content() == "2026 թ. հոկ 9, 11:00"
    rss = etree.fromstring(fetch(site + "/ru/rss.xml").body)
    dates = [d.text for d in rss.iter("pubDate")]
    assert "Fri, 09 Oct 2026 07:00:00 +0000" in dates  # RFC 822, UTC, English day names


@pytest.mark.parametrize("lang", ["hy", "ru"])
def test_the_console_speaks_the_sites_languages(store: Store, lang: str) -> None:
    with served(store) as base:
        chosen = fetch(base + "/admin/", {"Accept-Language": lang})
        assert chosen.status == 303
        assert chosen.header("Location") == f"/admin/{lang}/"
        login = fetch(base + f"/admin/{lang}/login", BROWSER)
        assert login.status == 200
        assert i18n.words(lang).gettext("Log in to the console") in login.body.decode()
        assert english_left(login.body, lang) == []


def test_sections_and_tags_have_their_names_in_each_language_with_the_slug_unchanged(
    store: Store,
) -> None:
    store.upsert_article(story("sevan", section="Science", tags=("Sevan",)))
    config = settings(sections={"science": {"hy": "Գիտություն"}}, tags={"sevan": {"ru": "Севан"}})
    with served(store, config) as base:
        page = html.fromstring(fetch(base + "/hy/articles/sevan", BROWSER).body)
        (section,) = page.xpath("//p[@class='section']/a[1]")
        assert section.text_content() == "Գիտություն"
        assert section.get("href").endswith("/hy/section/science/rss.xml")
        feed = etree.fromstring(fetch(base + "/hy/section/science/rss.xml").body)
        assert feed.findtext("channel/title") == "Կովկաս Լուր: Գիտություն"
        assert [c.text for c in feed.iter("category")] == ["Գիտություն", "Sevan"]
        ru = etree.fromstring(fetch(base + "/ru/rss.xml").body)
        assert [c.text for c in ru.iter("category")] == ["Science", "Севан"]
        ru_page = html.fromstring(fetch(base + "/ru/articles/sevan", BROWSER).body)
        assert ru_page.xpath("//p[@class='tags']/a/text()") == ["Севан"]
        # The language's front page lists the feeds by those names.
        front = fetch(base + "/hy/", BROWSER).body.decode()
        assert "Գիտություն" in front


def test_the_lead_images_caption_is_in_the_pages_language(store: Store) -> None:
    article = story("sevan", langs=("en", "hy"))
    image = Image("https://img.example/sevan.jpg", 1200, 800, "image/jpeg", "The shore", "AP")
    hy = replace(article.translation("hy"), image_caption="Ափը")  # type: ignore[type-var]
    en = article.translation("en")
    store.upsert_article(replace(article, image=image, translations=(en, hy)))
    with served(store) as base:
        page = html.fromstring(fetch(base + "/hy/articles/sevan", BROWSER).body)
        assert page.xpath("//figure[@class='lead']/img/@alt") == ["Ափը"]
        assert page.xpath("//figcaption/text()")[0].strip() == "Ափը"
        english = html.fromstring(fetch(base + "/en/articles/sevan", BROWSER).body)
        assert english.xpath("//figure[@class='lead']/img/@alt") == ["The shore"]
        media = "{http://search.yahoo.com/mrss/}description"
        hy_feed = etree.fromstring(fetch(base + "/hy/rss.xml").body)
        assert [d.text for d in hy_feed.iter(media)] == ["Ափը"]
        en_feed = etree.fromstring(fetch(base + "/en/rss.xml").body)
        assert [d.text for d in en_feed.iter(media)] == ["The shore"]
    # The document keeps it: what the store and feeds import read back.
    assert article_from_dict(article_to_dict(store.get_article("sevan"))) == store.get_article(
        "sevan"
    )


@pytest.mark.parametrize("lang", ["hy", "ru"])
def test_every_console_page_is_in_the_operators_language(store: Store, lang: str) -> None:
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    source_id = failing_source(store)
    with served(store) as base:
        operator = Browser(base)
        assert operator.login().status_code == 303
        for page in (
            "sources",
            f"sources/{source_id}",
            "sources/add",
            "partners",
            "outbox",
            "audit",
        ):
            answer = operator.get(f"/admin/{lang}/{page}")
            assert answer.status_code == 200, page
            doc = html.fromstring(answer.content)
            assert doc.get("lang") == lang, page
            # What the store recorded (an audit entry's detail, "by the command line")
            # stays as written, like the store's own messages (docs/admin.md).
            for recorded in doc.xpath("//table[contains(@class, 'audit')]//td[5]"):
                recorded.drop_tree()
            assert english_left(html.tostring(doc), lang) == [], page
