"""A feed opened in a browser is a readable page; a feed reader still gets the feed.

The browser tests run Debian's chromium headless against a real server (``.ci/run``
installs it); without it they are skipped with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import feedparser
import pytest
from lxml import html

from feeds.i18n import words
from feeds.store import Store
from tests.web_support import TITLES, fetch, served, story

CHROMIUM = shutil.which("chromium")
NAVIGATION = {
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Mode": "navigate",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


@pytest.fixture
def server(store: Store) -> Iterator[str]:
    store.upsert_article(story("sevan", hours_ago=2))
    store.upsert_article(story("budget", title="Parliament passes the budget", hours_ago=1))
    with served(store) as base:
        yield base


def dump_dom(url: str) -> str:
    """The DOM Chromium builds for ``url``, after scripts and stylesheets ran."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return done.stdout.decode("utf-8")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here")
@pytest.mark.parametrize("path", ["/en/rss.xml", "/ru/atom.xml", "/hy/feed.json"])
def test_chromium_shows_a_readable_page_for_a_feed(server: str, path: str) -> None:
    lang = path.split("/")[1]
    page = html.fromstring(dump_dom(server + path))
    text = page.text_content()
    assert f"{TITLES[lang]} (sevan)" in page.xpath("//h3/a/text()")
    # The page's words in the feed's language, from the catalogs.
    help_text = words(lang).gettext("To follow it, copy its address into your feed reader:")
    assert help_text in text
    assert lang == "en" or "To follow it" not in text
    # Not the document's source shown as text.
    assert "<?xml" not in text and "<rss" not in text and '"version"' not in text
    assert page.xpath("//pre") == []
    assert page.xpath("//input[@class='address']/@value") == [f"https://news.example{path}"]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here")
def test_chromium_reads_the_front_page(server: str) -> None:
    page = html.fromstring(dump_dom(server + "/"))
    assert "Caucasus Wire: news feeds" in page.xpath("//h1/text()")
    assert "https://news.example/hy/rss.xml" in page.xpath("//a/@href")


def test_a_feed_reader_gets_the_feed_bytes(server: str) -> None:
    answer = fetch(server + "/en/rss.xml", {"User-Agent": "NetNewsWire (RSS Reader)"})
    assert answer.header("Content-Type") == "application/rss+xml; charset=utf-8"
    assert answer.body.startswith(b"<?xml")
    assert feedparser.parse(answer.body).entries[0].title == "Parliament passes the budget (budget)"
    assert "Sec-Fetch-Dest" in (answer.header("Vary") or "")


def test_a_browser_navigation_gets_the_html_preview(server: str) -> None:
    feed = fetch(server + "/en/atom.xml")
    answer = fetch(server + "/en/atom.xml", NAVIGATION)
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/html; charset=utf-8"
    assert "Sec-Fetch-Dest" in (answer.header("Vary") or "")
    assert answer.header("ETag") != feed.header("ETag")
    page = html.fromstring(answer.body)
    assert page.xpath("//h3/a/text()") == [
        "Parliament passes the budget (budget)",
        f"{TITLES['en']} (sevan)",
    ]
    assert page.xpath("//head/link[@rel='alternate'][@type='application/atom+xml']/@href") == [
        "https://news.example/en/atom.xml"
    ]
    # The preview revalidates like the feed does.
    etag = answer.header("ETag") or ""
    assert fetch(server + "/en/atom.xml", {**NAVIGATION, "If-None-Match": etag}).status == 304


def test_a_fetch_from_a_page_is_not_a_navigation(server: str) -> None:
    """Web feed readers fetch() the feed: Sec-Fetch-Dest is "empty", so they get the XML."""
    answer = fetch(server + "/en/rss.xml", {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"})
    assert answer.header("Content-Type") == "application/rss+xml; charset=utf-8"


def test_raw_shows_a_browser_the_feed_itself(server: str) -> None:
    answer = fetch(server + "/en/rss.xml?raw", NAVIGATION)
    assert answer.header("Content-Type") == "application/rss+xml; charset=utf-8"
    assert answer.body == fetch(server + "/en/rss.xml").body
