"""RFC 5005 archives: walk prev-archive from the current feed and find every story once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import Settings, SiteSettings
from feeds.model import Status
from feeds.publish.archive import is_closed
from feeds.publish.items import entry_id
from feeds.store import Store
from feeds.web.app import build_app
from tests.conftest import SCHEMAS
from tests.live import live_server
from tests.stories import NOW, story

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
SITE = SiteSettings(base_url="https://news.example", languages=("en", "hy", "ru"), max_items=10)
START = datetime(2026, 7, 30, 8, 0, tzinfo=UTC)
PUBLISHED = [f"s{i:02d}" for i in range(30)]


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    batch = [story(sid, when=START + timedelta(days=4 * i)) for i, sid in enumerate(PUBLISHED)]
    batch.append(story("recent", when=NOW - timedelta(minutes=5)))
    batch.append(story("draft", when=START + timedelta(days=3), status=Status.DRAFT))
    batch.append(story("withdrawn", when=START + timedelta(days=5)))
    batch.append(story("hy-only", when=START + timedelta(days=6), langs=("hy",)))
    store.upsert_articles(batch)
    store.retract_article("withdrawn")
    # revision_interval=0: each request sees the last write (archives follow Freshness).
    app = build_app(Settings(site=SITE), store, revision_interval=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def archived(*ids: str) -> set[str]:
    """The ids of those stories whose month is complete now: the ones archives hold."""
    when = {sid: START + timedelta(days=4 * i) for i, sid in enumerate(PUBLISHED)}
    when["recent"] = NOW - timedelta(minutes=5)
    when["hy-only"] = START + timedelta(days=6)
    return {sid for sid in ids if is_closed((when[sid].year, when[sid].month), datetime.now(UTC))}


def local(url: str) -> str:
    return url.removeprefix("https://news.example")


def rel(root: etree._Element, name: str) -> str | None:
    for link in root.iter(f"{ATOM}link"):
        parent = link.getparent()
        if (
            link.get("rel") == name
            and parent is not None
            and parent.tag
            in (
                f"{ATOM}feed",
                "channel",
            )
        ):
            return link.get("href")
    return None


def test_walking_atom_prev_archive_recovers_every_story_exactly_once(
    client: httpx.Client,
) -> None:
    current = etree.fromstring(client.get("/en/atom.xml").content)
    assert len(current.findall(f"{ATOM}entry")) == 10
    assert current.find(f"{FH}archive") is None
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    seen: list[str] = []
    months: list[str] = []
    url = rel(current, "prev-archive")
    newer_url: str | None = None
    while url is not None:
        assert len(months) < 12, "the archive chain does not end"
        got = client.get(local(url))
        assert got.status_code == 200
        doc = etree.fromstring(got.content)
        schema.assertValid(doc)
        assert doc.find(f"{FH}archive") is not None
        assert rel(doc, "current") == "https://news.example/en/atom.xml"
        assert rel(doc, "next-archive") == newer_url
        seen += [e.findtext(f"{ATOM}id") or "" for e in doc.findall(f"{ATOM}entry")]
        months.append(url.split("/archive/")[1])
        newer_url, url = url, rel(doc, "prev-archive")
    # Every story of every complete month, once; the current month's are the live feed's.
    expected = {entry_id(sid, "en") for sid in archived(*PUBLISHED, "recent")}
    assert len(seen) == len(set(seen)), "a story appears in two archives"
    assert set(seen) == expected
    assert months[-1] == "2026/07/atom.xml"
    now = datetime.now(UTC)
    assert f"{now.year:04d}/{now.month:02d}/" not in " ".join(months)


def test_rss_and_json_chains_reach_the_oldest_story(client: httpx.Client) -> None:
    rss = etree.fromstring(client.get("/hy/rss.xml").content)
    url = rel(rss, "prev-archive")
    guids: list[str] = []
    while url is not None:
        doc = etree.fromstring(client.get(local(url)).content)
        assert doc.find(f"channel/{FH}archive") is not None
        guids += [g.text or "" for g in doc.iter("guid")]
        url = rel(doc, "prev-archive")
    assert set(guids) == {entry_id(s, "hy") for s in archived(*PUBLISHED, "recent", "hy-only")}
    assert len(guids) == len(set(guids))

    page = client.get("/ru/feed.json").json()
    ids: list[str] = []
    while "next_url" in page:
        page = client.get(local(page["next_url"])).json()
        assert page["_feeds"]["archive"] is True
        ids += [item["id"] for item in page["items"]]
    assert sorted(ids) == sorted(entry_id(s, "ru") for s in archived(*PUBLISHED, "recent"))


def test_closed_months_are_cached_long_and_unknown_months_are_404(client: httpx.Client) -> None:
    closed = client.get("/en/archive/2026/08/atom.xml")
    assert closed.status_code == 200
    assert closed.headers["cache-control"] == "public, max-age=86400"
    again = client.get(
        "/en/archive/2026/08/atom.xml", headers={"If-None-Match": closed.headers["etag"]}
    )
    assert again.status_code == 304
    for path in (
        "/en/archive/2025/01/atom.xml",
        "/en/archive/2026/13/atom.xml",
        "/en/archive/2026/8/atom.xml",
        "/xx/archive/2026/08/atom.xml",
    ):
        assert client.get(path).status_code == 404, path
    body = json.dumps(client.get("/en/archive/2026/08/feed.json").json())
    assert "withdrawn" not in body and "draft" not in body


def test_an_archive_changes_when_a_story_in_it_is_retracted(
    client: httpx.Client, store: Store
) -> None:
    path = "/en/archive/2026/08/atom.xml"
    before = client.get(path)
    assert entry_id("s01", "en").encode() in before.content
    assert client.get(path).content == before.content  # served again, same bytes
    store.retract_article("s01")
    after = client.get(path)
    assert after.headers["etag"] != before.headers["etag"]
    doc = etree.fromstring(after.content)
    ids = [e.findtext(f"{ATOM}id") for e in doc.findall(f"{ATOM}entry")]
    assert entry_id("s01", "en") not in ids
    # RFC 6721: the month's archive says the story was taken down, for good.
    tombs = [t.get("ref") for t in doc.iter(f"{AT}deleted-entry")]
    assert entry_id("s01", "en") in tombs
