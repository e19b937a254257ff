"""robots.txt points crawlers at the sitemaps and away from the console, partner feeds and
the API; a one-segment address that is no language is a 404 at once, not a 307 to one."""

from __future__ import annotations

from feeds.store import Store
from tests.web_support import BASE, fetch, served


def test_robots_txt_lists_the_sitemaps_and_keeps_crawlers_out_of_private_parts(
    store: Store,
) -> None:
    with served(store) as base:
        answer = fetch(base + "/robots.txt")
        assert answer.status == 200
        assert answer.header("Content-Type") == "text/plain; charset=utf-8"
        lines = answer.body.decode().splitlines()
        assert "User-agent: *" in lines
        assert {"Disallow: /admin/", "Disallow: /partners/", "Disallow: /api/"} <= set(lines)
        sitemaps = [line.removeprefix("Sitemap: ") for line in lines if line.startswith("Sitemap:")]
        assert sitemaps == [
            f"{BASE}/sitemap.xml",
            f"{BASE}/en/sitemap-news.xml",
            f"{BASE}/hy/sitemap-news.xml",
            f"{BASE}/ru/sitemap-news.xml",
        ]
        for sitemap in sitemaps:  # each one is there
            assert fetch(base + sitemap.removeprefix(BASE)).status == 200, sitemap


def test_only_a_language_or_the_console_is_redirected_to_its_trailing_slash(
    store: Store,
) -> None:
    with served(store) as base:
        hy = fetch(base + "/hy")
        assert hy.status == 307 and hy.header("Location") == "/hy/"
        assert fetch(base + "/admin").header("Location") == "/admin/"
        for path in ("/nothing", "/ka", "/news"):
            answer = fetch(base + path, {"Accept": "*/*"})
            assert answer.status == 404, path
            assert b"Nothing here: " + path.encode() in answer.body
            browser = fetch(base + path, {"Accept": "text/html", "Sec-Fetch-Dest": "document"})
            assert browser.status == 404
            assert str(browser.header("Content-Type")).startswith("text/html")
