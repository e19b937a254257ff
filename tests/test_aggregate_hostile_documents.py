"""Hostile documents and misbehaving servers, polled over real loopback HTTP into a real
store: what a reader of the aggregated feeds would see (the stored titles, the source's
health and last error).

Each encoding case serves bytes whose declared charset is wrong, missing or contradicted,
and asserts the exact stored text: mojibake such as ``Íîâîñòè`` must never be stored.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections.abc import Iterator

import pytest
from multidict import CIMultiDict

from feeds.aggregate.challenge import challenge_vendor
from feeds.aggregate.pipeline import Aggregator, CycleSummary
from feeds.model import Article
from feeds.store import Store, open_store
from feeds.store.articles import list_articles
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.polling import add, make_due, source

RU = "Новости: Госдума приняла закон о языке"
RU_2 = "Правительство объявило о новых мерах поддержки"
HY = "Երևանում բացվեց նոր գրադարան"
LATIN = "Don’t miss the “Café” festival – Zürich"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        yield s


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


def cycle(store: Store) -> CycleSummary:
    async def go() -> CycleSummary:
        async with Aggregator(loopback_settings(), store) as agg:
            return await agg.run_cycle()

    return asyncio.run(go())


def titles(store: Store) -> set[str]:
    with store._db.reading() as conn:
        found: list[Article] = list_articles(conn)
    return {t.title for a in found for t in a.translations}


def rss_text(
    *titles_: str, declaration: str | None = "utf-8", channel: str = "Вестник", lang: str = "ru"
) -> str:
    items = "".join(
        f"<item><guid>g{i}</guid><title>{t}</title><description>{t}.</description></item>"
        for i, t in enumerate(titles_)
    )
    head = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else ""
    return (
        f'{head}<rss version="2.0"><channel><title>{channel}</title>'
        f"<language>{lang}</language>{items}</channel></rss>"
    )


# --- a body that fails to parse leaves the validators alone ------------------------------


def test_an_html_page_stays_an_error_on_the_next_poll(server: FeedServer, store: Store) -> None:
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body>Hi</body></html>"
    server.routes["/page"] = Route(body=page, content_type="text/html; charset=utf-8")
    src = add(store, server.url("/page"))
    for _ in range(2):
        summary = cycle(store)
        assert summary.errors == 1
        make_due(store)
    after = source(store, src.id)
    assert after.health == "error" and after.consecutive_errors == 2
    assert "this is an HTML page, not a feed" in (after.last_error or "")
    assert after.etag is None
    # No conditional request was sent with the page's ETag: both polls got the full page.
    assert [r.headers.get("If-None-Match") for r in server.log] == [None, None]


def test_a_fixed_feed_is_read_after_a_broken_one(server: FeedServer, store: Store) -> None:
    server.routes["/f"] = Route(body=b"<html><body>maintenance</body></html>")
    src = add(store, server.url("/f"))
    cycle(store)
    server.routes["/f"] = Route(body=rss_text("Fixed").encode())
    make_due(store)
    cycle(store)
    assert source(store, src.id).health == "ok"
    assert titles(store) == {"Fixed"}


# --- bot-protection challenges ------------------------------------------------------------

CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title></head><body>"
    b"<noscript>Enable JavaScript and cookies to continue</noscript>"
    b"<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script>"
    b"</body></html>"
)


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (403, {"cf-mitigated": "challenge", "Server": "cloudflare"}),
        (403, {"Server": "cloudflare"}),
        (503, {"Server": "cloudflare"}),
    ],
    ids=["cf-mitigated", "403-page", "503-page"],
)
def test_a_challenge_page_is_blocked_with_its_reason(
    server: FeedServer, store: Store, status: int, headers: dict[str, str]
) -> None:
    server.routes["/cf"] = Route(
        body=CHALLENGE_PAGE,
        status=status,
        headers={**headers, "Content-Type": "text/html; charset=UTF-8"},
    )
    src = add(store, server.url("/cf"))
    cycle(store)
    after = source(store, src.id)
    assert after.health == "blocked"
    assert "the site blocks automated readers (Cloudflare challenge page)" in (
        after.last_error or ""
    )


@pytest.mark.parametrize(
    ("status", "headers", "page", "vendor"),
    [
        (403, {"cf-mitigated": "challenge"}, b"", "Cloudflare"),
        (403, {}, b"<title>Attention Required! | Cloudflare</title>", "Cloudflare"),
        (
            503,
            {},
            b"<script src='https://challenges.cloudflare.com/turnstile/v0/api.js'>",
            "Cloudflare",
        ),
        (403, {"server": "ddos-guard"}, b"<title>DDoS-Guard</title>", "DDoS-Guard"),
        (403, {}, b"<title>Sucuri WebSite Firewall - Access Denied</title>", "Sucuri"),
        (403, {}, b"<iframe src='/_Incapsula_Resource?x=1'>", "Imperva"),
        (403, {"server": "nginx"}, b"<h1>403 Forbidden</h1>", None),
        (404, {}, b"<title>Just a moment...</title>", None),
        (200, {"cf-mitigated": "challenge"}, b"<rss/>", None),
    ],
)
def test_challenge_pages_are_told_from_ordinary_errors(
    status: int, headers: dict[str, str], page: bytes, vendor: str | None
) -> None:
    assert challenge_vendor(status, CIMultiDict(headers), page) == vendor


def test_an_ordinary_403_stays_a_plain_error(server: FeedServer, store: Store) -> None:
    server.routes["/no"] = Route(body=b"Forbidden", status=403, headers={"Server": "nginx"})
    src = add(store, server.url("/no"))
    cycle(store)
    after = source(store, src.id)
    assert after.health == "error" and "HTTP 403" in (after.last_error or "")


# --- mislabelled encodings: the exact text is stored -------------------------------------

BOM_UTF8 = codecs.BOM_UTF8


def encoding_cases() -> list[tuple[str, bytes, str, set[str]]]:
    ru = rss_text(RU, RU_2)
    ru_undeclared = rss_text(RU, RU_2, declaration=None)
    hy = rss_text(HY, RU, lang="hy")
    latin = rss_text(LATIN, declaration="ISO-8859-1", channel="News", lang="en")
    both = {RU, RU_2}
    return [
        ("1251-declared-utf8", ru.encode("cp1251"), "application/rss+xml", both),
        ("1251-undeclared", ru_undeclared.encode("cp1251"), "application/xml", both),
        ("1251-http-utf8", ru_undeclared.encode("cp1251"), "text/xml; charset=utf-8", both),
        (
            "utf8-declared-1251",
            rss_text(RU, RU_2, declaration="windows-1251").encode(),
            "application/rss+xml",
            both,
        ),
        ("utf8-http-1251", ru.encode(), "application/rss+xml; charset=windows-1251", both),
        ("armenian-utf8-http-1251", hy.encode(), "text/xml; charset=windows-1251", {HY, RU}),
        (
            "latin1-with-1252-quotes",
            latin.encode("cp1252"),
            "text/xml; charset=ISO-8859-1",
            {LATIN},
        ),
        (
            "1251-declared-latin1",
            rss_text(RU, RU_2, declaration="iso-8859-1").encode("cp1251"),
            "application/rss+xml",
            both,
        ),
        ("1251-http-1252", ru_undeclared.encode("cp1251"), "text/xml; charset=windows-1252", both),
        ("koi8-undeclared", ru_undeclared.encode("koi8-r"), "application/rss+xml", both),
        (
            "koi8-http-1251",
            rss_text(RU, RU_2, declaration="koi8-r").encode("koi8-r"),
            "text/xml; charset=windows-1251",
            both,
        ),
        (
            "utf16-bom",
            codecs.BOM_UTF16_LE
            + rss_text(HY, RU, declaration="utf-16", lang="hy").encode("utf-16-le"),
            "application/rss+xml",
            {HY, RU},
        ),
        (
            "utf16-no-bom",
            rss_text(HY, RU, declaration="utf-16", lang="hy").encode("utf-16-be"),
            "application/rss+xml",
            {HY, RU},
        ),
        ("bom-beats-http", BOM_UTF8 + hy.encode(), "text/xml; charset=windows-1251", {HY, RU}),
        (
            "utf16-bom-beats-http",
            codecs.BOM_UTF16_BE + rss_text(HY, declaration=None, lang="hy").encode("utf-16-be"),
            "text/xml; charset=koi8-r",
            {HY},
        ),
        ("unknown-http-charset", ru.encode(), "application/rss+xml; charset=x-unheard-of", both),
        (
            "unknown-declared-charset",
            rss_text(RU, RU_2, declaration="x-unheard-of").encode("cp1251"),
            "application/rss+xml",
            both,
        ),
        (
            "utf8-encoded-twice",
            ru.encode().decode("cp1251").encode(),
            "application/rss+xml; charset=utf-8",
            both,
        ),
    ]


ENCODING_CASES = encoding_cases()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [c[1:] for c in ENCODING_CASES],
    ids=[c[0] for c in ENCODING_CASES],
)
def test_mislabelled_encodings_store_the_exact_text(
    server: FeedServer, store: Store, body: bytes, content_type: str, expected: set[str]
) -> None:
    server.routes["/feed"] = Route(body=body, content_type=content_type)
    src = add(store, server.url("/feed"))
    summary = cycle(store)
    assert summary.errors == 0
    assert titles(store) == expected
    assert source(store, src.id).health == "ok"


def test_an_overridden_charset_is_named_in_the_polls_log_line(
    server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/f"] = Route(body=rss_text(RU).encode("cp1251"), content_type="text/xml")
    add(store, server.url("/f"))
    with caplog.at_level(logging.INFO, logger="feeds.aggregate"):
        cycle(store)
    line = next(r.getMessage() for r in caplog.records if "/f: ok, 1 new" in r.getMessage())
    assert "charset: declared utf-8 (XML declaration)" in line
    assert "read as cp1251 (detected)" in line
    assert titles(store) == {RU}


def test_a_correctly_declared_feed_logs_no_charset_note(
    server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/f"] = Route(body=rss_text(RU, declaration="windows-1251").encode("cp1251"))
    server.routes["/f"].content_type = "application/rss+xml; charset=windows-1251"
    add(store, server.url("/f"))
    with caplog.at_level(logging.INFO, logger="feeds.aggregate"):
        cycle(store)
    assert titles(store) == {RU}
    assert not any("charset:" in r.getMessage() for r in caplog.records)


# --- the body, not Content-Type, says what a document is ----------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/html; charset=utf-8", "text/plain", ""]
)
def test_a_feed_is_read_whatever_content_type_claims(
    server: FeedServer, store: Store, content_type: str
) -> None:
    server.routes["/f"] = Route(body=rss_text(RU, RU_2).encode(), content_type=content_type)
    add(store, server.url("/f"))
    assert cycle(store).errors == 0
    assert titles(store) == {RU, RU_2}


def test_a_json_feed_is_read_by_its_version_whatever_content_type_claims(
    server: FeedServer, store: Store
) -> None:
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "language": "hy",'
        f' "items": [{{"id": "1", "title": "{HY}", "content_text": "x"}}]}}'
    )
    server.routes["/j"] = Route(body=BOM_UTF8 + feed.encode(), content_type="text/plain")
    add(store, server.url("/j"))
    assert cycle(store).errors == 0
    assert titles(store) == {HY}


def test_json_that_is_not_a_json_feed_is_a_clear_error(server: FeedServer, store: Store) -> None:
    server.routes["/j"] = Route(body=b'{"status": "ok"}', content_type="application/json")
    src = add(store, server.url("/j"))
    cycle(store)
    after = source(store, src.id)
    assert after.health == "error" and "not a JSON Feed" in (after.last_error or "")
