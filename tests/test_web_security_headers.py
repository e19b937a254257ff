"""Security headers on every kind of response, and error pages a browser can read.

Every response says ``nosniff`` and a ``Referrer-Policy``; HTML pages carry a
Content-Security-Policy that allows no script, no inline style and no framing, and the
pages really need nothing more (no inline script, style or event handler in them).
A browser asking for something missing gets an HTML page that never repeats the address;
a feed reader gets plain text, an API client a problem document; a 500 never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from lxml import html
from starlette.routing import Route

from feeds.store import Store
from feeds.web.app import build_app
from tests.live import live_server
from tests.web_support import Answer, fetch, settings, story

BROWSER = {
    "Sec-Fetch-Dest": "document",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
READER = {"Accept": "application/rss+xml, application/atom+xml, text/xml;q=0.9, */*;q=0.1"}
# A path a link could use to write on the site's own error page.
HOSTILE_PATH = "/en/Your-account-is-locked-call-555-0100-now"


CONFIG = settings(
    languages=("en", "hy"),
    titles={"en": "Caucasus Wire", "hy": "Կովկաս Լուր"},
    cache_max_age=300,
    embed_hosts=("www.youtube-nocookie.com",),
    ingest_tokens=("token",),
)


@pytest.fixture
def base(store: Store) -> Iterator[str]:
    store.upsert_article(story("sevan"))
    app = build_app(CONFIG, store)

    async def broken(request: object) -> None:
        raise RuntimeError("boom: secret internals at /srv/feeds/app.py line 12")

    app.router.routes.insert(0, Route("/broken", broken))
    with live_server(app) as url:
        yield url


def csp(answer: Answer) -> dict[str, str]:
    value = answer.header("Content-Security-Policy") or ""
    directives = (part.strip().split(" ", 1) for part in value.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_page_policy(answer: Answer) -> None:
    policy = csp(answer)
    assert policy["script-src"] == "'none'"
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["frame-src"] == "https://www.youtube-nocookie.com"
    assert policy["base-uri"] == "'none'"
    assert "unsafe-inline" not in (answer.header("Content-Security-Policy") or "")


def assert_always(answer: Answer, where: str) -> None:
    assert answer.header("X-Content-Type-Options") == "nosniff", where
    assert answer.header("Referrer-Policy") == "strict-origin-when-cross-origin", where


HTML_PAGES = ["/", "/en/", "/hy/", "/en/news", "/en/articles/sevan"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_has_the_page_policy_and_needs_nothing_it_forbids(
    base: str, path: str
) -> None:
    answer = fetch(base + path, BROWSER)
    assert answer.status == 200
    assert (answer.header("Content-Type") or "").startswith("text/html")
    assert_always(answer, path)
    assert_page_policy(answer)
    page = html.fromstring(answer.body)
    assert page.xpath("//script | //style | //*[@style]") == [], path
    handlers = [
        a for e in page.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")
    ]
    assert handlers == [], path
    # Every stylesheet the page links is the site's own (style-src 'self').
    assert [s.get("href") for s in page.xpath("//link[@rel='stylesheet']")] == ["/static/site.css"]


def test_the_feed_preview_page_has_the_page_policy(base: str) -> None:
    answer = fetch(base + "/en/rss.xml", BROWSER)
    assert (answer.header("Content-Type") or "").startswith("text/html")
    assert_page_policy(answer)
    page = html.fromstring(answer.body)
    assert [
        a for e in page.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")
    ] == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/en/rss.xml", 200),
        ("/en/atom.xml", 200),
        ("/hy/feed.json", 200),
        ("/feeds.opml", 200),
        ("/sitemap.xml", 200),
        ("/healthz", 200),
        ("/static/site.css", 200),
        ("/static/icon.png", 200),
        ("/favicon.ico", 301),
        ("/api/articles/sevan", 401),
        ("/en/nothing-here", 404),
    ],
)
def test_every_other_response_is_nosniff_and_may_load_nothing(
    base: str, path: str, status: int
) -> None:
    answer = fetch(base + path, READER)
    assert answer.status == status, path
    assert_always(answer, path)
    policy = csp(answer)
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'", path
    assert "script-src" not in policy


def test_a_304_is_nosniff_and_leaves_the_stored_policy_alone(base: str) -> None:
    first = fetch(base + "/en/", BROWSER)
    etag = first.header("ETag")
    assert etag
    again = fetch(base + "/en/", {**BROWSER, "If-None-Match": etag})
    assert again.status == 304
    assert_always(again, "304")
    # RFC 9111 §4.3.4: a 304's headers replace the stored ones; a feed's policy on a
    # page's 304 would strip the page of its stylesheet.
    assert again.header("Content-Security-Policy") is None
    feed = fetch(base + "/en/rss.xml", READER)
    not_modified = fetch(
        base + "/en/rss.xml", {**READER, "If-None-Match": feed.header("ETag") or ""}
    )
    assert not_modified.status == 304
    assert_always(not_modified, "feed 304")


@pytest.mark.parametrize("path", [HOSTILE_PATH, "/en/articles/no-such-story", "/xx/news"])
def test_a_browser_gets_an_html_404_that_does_not_repeat_the_address(base: str, path: str) -> None:
    answer = fetch(base + path, BROWSER)
    assert answer.status == 404
    assert answer.header("Content-Type") == "text/html; charset=utf-8"
    assert_page_policy(answer)
    page = html.fromstring(answer.body)
    assert page.xpath("//h1/text()") == ["Page not found"]
    assert page.xpath("//link[@rel='stylesheet']/@href") == ["/static/site.css"]
    assert "/en/" in page.xpath("//a/@href")
    assert path.encode() not in answer.body
    assert b"555-0100" not in answer.body
    assert "Sec-Fetch-Dest" in (answer.header("Vary") or "")


def test_a_feed_reader_gets_plain_text_and_an_api_client_a_problem(base: str) -> None:
    reader = fetch(base + HOSTILE_PATH, READER)
    assert reader.status == 404
    assert reader.header("Content-Type") == "text/plain; charset=utf-8"
    assert b"https://news.example/en/rss.xml" in reader.body
    nobody = fetch(base + HOSTILE_PATH)  # no Accept at all: plain text too
    assert nobody.header("Content-Type") == "text/plain; charset=utf-8"
    api = fetch(base + "/api/nothing", {"Accept": "application/json"})
    assert api.status == 404
    assert api.header("Content-Type") == "application/problem+json"
    assert json.loads(api.body)["status"] == 404


def test_405_is_html_for_a_browser_and_keeps_allow(base: str) -> None:
    browser = fetch(base + "/en/news", BROWSER, method="POST")
    assert browser.status == 405
    assert (browser.header("Content-Type") or "").startswith("text/html")
    assert "GET" in (browser.header("Allow") or "")
    assert html.fromstring(browser.body).xpath("//h1/text()") == ["Method not allowed"]
    reader = fetch(base + "/en/news", READER, method="POST")
    assert reader.status == 405 and (reader.header("Content-Type") or "").startswith("text/plain")


def test_500_is_a_short_page_without_a_traceback_for_everyone(base: str) -> None:
    browser = fetch(base + "/broken", BROWSER)
    assert browser.status == 500
    assert (browser.header("Content-Type") or "").startswith("text/html")
    assert_always(browser, "500")
    assert_page_policy(browser)
    assert html.fromstring(browser.body).xpath("//h1/text()") == ["Something went wrong"]
    reader = fetch(base + "/broken", READER)
    assert reader.status == 500 and (reader.header("Content-Type") or "").startswith("text/plain")
    assert_always(reader, "500 plain")
    for answer in (browser, reader):
        assert b"secret internals" not in answer.body and b"Traceback" not in answer.body
        assert b"app.py" not in answer.body


def test_a_missing_image_is_an_html_404_for_a_browser_and_stays_out_of_caches(base: str) -> None:
    answer = fetch(base + "/static/images/no-such-picture.jpg", BROWSER)
    assert answer.status == 404
    assert (answer.header("Content-Type") or "").startswith("text/html")
    assert answer.header("Cache-Control") == "no-store"
    assert b"no-such-picture" not in answer.body


def test_a_browser_posting_to_a_feed_gets_an_html_405(base: str) -> None:
    answer = fetch(base + "/en/rss.xml", BROWSER, method="POST")
    assert answer.status == 405
    assert answer.header("Allow") == "GET, HEAD"
    assert (answer.header("Content-Type") or "").startswith("text/html")
    reader = fetch(base + "/en/rss.xml", READER, method="POST")
    assert reader.status == 405
    assert reader.body == b"POST is not allowed here: feeds are read with GET or HEAD.\n"
