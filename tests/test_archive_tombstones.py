"""Retractions: the story leaves every feed at once; Atom feeds carry an RFC 6721 tombstone
for the configured days; a corrected story keeps its id and gets a new updated time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import Settings, SiteSettings
from feeds.publish import FeedDescription, FeedKey, Format, render
from feeds.publish.items import entry_id
from feeds.publish.tombstone import AT_NS, Retraction, TombstoneExtension
from feeds.store import Store
from feeds.web.app import build_app
from tests.conftest import SCHEMAS
from tests.live import live_server
from tests.stories import story

ATOM = "{http://www.w3.org/2005/Atom}"
AT = f"{{{AT_NS}}}"


def serve(store: Store, **site: object) -> Iterator[httpx.Client]:
    settings = Settings(
        site=SiteSettings(base_url="https://news.example", languages=("en", "hy"), **site)  # type: ignore[arg-type]
    )
    app = build_app(settings, store, revision_interval=0.0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    yield from serve(store)


def test_retracted_story_leaves_feeds_and_atom_carries_its_tombstone(
    client: httpx.Client, store: Store
) -> None:
    store.upsert_articles([story("kept", hours_ago=2), story("wrong", hours_ago=1)])
    assert b"/en/wrong" in client.get("/en/atom.xml").content
    store.retract_article("wrong")

    atom = etree.fromstring(client.get("/en/atom.xml").content)
    ids = [e.findtext(f"{ATOM}id") for e in atom.findall(f"{ATOM}entry")]
    assert ids == [entry_id("kept", "en")]
    (tomb,) = atom.findall(f"{AT}deleted-entry")
    assert tomb.get("ref") == entry_id("wrong", "en")
    when = datetime.fromisoformat(tomb.get("when") or "")
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=5)
    link = tomb.find(f"{ATOM}link")
    assert link is not None and link.get("href") == "https://news.example/en/wrong"
    etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng"))).assertValid(atom)

    section = etree.fromstring(client.get("/hy/section/economy/atom.xml").content)
    assert [t.get("ref") for t in section.iter(f"{AT}deleted-entry")] == [entry_id("wrong", "hy")]
    for path in ("/en/rss.xml", "/en/feed.json", "/hy/section/economy/rss.xml"):
        body = client.get(path).content
        assert b"/wrong" not in body, path


def test_tombstones_expire_after_the_configured_days(store: Store) -> None:
    store.upsert_articles([story("kept", hours_ago=2), story("wrong")])
    store.retract_article("wrong")
    for http in serve(store, tombstone_days=0):
        assert b"deleted-entry" not in http.get("/en/atom.xml").content


def test_tombstone_bytes_are_deterministic_and_atom_only() -> None:
    d = FeedDescription(
        key=FeedKey("en"),
        title="t",
        description="d",
        home_url="https://n.example/en/",
        self_url="https://n.example/en/atom.xml",
        icon="https://n.example/i.png",
        logo="https://n.example/l.png",
        publisher="p",
    )
    at = datetime(2026, 11, 1, tzinfo=UTC)
    ext = TombstoneExtension([Retraction("b", at), Retraction("a", at)])
    atom = render(d, Format.ATOM, [], extensions=[ext])
    assert atom == render(d, Format.ATOM, [], extensions=[ext])
    refs = [t.get("ref") for t in etree.fromstring(atom).iter(f"{AT}deleted-entry")]
    assert refs == [entry_id("b", "en"), entry_id("a", "en")]
    rss = render(
        dataclasses.replace(d, self_url="https://n.example/en/rss.xml"),
        Format.RSS,
        [],
        extensions=[ext],
    )
    assert b"deleted-entry" not in rss


def test_correction_keeps_the_id_and_moves_updated(client: httpx.Client, store: Store) -> None:
    first = story("fixed", hours_ago=3)
    store.upsert_article(first)
    before = etree.fromstring(client.get("/en/atom.xml").content).find(f"{ATOM}entry")
    corrected = dataclasses.replace(
        first,
        updated=first.updated + timedelta(hours=2),
        translations=tuple(
            dataclasses.replace(t, title=t.title + " (corrected)") for t in first.translations
        ),
    )
    store.upsert_article(corrected)
    after = etree.fromstring(client.get("/en/atom.xml").content).find(f"{ATOM}entry")
    assert before is not None and after is not None
    assert after.findtext(f"{ATOM}id") == before.findtext(f"{ATOM}id") == entry_id("fixed", "en")
    assert (after.findtext(f"{ATOM}title") or "").endswith("(corrected)")
    assert after.findtext(f"{ATOM}updated") != before.findtext(f"{ATOM}updated")
    assert after.findtext(f"{ATOM}published") == before.findtext(f"{ATOM}published")
