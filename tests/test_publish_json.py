"""JSON Feed 1.1 documents carry every required field plus our translations extension."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from feeds.publish import FeedKey, Format, Kind, entry_id, render
from tests.publish_fixtures import BASE, HUB, PUBLISHED_BODY, SELECTIONS, chosen, describe


def json_feed(selection: FeedKey, *, full_text: bool = True) -> tuple[bytes, dict[str, Any]]:
    data = render(
        describe(selection, Format.JSON, full_text=full_text), Format.JSON, chosen(selection)
    )
    return data, json.loads(data.decode("utf-8"))


@pytest.mark.parametrize(
    "selection", SELECTIONS, ids=[s.in_format(Format.JSON).path for s in SELECTIONS]
)
@pytest.mark.parametrize("full_text", [True, False], ids=["full", "summaries"])
def test_every_json_feed_has_what_the_1_1_spec_requires(
    selection: FeedKey, full_text: bool
) -> None:
    _, doc = json_feed(selection, full_text=full_text)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"]
    assert doc["language"] == selection.lang
    assert doc["feed_url"] == BASE + selection.in_format(Format.JSON).path
    assert doc["home_page_url"] == f"{BASE}/{selection.lang}/"
    assert doc["icon"] == f"{BASE}/static/logo.png"
    assert doc["favicon"] == f"{BASE}/static/icon.png"
    assert doc["authors"] == [{"name": "Caucasus Wire", "url": f"{BASE}/{selection.lang}/"}]
    assert doc["hubs"] == [{"type": "WebSub", "url": HUB}]
    assert len(doc["items"]) == len(chosen(selection))
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert ("content_html" in item) or ("content_text" in item)
        if not full_text:
            assert "content_html" not in item
        for key in ("date_published", "date_modified"):
            assert datetime.fromisoformat(item[key]).utcoffset() is not None


def test_items_carry_url_dates_authors_tags_image_and_translations() -> None:
    _, doc = json_feed(FeedKey("en"))
    item = next(i for i in doc["items"] if i["id"] == entry_id("2026-budget", "en"))
    assert item["url"] == f"{BASE}/en/news/2026-budget"
    assert item["title"] == "Parliament passes the 2027 budget"
    assert item["summary"] == "Deputies approved spending of 3 trillion drams."
    assert item["date_published"] == "2026-11-27T09:30:00+00:00"
    assert item["date_modified"] == "2026-11-27T10:15:00+00:00"
    assert item["authors"] == [
        {"name": "Anna Petrosyan", "url": f"{BASE}/en/author/anna-petrosyan"},
        {"name": "Davit Grigoryan"},
    ]
    assert item["tags"] == ["Politics", "Budget", "Parliament"]
    assert item["image"] == f"{BASE}/media/parliament.jpg"
    assert item["language"] == "en"
    assert item["_feeds"]["translations"] == [
        {"language": "hy", "url": f"{BASE}/hy/news/2026-budget"},
        {"language": "ru", "url": f"{BASE}/ru/news/2026-budget"},
    ]


def test_the_feed_lists_its_other_languages_and_formats() -> None:
    _, doc = json_feed(FeedKey("hy"))
    assert doc["_feeds"]["translations"] == [
        {"language": "en", "url": f"{BASE}/en/feed.json"},
        {"language": "ru", "url": f"{BASE}/ru/feed.json"},
    ]
    assert {f["type"]: f["url"] for f in doc["_feeds"]["formats"]} == {
        "application/rss+xml": f"{BASE}/hy/rss.xml",
        "application/atom+xml": f"{BASE}/hy/atom.xml",
    }
    assert doc["_feeds"]["updated"] == "2026-11-27T10:15:00+00:00"
    assert doc["title"] == "Կովկաս Լուր"


def test_text_is_utf8_not_escaped_and_hostile_html_survives() -> None:
    data, doc = json_feed(FeedKey("hy"))
    assert "Կովկաս Լուր".encode() in data
    assert b"\\u" not in data
    metro = next(i for i in doc["items"] if i["id"] == entry_id("yerevan-metro-fares", "hy"))
    assert metro["content_html"] == PUBLISHED_BODY
    _, en = json_feed(FeedKey("en"))
    metro = next(i for i in en["items"] if i["id"] == entry_id("yerevan-metro-fares", "en"))
    assert metro["title"] == "Metro fares & <tickets> double ]]> overnight"


def test_a_summary_only_item_uses_content_text() -> None:
    _, doc = json_feed(FeedKey("hy", Kind.TAG, "գյումրի"))
    (item,) = doc["items"]
    assert item["content_text"] == "Երեք օր երաժշտություն։"
    assert "content_html" not in item


def test_an_aggregated_item_keeps_its_link_and_names_its_source() -> None:
    _, doc = json_feed(FeedKey("en", Kind.AGGREGATED))
    (item,) = doc["items"]
    assert item["url"] == "https://weekly.example/2026/11/27/winter-aid"
    assert item["_feeds"]["source"] == {
        "title": "The Armenian Weekly",
        "feed_url": "https://weekly.example/feed/",
        "url": "https://weekly.example/",
    }
