"""Atom feeds are valid RFC 4287 documents that readers understand, in every language."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feeds.i18n import words
from feeds.publish import FeedKey, Format, Kind, entry_id, render
from feeds.publish.byline import join_names
from tests.publish_fixtures import (
    BASE,
    HUB,
    PUBLISHED_BODY,
    SELECTIONS,
    aggregated,
    all_articles,
    budget,
    chosen,
    describe,
    gyumri,
)

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM, "media": "http://search.yahoo.com/mrss/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "atom.rng"


def atom(selection: FeedKey, *, full_text: bool = True) -> bytes:
    return render(
        describe(selection, Format.ATOM, full_text=full_text), Format.ATOM, chosen(selection)
    )


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


@pytest.fixture(scope="module")
def relaxng() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


CASES = [(s, full) for s in SELECTIONS for full in (True, False)]
IDS = [f"{s.in_format(Format.ATOM).path}{'' if full else ' summaries'}" for s, full in CASES]


@pytest.mark.parametrize(("selection", "full_text"), CASES, ids=IDS)
def test_every_atom_feed_validates_against_the_rfc_4287_schema(
    relaxng: etree.RelaxNG, selection: FeedKey, full_text: bool
) -> None:
    doc = parse(atom(selection, full_text=full_text))
    assert relaxng.validate(doc), relaxng.error_log


@pytest.mark.parametrize(("selection", "full_text"), CASES, ids=IDS)
def test_every_atom_feed_keeps_the_schematron_rules_of_rfc_4287(
    selection: FeedKey, full_text: bool
) -> None:
    feed = parse(atom(selection, full_text=full_text))
    feed_has_author = feed.find("a:author", NS) is not None
    for entry in feed.findall("a:entry", NS):
        entry_id_ = entry.findtext("a:id", namespaces=NS)
        # An entry needs an author unless its feed or source has one.
        has_author = (
            entry.find("a:author", NS) is not None
            or entry.find("a:source/a:author", NS) is not None
            or feed_has_author
        )
        assert has_author, entry_id_
        # An entry without content needs a rel=alternate link.
        if entry.find("a:content", NS) is None:
            alternates = [
                link
                for link in entry.findall("a:link", NS)
                if link.get("rel", "alternate") == "alternate"
            ]
            assert alternates, entry_id_
        # Content with src needs a summary.
        for content in entry.findall("a:content", NS):
            if content.get("src") is not None:
                assert entry.find("a:summary", NS) is not None, entry_id_


@pytest.mark.parametrize(
    "selection", SELECTIONS, ids=[s.in_format(Format.ATOM).path for s in SELECTIONS]
)
def test_no_two_alternate_links_share_type_and_language(selection: FeedKey) -> None:
    """RFC 4287 §4.1.1 and §4.1.2: at most one rel=alternate link per (type, hreflang)."""
    feed = parse(atom(selection))
    for parent in [feed, *feed.findall("a:entry", NS)]:
        combos = Counter(
            (link.get("type"), link.get("hreflang"))
            for link in parent.findall("a:link", NS)
            if link.get("rel", "alternate") == "alternate"
        )
        assert all(n == 1 for n in combos.values()), combos


def test_the_feed_declares_its_language_itself_its_siblings_and_its_images() -> None:
    selection = FeedKey("hy")
    feed = parse(atom(selection))
    assert feed.get(XML_LANG) == "hy"
    links = {
        (link.get("rel"), link.get("type"), link.get("hreflang")): link.get("href")
        for link in feed.findall("a:link", NS)
    }
    assert links[("self", "application/atom+xml", None)] == f"{BASE}/hy/atom.xml"
    assert links[("alternate", "text/html", "hy")] == f"{BASE}/hy/"
    assert links[("alternate", "application/atom+xml", "en")] == f"{BASE}/en/atom.xml"
    assert links[("alternate", "application/atom+xml", "ru")] == f"{BASE}/ru/atom.xml"
    assert links[("alternate", "application/rss+xml", "hy")] == f"{BASE}/hy/rss.xml"
    assert links[("alternate", "application/feed+json", "hy")] == f"{BASE}/hy/feed.json"
    assert links[("hub", None, None)] == HUB
    assert links[("prev-archive", None, None)] == f"{BASE}/hy/archive/2026-10/atom.xml"
    assert feed.findtext("a:icon", namespaces=NS) == f"{BASE}/static/icon.png"
    assert feed.findtext("a:logo", namespaces=NS) == f"{BASE}/static/logo.png"
    assert feed.findtext("a:title", namespaces=NS) == "Կովկաս Լուր"
    assert feed.findtext("a:author/a:name", namespaces=NS) == "Caucasus Wire"
    assert feed.findtext("a:rights", namespaces=NS) == "© 2026 Caucasus Wire"


def test_entry_links_carry_type_and_language_and_point_at_every_translation() -> None:
    feed = parse(atom(FeedKey("ru")))
    entry = next(
        e
        for e in feed.findall("a:entry", NS)
        if e.findtext("a:id", namespaces=NS) == entry_id("2026-budget", "ru")
    )
    links = entry.findall("a:link", NS)
    first = links[0]
    assert (first.get("rel"), first.get("type"), first.get("hreflang"), first.get("href")) == (
        "alternate",
        "text/html",
        "ru",
        f"{BASE}/ru/news/2026-budget",
    )
    translations = {
        link.get("hreflang"): link.get("href")
        for link in links
        if link.get("rel") == "alternate" and link.get("hreflang") not in (None, "ru")
    }
    assert translations == {
        "en": f"{BASE}/en/news/2026-budget",
        "hy": f"{BASE}/hy/news/2026-budget",
    }


def test_a_story_in_one_language_has_no_translation_links() -> None:
    feed = parse(atom(FeedKey("hy", Kind.TAG, "գյումրի")))
    (entry,) = feed.findall("a:entry", NS)
    links = [
        (link.get("rel"), link.get("hreflang"), link.get("href"))
        for link in entry.findall("a:link", NS)
    ]
    assert links == [("alternate", "hy", gyumri().translation("hy").url)]  # type: ignore[union-attr]


def test_the_lead_image_is_an_enclosure_link_with_its_type() -> None:
    feed = parse(atom(FeedKey("en")))
    entry = next(
        e
        for e in feed.findall("a:entry", NS)
        if e.findtext("a:id", namespaces=NS) == entry_id("2026-budget", "en")
    )
    (enclosure,) = [link for link in entry.findall("a:link", NS) if link.get("rel") == "enclosure"]
    assert enclosure.get("href") == budget().image.url  # type: ignore[union-attr]
    assert enclosure.get("type") == "image/jpeg"
    assert enclosure.get("length") is None  # unknown, so not invented


def test_an_aggregated_entry_keeps_its_link_and_names_its_source_feed() -> None:
    feed = parse(atom(FeedKey("en", Kind.AGGREGATED)))
    (entry,) = feed.findall("a:entry", NS)
    story = aggregated()
    assert entry.find("a:link", NS).get("href") == story.translation("en").url  # type: ignore[union-attr]
    source = entry.find("a:source", NS)
    assert source is not None
    assert source.findtext("a:id", namespaces=NS) == story.source.feed_url  # type: ignore[union-attr]
    assert source.findtext("a:title", namespaces=NS) == "The Armenian Weekly"
    self_link = source.find("a:link[@rel='self']", NS)
    assert self_link is not None and self_link.get("href") == "https://weekly.example/feed/"
    # RFC 4287 §4.2.11: the source keeps the feed's metadata, updated included.
    assert source.findtext("a:updated", namespaces=NS) == "2026-11-27T08:05:00+00:00"
    # With no byline, the outlet is the entry's author, not our newsroom.
    assert [a.findtext("a:name", namespaces=NS) for a in entry.findall("a:author", NS)] == [
        "The Armenian Weekly"
    ]
    assert source.find("a:author", NS) is None


def test_full_text_goes_in_html_content_and_summaries_only_drop_it() -> None:
    full = parse(atom(FeedKey("en")))
    entry = full.find("a:entry", NS)
    assert entry is not None
    content = entry.find("a:content", NS)
    assert content is not None and content.get("type") == "html"
    assert content.text == budget().translation("en").body_html  # type: ignore[union-attr]
    assert entry.findtext("a:summary", namespaces=NS) == budget().translation("en").summary  # type: ignore[union-attr]

    short = parse(atom(FeedKey("en"), full_text=False))
    assert short.findall("a:entry/a:content", NS) == []
    assert len(short.findall("a:entry/a:summary", NS)) == len(short.findall("a:entry", NS))


def test_feedparser_reads_back_titles_links_dates_authors_language_and_translations() -> None:
    selection = FeedKey("en")
    parsed = feedparser.parse(atom(selection))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Caucasus Wire"
    assert parsed.feed.language == "en"
    assert parsed.feed.link == f"{BASE}/en/"
    expected = sorted(chosen(selection), key=lambda a: (-a.published.timestamp(), a.id))
    assert [e.id for e in parsed.entries] == [entry_id(a.id, "en") for a in expected]
    for entry, article in zip(parsed.entries, expected, strict=True):
        t = article.translation("en")
        assert t is not None
        assert entry.title == t.title
        assert entry.link == t.url
        assert entry.published_parsed[:6] == article.published.utctimetuple()[:6]
        assert entry.updated_parsed[:6] == article.updated.utctimetuple()[:6]
        names = [a.name for a in article.authors]
        assert entry.get("author", "") == join_names(names, words("en"))  # one byline, every name
        people = entry.get("contributors", []) if len(names) > 1 else entry.get("authors", [])
        assert [p.name for p in people] == names
        translations = {
            link.hreflang: link.href
            for link in entry.links
            if link.rel == "alternate" and link.get("hreflang") not in (None, "en")
        }
        assert translations == {o.lang: o.url for o in article.translations if o.lang != "en"}
    assert parsed.feed.updated_parsed[:6] == max(a.updated for a in expected).utctimetuple()[:6]


def test_hostile_text_survives_the_round_trip() -> None:
    parsed = feedparser.parse(atom(FeedKey("en")))
    metro = next(e for e in parsed.entries if e.id == entry_id("yerevan-metro-fares", "en"))
    assert metro.title == "Metro fares & <tickets> double ]]> overnight"
    doc = parse(atom(FeedKey("en")))
    entry = next(
        e
        for e in doc.findall("a:entry", NS)
        if e.findtext("a:id", namespaces=NS) == entry_id("yerevan-metro-fares", "en")
    )
    original = next(a for a in all_articles() if a.id == "yerevan-metro-fares").translation("en")
    assert original is not None
    assert entry.findtext("a:content", namespaces=NS) == PUBLISHED_BODY
    assert entry.findtext("a:summary", namespaces=NS) == original.summary


def test_the_schema_check_rejects_an_entry_without_an_id(relaxng: etree.RelaxNG) -> None:
    """The validation above has teeth: the same document minus one required element fails."""
    doc = parse(atom(FeedKey("en")))
    entry = doc.find("a:entry", NS)
    assert entry is not None
    entry.remove(entry.find("a:id", NS))  # type: ignore[arg-type]
    assert not relaxng.validate(doc)


def test_an_empty_feed_is_valid_and_dated_by_the_fallback(relaxng: etree.RelaxNG) -> None:
    selection = FeedKey("ru", Kind.AUTHOR, "nobody")
    doc = parse(atom(selection))
    assert relaxng.validate(doc), relaxng.error_log
    assert doc.findall("a:entry", NS) == []
    assert doc.findtext("a:updated", namespaces=NS) == "2000-01-01T00:00:00+00:00"
