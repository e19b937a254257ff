"""A month with more stories than ``[site] archive_page_size`` is archived as pages: the
month's URL is its newest page, ``.../{MM}/2/...`` the next older, and so on. Walking
``prev-archive`` from the live feed (or ``next-archive`` back) meets every story of every
complete month in exactly one page; each page is a valid archive document of a bounded
size, and a retraction changes only its own page.

A real server with a clock the test moves (mid-November 2026: October is complete), a
real store, real XML checked against the Atom schema.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import Settings, SiteSettings
from feeds.model import Article
from feeds.publish.items import entry_id
from feeds.store import Store
from feeds.web.app import build_app
from feeds.web.archive import CLOSED_MONTH_MAX_AGE
from tests.conftest import SCHEMAS
from tests.live import live_server
from tests.stories import story

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
BASE = "https://news.example"
PAGE = 5
SITE = SiteSettings(
    base_url=BASE, languages=("en", "hy"), cache_max_age=77, archive_page_size=PAGE, max_items=4
)
NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
# September: 7 stories in English (two pages), October: 12 (three pages), of which the
# first 4 also in Armenian (one page); November, the current month by the clock: 7.
SEPTEMBER = [f"sep{i:02d}" for i in range(7)]
OCTOBER = [f"oct{i:02d}" for i in range(12)]
NOVEMBER_IDS = [f"nov{i:02d}" for i in range(7)]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def stories() -> list[Article]:
    batch = []
    for i, sid in enumerate(SEPTEMBER):
        batch.append(story(sid, when=datetime(2026, 9, 2 + 3 * i, tzinfo=UTC), langs=("en",)))
    for i, sid in enumerate(OCTOBER):
        langs = ("en", "hy") if i < 4 else ("en",)
        batch.append(story(sid, when=datetime(2026, 10, 1 + 2 * i, 6, tzinfo=UTC), langs=langs))
    # Two stories at the same second: the id breaks the tie, as in every feed.
    batch.append(story("oct-tie", when=datetime(2026, 10, 1, 6, tzinfo=UTC), langs=("en",)))
    for i, sid in enumerate(NOVEMBER_IDS):
        batch.append(story(sid, when=datetime(2026, 11, 1 + i, 9, tzinfo=UTC), langs=("en",)))
    return batch


OCTOBER_EN = [*OCTOBER, "oct-tie"]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOVEMBER)


@pytest.fixture
def client(store: Store, clock: Clock) -> Iterator[httpx.Client]:
    store.upsert_articles(stories())
    app = build_app(Settings(site=SITE), store, clock=clock, revision_interval=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def local(url: str) -> str:
    return url.removeprefix(BASE)


def rel(doc: etree._Element, name: str) -> str | None:
    found = [link.get("href") for link in doc.findall(f"{ATOM}link") if link.get("rel") == name]
    return found[0] if found else None


def atom(client: httpx.Client, path: str) -> tuple[httpx.Response, etree._Element]:
    got = client.get(path)
    assert got.status_code == 200, path
    doc = etree.fromstring(got.content)
    etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng"))).assertValid(doc)
    return got, doc


def entries(doc: etree._Element) -> list[str]:
    return [e.findtext(f"{ATOM}id") or "" for e in doc.findall(f"{ATOM}entry")]


def walk(client: httpx.Client, start: str, rel_name: str) -> list[tuple[str, etree._Element]]:
    """Every archive document from ``start`` along ``rel_name``, with its URL."""
    found: list[tuple[str, etree._Element]] = []
    url: str | None = start
    while url is not None:
        assert len(found) < 20, "the chain does not end"
        got, doc = atom(client, local(url))
        assert doc.find(f"{FH}archive") is not None, url
        assert got.headers["cache-control"] == f"public, max-age={CLOSED_MONTH_MAX_AGE}"
        found.append((url, doc))
        url = rel(doc, rel_name)
    return found


def ids(*names: str) -> set[str]:
    return {entry_id(n, "en") for n in names}


def test_walking_prev_archive_meets_every_story_once_in_pages_of_a_bounded_size(
    client: httpx.Client,
) -> None:
    live = atom(client, "/en/atom.xml")[1]
    newest = rel(live, "prev-archive")
    assert newest == f"{BASE}/en/archive/2026/10/atom.xml", "the newest page is the month's URL"
    chain = walk(client, newest, "prev-archive")
    assert [local(url) for url, _ in chain] == [
        "/en/archive/2026/10/atom.xml",
        "/en/archive/2026/10/2/atom.xml",
        "/en/archive/2026/10/3/atom.xml",
        "/en/archive/2026/09/atom.xml",
        "/en/archive/2026/09/2/atom.xml",
    ]
    seen: list[str] = []
    published: list[str] = []
    for url, doc in chain:
        assert len(entries(doc)) <= PAGE
        assert rel(doc, "current") == f"{BASE}/en/atom.xml"
        (self_link,) = [
            link.get("href") for link in doc.findall(f"{ATOM}link") if link.get("rel") == "self"
        ]
        assert self_link == url
        seen += entries(doc)
        published += [e.findtext(f"{ATOM}published") or "" for e in doc.findall(f"{ATOM}entry")]
    assert len(seen) == len(set(seen)), "a story is on two pages"
    assert set(seen) == ids(*SEPTEMBER, *OCTOBER_EN)
    assert published == sorted(published, reverse=True), "each page is older than the one before"
    assert [len(entries(doc)) for _, doc in chain] == [5, 5, 3, 5, 2]
    assert not {entry_id(n, "en") for n in NOVEMBER_IDS} & set(seen)


def test_next_archive_walks_the_same_pages_back(client: httpx.Client) -> None:
    back = walk(client, f"{BASE}/en/archive/2026/09/2/atom.xml", "next-archive")
    assert [local(url) for url, _ in back] == [
        "/en/archive/2026/09/2/atom.xml",
        "/en/archive/2026/09/atom.xml",
        "/en/archive/2026/10/3/atom.xml",
        "/en/archive/2026/10/2/atom.xml",
        "/en/archive/2026/10/atom.xml",
    ]
    # Each link is answered by the one it came from: prev of a page's next is the page.
    for (older_url, older), (newer_url, newer) in itertools.pairwise(back):
        assert rel(older, "next-archive") == newer_url
        assert rel(newer, "prev-archive") == older_url
    assert rel(back[-1][1], "next-archive") is None, "November is not an archive yet"
    assert rel(back[0][1], "prev-archive") is None


def test_rss_and_json_pages_chain_the_same_way(client: httpx.Client) -> None:
    rss = etree.fromstring(client.get("/en/rss.xml").content)
    url = rel(rss.find("channel"), "prev-archive")  # type: ignore[arg-type]
    guids: list[str] = []
    pages = 0
    while url is not None:
        doc = etree.fromstring(client.get(local(url)).content)
        channel = doc.find("channel")
        assert channel is not None and channel.find(f"{FH}archive") is not None
        items = [g.text or "" for g in channel.iter("guid")]
        assert len(items) <= PAGE
        guids += items
        pages += 1
        url = rel(channel, "prev-archive")
    assert pages == 5
    assert sorted(guids) == sorted(ids(*SEPTEMBER, *OCTOBER_EN))

    page = client.get("/en/feed.json").json()
    json_ids: list[str] = []
    while "next_url" in page:
        page = client.get(local(page["next_url"])).json()
        assert page["_feeds"]["archive"] is True
        assert len(page["items"]) <= PAGE
        json_ids += [item["id"] for item in page["items"]]
    assert sorted(json_ids) == sorted(ids(*SEPTEMBER, *OCTOBER_EN))


def test_a_month_that_fits_one_page_is_one_document_at_the_month_s_url(
    client: httpx.Client,
) -> None:
    _, doc = atom(client, "/hy/archive/2026/10/atom.xml")
    assert entries(doc) == [entry_id(sid, "hy") for sid in reversed(OCTOBER[:4])]
    assert rel(doc, "prev-archive") is None and rel(doc, "next-archive") is None
    assert client.get("/hy/archive/2026/10/2/atom.xml").status_code == 404
    for path in (
        "/en/archive/2026/10/1/atom.xml",  # page 1 is the month's own URL
        "/en/archive/2026/10/02/atom.xml",
        "/en/archive/2026/10/4/atom.xml",  # past the oldest page
        "/en/archive/2026/10/0/atom.xml",
        "/en/archive/2026/10/x/atom.xml",
        "/en/archive/2026/08/2/atom.xml",
        "/en/archive/2026/10/2/index.html",
    ):
        assert client.get(path).status_code == 404, path


def test_an_older_page_is_cached_and_revalidated_like_the_month(client: httpx.Client) -> None:
    got = client.get("/en/archive/2026/10/2/atom.xml")
    assert got.headers["cache-control"] == f"public, max-age={CLOSED_MONTH_MAX_AGE}"
    again = client.get(
        "/en/archive/2026/10/2/atom.xml", headers={"If-None-Match": got.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get("/en/archive/2026/10/2/atom.xml").content == got.content


def test_a_retraction_changes_its_own_page_only_and_leaves_a_tombstone_there(
    client: httpx.Client, store: Store
) -> None:
    paths = [f"/en/archive/2026/10/{p}atom.xml" for p in ("", "2/", "3/")]
    before = {path: client.get(path).content for path in paths}
    middle = entries(etree.fromstring(before[paths[1]]))
    victim = next(sid for sid in OCTOBER_EN if entry_id(sid, "en") == middle[2])
    store.retract_article(victim)
    _, doc = atom(client, paths[1])
    assert entries(doc) == [m for m in middle if m != middle[2]]
    assert [t.get("ref") for t in doc.iter(f"{AT}deleted-entry")] == [middle[2]]
    # No story moved: the other pages are the same bytes.
    for path in (paths[0], paths[2]):
        assert client.get(path).content == before[path], path
    # RSS and JSON Feed have no tombstones: the story is simply gone from its page.
    assert (
        entry_id(victim, "en").encode() not in client.get("/en/archive/2026/10/2/rss.xml").content
    )


def test_the_current_month_s_pages_are_pages_of_the_live_feed(client: httpx.Client) -> None:
    got, doc = atom(client, "/en/archive/2026/11/atom.xml")
    assert got.headers["cache-control"] == "public, max-age=77"
    assert doc.find(f"{FH}archive") is None
    assert entries(doc) == [entry_id(sid, "en") for sid in reversed(NOVEMBER_IDS[2:])]
    assert rel(doc, "prev-archive") == f"{BASE}/en/archive/2026/11/2/atom.xml"
    assert rel(doc, "next-archive") is None
    got, doc = atom(client, "/en/archive/2026/11/2/atom.xml")
    assert got.headers["cache-control"] == "public, max-age=77"
    assert doc.find(f"{FH}archive") is None
    assert entries(doc) == [entry_id(sid, "en") for sid in reversed(NOVEMBER_IDS[:2])]
    assert rel(doc, "prev-archive") == f"{BASE}/en/archive/2026/10/atom.xml"
    assert rel(doc, "next-archive") is None, "an archive links to archives only"


def test_when_the_month_ends_its_oldest_page_follows_the_month_before(
    client: httpx.Client, clock: Clock
) -> None:
    assert rel(atom(client, "/en/archive/2026/10/atom.xml")[1], "next-archive") is None
    clock.now = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=1)
    october = atom(client, "/en/archive/2026/10/atom.xml")[1]
    assert rel(october, "next-archive") == f"{BASE}/en/archive/2026/11/2/atom.xml"
    live = atom(client, "/en/atom.xml")[1]
    assert rel(live, "prev-archive") == f"{BASE}/en/archive/2026/11/atom.xml"
    chain = walk(client, f"{BASE}/en/archive/2026/11/atom.xml", "prev-archive")
    seen = [e for _, doc in chain for e in entries(doc)]
    assert len(seen) == len(set(seen))
    assert set(seen) == ids(*SEPTEMBER, *OCTOBER_EN, *NOVEMBER_IDS)
