"""Only a complete month (UTC, by the injected clock) is an RFC 5005 archive; a story
retracted after it was public stays in its month's Atom archive as an RFC 6721 tombstone.

The archive routes run on a real server with a clock the test moves; the store is real.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import Settings, SiteSettings
from feeds.model import Status
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
SITE = SiteSettings(base_url="https://news.example", languages=("en", "hy"), cache_max_age=77)
# Mid-November 2026 on the injected clock: October is complete, November is not.
NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOVEMBER)


@pytest.fixture
def client(store: Store, clock: Clock) -> Iterator[httpx.Client]:
    store.upsert_articles(
        [
            story("sep-only", when=datetime(2026, 9, 10, tzinfo=UTC)),
            story("oct-a", when=datetime(2026, 10, 3, tzinfo=UTC)),
            story("oct-b", when=datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
            story("oct-hy", when=datetime(2026, 10, 5, tzinfo=UTC), langs=("hy",)),
            story("oct-draft", when=datetime(2026, 10, 6, tzinfo=UTC), status=Status.DRAFT),
            story("nov-a", when=datetime(2026, 11, 1, tzinfo=UTC)),
            # Still under embargo on the clock (the store's own time is later).
            story("nov-later", when=datetime(2026, 11, 20, tzinfo=UTC)),
        ]
    )
    app = build_app(Settings(site=SITE), store, clock=clock, revision_interval=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def atom(client: httpx.Client, path: str) -> tuple[httpx.Response, etree._Element]:
    got = client.get(path)
    assert got.status_code == 200, path
    doc = etree.fromstring(got.content)
    etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng"))).assertValid(doc)
    return got, doc


def rel(doc: etree._Element, name: str) -> str | None:
    found = [link.get("href") for link in doc.findall(f"{ATOM}link") if link.get("rel") == name]
    return found[0] if found else None


def entries(doc: etree._Element) -> list[str | None]:
    return [e.findtext(f"{ATOM}id") for e in doc.findall(f"{ATOM}entry")]


def test_a_complete_month_is_an_archive_and_the_current_month_is_not(
    client: httpx.Client,
) -> None:
    october, doc = atom(client, "/en/archive/2026/10/atom.xml")
    assert october.headers["cache-control"] == f"public, max-age={CLOSED_MONTH_MAX_AGE}"
    assert doc.find(f"{FH}archive") is not None
    assert entries(doc) == [entry_id("oct-b", "en"), entry_id("oct-a", "en")]
    assert rel(doc, "prev-archive") == "https://news.example/en/archive/2026/09/atom.xml"
    assert rel(doc, "next-archive") is None, "November is not an archive yet"
    assert rel(doc, "current") == "https://news.example/en/atom.xml"

    november, doc = atom(client, "/en/archive/2026/11/atom.xml")
    # RFC 5005 §4: not stable yet, so no fh:archive and the live feed's short lifetime.
    assert november.headers["cache-control"] == "public, max-age=77"
    assert doc.find(f"{FH}archive") is None
    assert entries(doc) == [entry_id("nov-a", "en")]  # the embargoed one is not out
    assert rel(doc, "prev-archive") == "https://news.example/en/archive/2026/10/atom.xml"
    page = client.get("/en/archive/2026/11/feed.json").json()
    assert "archive" not in page["_feeds"]
    assert page["next_url"] == "https://news.example/en/archive/2026/10/feed.json"
    assert client.get("/en/archive/2026/12/atom.xml").status_code == 404


def test_when_the_month_ends_it_becomes_the_newest_archive(
    client: httpx.Client, clock: Clock
) -> None:
    assert rel(atom(client, "/en/archive/2026/10/atom.xml")[1], "next-archive") is None
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)
    november, doc = atom(client, "/en/archive/2026/11/atom.xml")
    assert november.headers["cache-control"] == f"public, max-age={CLOSED_MONTH_MAX_AGE}"
    assert doc.find(f"{FH}archive") is not None
    assert entries(doc) == [entry_id("nov-later", "en"), entry_id("nov-a", "en")]
    october = atom(client, "/en/archive/2026/10/atom.xml")[1]
    assert rel(october, "next-archive") == "https://news.example/en/archive/2026/11/atom.xml"


def test_the_month_is_counted_in_utc(client: httpx.Client, clock: Clock) -> None:
    # 23:59 on 31 October in UTC is already November in Yerevan: still October here.
    clock.now = datetime(2026, 10, 31, 23, 59, 30, tzinfo=UTC)
    got = client.get("/en/archive/2026/10/atom.xml")
    assert got.headers["cache-control"] == "public, max-age=77"
    clock.now = datetime(2026, 11, 1, 0, 0, 30, tzinfo=UTC).astimezone()
    got = client.get("/en/archive/2026/10/atom.xml")
    assert got.headers["cache-control"] == f"public, max-age={CLOSED_MONTH_MAX_AGE}"


def test_a_story_retracted_from_an_archived_month_leaves_a_tombstone(
    client: httpx.Client, store: Store
) -> None:
    before = client.get("/en/archive/2026/10/atom.xml")
    store.retract_article("oct-a")
    store.retract_article("sep-only")  # the month's only story
    after, doc = atom(client, "/en/archive/2026/10/atom.xml")
    assert after.headers["etag"] != before.headers["etag"]
    assert entries(doc) == [entry_id("oct-b", "en")]
    (tomb,) = doc.findall(f"{AT}deleted-entry")
    assert tomb.get("ref") == entry_id("oct-a", "en")
    link = tomb.find(f"{ATOM}link")
    assert link is not None and link.get("href") == "https://news.example/en/oct-a"
    # A month whose every story was retracted keeps its archive, now only tombstones,
    # so the chain and its URLs stay whole.
    _, september = atom(client, "/en/archive/2026/09/atom.xml")
    assert entries(september) == []
    assert [t.get("ref") for t in september.iter(f"{AT}deleted-entry")] == [
        entry_id("sep-only", "en")
    ]
    assert rel(doc, "prev-archive") == "https://news.example/en/archive/2026/09/atom.xml"
    # RSS and JSON Feed have no tombstones: the story is simply gone.
    for path in ("/en/archive/2026/10/rss.xml", "/en/archive/2026/10/feed.json"):
        assert b"oct-a" not in client.get(path).content, path
    # Each language's archive has its own stories' tombstones only.
    hy = atom(client, "/hy/archive/2026/10/atom.xml")[1]
    assert [t.get("ref") for t in hy.iter(f"{AT}deleted-entry")] == [entry_id("oct-a", "hy")]


@pytest.fixture
def live(store: Store) -> Iterator[httpx.Client]:
    """The whole app on the real clock, with stories dated relative to now."""
    now = datetime.now(UTC)
    this_month = datetime(now.year, now.month, 1, tzinfo=UTC)
    store.upsert_articles(
        [
            story("this-month", when=this_month),
            story("earlier", when=this_month - timedelta(days=40)),
        ]
    )
    app = build_app(Settings(site=SITE), store)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def test_the_live_feed_points_at_the_newest_complete_month(live: httpx.Client) -> None:
    now = datetime.now(UTC)
    earlier = datetime(now.year, now.month, 1, tzinfo=UTC) - timedelta(days=40)
    month = f"{earlier.year:04d}/{earlier.month:02d}"
    feed = etree.fromstring(live.get("/en/atom.xml").content)
    assert rel(feed, "prev-archive") == f"https://news.example/en/archive/{month}/atom.xml"
    # JSON Feed's next page is the same month, not the current month whose stories are all
    # in this very feed.
    page = live.get("/en/feed.json").json()
    assert page["next_url"] == f"https://news.example/en/archive/{month}/feed.json"
    assert [item["id"] for item in page["items"]] == [
        entry_id("this-month", "en"),
        entry_id("earlier", "en"),
    ]
