"""render is deterministic, orders items itself, keeps ids stable and runs partner hooks."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.model import Article
from feeds.publish import Extension, FeedKey, Format, RenderContext, entry_id, render
from tests.publish_fixtures import all_articles, budget, chosen, describe

EN = FeedKey("en")


def render_en(fmt: Format, articles: list[Article], **kwargs: Any) -> bytes:
    return render(describe(EN, fmt), fmt, articles, **kwargs)


@pytest.mark.parametrize("fmt", list(Format))
def test_the_same_data_renders_the_same_bytes(fmt: Format) -> None:
    first = render_en(fmt, chosen(EN))
    second = render_en(fmt, list(reversed(chosen(EN))))
    assert first == second


@pytest.mark.parametrize("fmt", list(Format))
def test_editing_one_story_changes_the_bytes(fmt: Format) -> None:
    before = render_en(fmt, chosen(EN))
    edited = [
        dataclasses.replace(a, updated=a.updated + timedelta(minutes=5))
        if a.id == "yerevan-metro-fares"
        else a
        for a in chosen(EN)
    ]
    assert render_en(fmt, edited) != before


@pytest.mark.parametrize("fmt", list(Format))
def test_the_feed_date_is_the_newest_edit_and_never_the_clock(fmt: Format) -> None:
    stories = chosen(EN)
    newest = max(a.updated for a in stories) + timedelta(days=3)
    edited = [dataclasses.replace(stories[0], updated=newest), *stories[1:]]
    parsed = feedparser.parse(render_en(fmt, edited)) if fmt is not Format.JSON else None
    if parsed is not None:
        assert parsed.feed.updated_parsed[:6] == newest.utctimetuple()[:6]
    else:
        assert b'"updated":"2026-11-30T10:15:00+00:00"' in render_en(fmt, edited)


@pytest.mark.parametrize("fmt", [Format.RSS, Format.ATOM])
def test_items_are_newest_first_with_ties_broken_by_id(fmt: Format) -> None:
    hy = FeedKey("hy")
    parsed = feedparser.parse(render(describe(hy, fmt), fmt, chosen(hy)))
    # gyumri-festival and yerevan-metro-fares share a publication time.
    assert [e.id for e in parsed.entries] == [
        entry_id("2026-budget", "hy"),
        entry_id("gyumri-festival", "hy"),
        entry_id("yerevan-metro-fares", "hy"),
    ]


def test_an_item_id_depends_only_on_the_story_id_and_language() -> None:
    story = budget()
    retitled = dataclasses.replace(
        story,
        updated=story.updated + timedelta(hours=1),
        translations=tuple(
            dataclasses.replace(t, title=t.title + " (updated)", url=t.url + "-v2")
            for t in story.translations
        ),
    )
    ids = [feedparser.parse(render_en(Format.ATOM, [a])).entries[0].id for a in (story, retitled)]
    assert ids[0] == ids[1] == entry_id("2026-budget", "en")
    assert entry_id("2026-budget", "en") != entry_id("2026-budget", "hy")
    # A standard name-based UUID (RFC 4122 version 5), so any tool can check it.
    parsed = uuid.UUID(entry_id("2026-budget", "en").removeprefix("urn:uuid:"))
    assert parsed.version == 5


def test_rendering_is_safe_on_many_threads_at_once() -> None:
    expected = {fmt: render_en(fmt, all_articles()) for fmt in Format}
    results: list[bool] = []

    def work() -> None:
        for _ in range(20):
            results.extend(render_en(fmt, all_articles()) == expected[fmt] for fmt in Format)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4 * 20 * 3 and all(results)


# --- the partner extension hook ---------------------------------------------------------

PARTNER_NS = "https://partner.example/ns"


class Stamp(Extension):
    """A toy partner profile: one feed-level and one item-level element or key."""

    name = "stamp"

    def namespaces(self) -> Mapping[str, str]:
        return {"p": PARTNER_NS}

    def feed_xml(self, element: etree._Element, ctx: RenderContext) -> None:
        etree.SubElement(element, f"{{{PARTNER_NS}}}brand").text = ctx.description.publisher

    def entry_xml(self, element: etree._Element, article: Article, ctx: RenderContext) -> None:
        etree.SubElement(element, f"{{{PARTNER_NS}}}story", ref=article.id).text = ctx.translation(
            article
        ).title
        etree.SubElement(
            element, ctx.atom("link"), href=f"https://partner.example/{article.id}", rel="related"
        )

    def feed_json(self, feed: dict[str, Any], ctx: RenderContext) -> None:
        feed["_stamp"] = {"brand": ctx.description.publisher}

    def entry_json(self, item: dict[str, Any], article: Article, ctx: RenderContext) -> None:
        item["_stamp"] = {"ref": article.id, "lang": ctx.lang}


@pytest.mark.parametrize("fmt", [Format.RSS, Format.ATOM])
def test_an_extension_adds_its_namespace_and_elements(fmt: Format) -> None:
    data = render_en(fmt, chosen(EN), extensions=[Stamp()])
    root = etree.fromstring(data)
    assert root.nsmap.get("p") == PARTNER_NS  # declared once, on the root
    assert data.count(PARTNER_NS.encode()) == 1
    brands = root.findall(f".//{{{PARTNER_NS}}}brand")
    assert [b.text for b in brands] == ["Caucasus Wire"]
    stories = root.findall(f".//{{{PARTNER_NS}}}story")
    assert sorted(s.get("ref") for s in stories) == sorted(a.id for a in chosen(EN))
    related = [
        link.get("href")
        for link in root.iter("{http://www.w3.org/2005/Atom}link")
        if link.get("rel") == "related"
    ]
    assert len(related) == len(chosen(EN))
    assert render_en(fmt, chosen(EN)).count(PARTNER_NS.encode()) == 0


def test_an_extension_adds_json_keys() -> None:
    import json

    doc = json.loads(render_en(Format.JSON, chosen(EN), extensions=[Stamp()]))
    assert doc["_stamp"] == {"brand": "Caucasus Wire"}
    assert all(item["_stamp"]["lang"] == "en" for item in doc["items"])


class Clash(Extension):
    name = "clash"

    def namespaces(self) -> Mapping[str, str]:
        return {"media": "https://not-media-rss.example/"}


def test_an_extension_cannot_rebind_a_prefix_in_use() -> None:
    with pytest.raises(ValueError, match="'clash' binds prefix 'media'"):
        render_en(Format.RSS, chosen(EN), extensions=[Clash()])


def test_partner_hooks_still_give_a_valid_atom_feed() -> None:
    from tests.conftest import SCHEMAS

    relaxng = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    doc = etree.fromstring(render_en(Format.ATOM, chosen(EN), extensions=[Stamp()]))
    assert relaxng.validate(doc), relaxng.error_log


def test_a_naive_fallback_date_is_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(describe(EN, Format.RSS), updated_fallback=datetime(2026, 1, 1))
