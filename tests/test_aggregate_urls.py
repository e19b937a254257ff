"""Source URL normalisation and feed autodiscovery: the rules behind ``feeds sources add``
refusing a second spelling of one feed and finding the feeds a page links to."""

from __future__ import annotations

import pytest

from feeds.aggregate.discover import FeedLink, find_feed_links
from feeds.aggregate.urls import SourceURLError, by_normal_form, normalize_source_url


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("HTTP://News.Example/feed", "http://news.example/feed"),
        ("http://news.example:80/feed", "http://news.example/feed"),
        ("https://news.example:443/feed", "https://news.example/feed"),
        ("http://news.example:8080/feed", "http://news.example:8080/feed"),
        ("http://news.example/a/./b/../../feed", "http://news.example/feed"),
        ("http://news.example/feed#latest", "http://news.example/feed"),
        ("http://news.example", "http://news.example/"),
        ("http://news.example?lang=hy", "http://news.example/?lang=hy"),
        ("http://news.example/%7Eeditor/rss", "http://news.example/~editor/rss"),
        ("http://news.example/лента", "http://news.example/%D0%BB%D0%B5%D0%BD%D1%82%D0%B0"),
        ("https://Լուրեր.example/rss", "https://xn--29an0b6abj.example/rss"),
        ("http://news.example/feed?b=2&a=1", "http://news.example/feed?b=2&a=1"),  # order kept
        ("  http://news.example/feed\n", "http://news.example/feed"),
        ("http://[::1]:80/feed", "http://[::1]/feed"),
    ],
)
def test_every_spelling_of_a_url_normalises_to_one(spelling: str, normal: str) -> None:
    assert normalize_source_url(spelling) == normal
    assert normalize_source_url(normal) == normal  # idempotent


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://news.example/feed", r"not an absolute http\(s\) URL"),
        ("news.example/feed", r"not an absolute http\(s\) URL"),
        ("http:///feed", r"not an absolute http\(s\) URL"),
        ("http://user:pw@news.example/feed", "must not carry a user name or password"),
        ("http://user@news.example/feed", "must not carry a user name or password"),
        ("http://news.example:70000/feed", "not a valid URL"),
        ("http://news.example:0/feed", "port 0"),
        ("http://news example/feed", "not a valid host name"),
        ("https://news.example/" + "x" * 2100, "longer than 2048 characters"),
    ],
)
def test_what_cannot_be_a_source_url_is_refused(url: str, why: str) -> None:
    with pytest.raises(SourceURLError, match=why) as refused:
        normalize_source_url(url)
    assert "pw" not in str(refused.value) and len(str(refused.value)) < 200


def test_a_url_near_the_limit_fails_once_percent_encoded() -> None:
    # 1,000 Cyrillic letters are 6,000 characters once percent-encoded.
    with pytest.raises(SourceURLError, match="once percent-encoded"):
        normalize_source_url("http://news.example/" + "л" * 1000)


def test_known_urls_are_indexed_by_normal_form_first_spelling_wins() -> None:
    index = by_normal_form([(1, "HTTP://News.Example/feed"), (2, "http://news.example/feed#x")])
    assert index == {"http://news.example/feed": (1, "HTTP://News.Example/feed")}


def test_feed_links_are_found_resolved_against_base_and_listed_once() -> None:
    page = b"""<!doctype html><html><head>
    <base href="https://news.example/hy/">
    <LINK REL="alternate" TYPE="application/rss+xml" HREF="rss.xml" TITLE="RSS">
    <link rel="alternate" type="application/atom+xml; charset=utf-8" href="/hy/atom.xml">
    <link rel="alternate" type="application/feed+json" href="https://news.example/hy/feed.json">
    <link rel="alternate" type="application/rss+xml" href="rss.xml#again">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="text/html" hreflang="ru" href="/ru/">
    <link rel="stylesheet" type="application/rss+xml" href="/not-a-feed.xml">
    </head><body><a rel="alternate" type="application/rss+xml" href="/body.xml">x</a>
    </body></html>"""
    assert find_feed_links(page, "https://news.example/hy/page") == [
        FeedLink("https://news.example/hy/rss.xml", "RSS", "RSS"),
        FeedLink("https://news.example/hy/atom.xml", "Atom"),
        FeedLink("https://news.example/hy/feed.json", "JSON Feed"),
    ]


def test_a_page_that_is_not_html_has_no_feed_links() -> None:
    assert find_feed_links(b"", "https://news.example/") == []
    assert find_feed_links(b"\x00\x01 binary", "https://news.example/") == []
