"""Every reader shows every author, and an outlet's story is credited to the outlet.

Readers keep one author per RSS item (newsboat and lemon24/reader the last
``dc:creator``, rss2email the first), so a co-authored item carries one byline with
every name. feedparser (what rss2email and reader build on) keeps only the last Atom
``author`` too, so an Atom entry has the byline as its author and each person as a
contributor; JSON Feed lists each person.
"""

from __future__ import annotations

import dataclasses
import json

import feedparser
import pytest
from lxml import etree

from feeds.i18n import words
from feeds.model import Author
from feeds.publish import FeedKey, Format, Kind, entry_id, render
from feeds.publish.byline import join_names
from tests.publish_fixtures import aggregated, budget, describe, election

DC = "{http://purl.org/dc/elements/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"


def three_authors_everywhere() -> list:  # type: ignore[type-arg]
    story = budget()
    translations = tuple(
        dataclasses.replace(budget().translation("en"), lang=lang)  # type: ignore[type-var]
        for lang in ("en", "hy", "ru")
    )
    return [
        dataclasses.replace(
            story,
            authors=(Author("Anna Hakobyan"), Author("Boris Petrov"), Author("Ani Sargsyan")),
            translations=translations,
        )
    ]


@pytest.mark.parametrize(
    ("lang", "byline"),
    [
        ("en", "Anna Hakobyan, Boris Petrov and Ani Sargsyan"),
        ("hy", "Anna Hakobyan, Boris Petrov և Ani Sargsyan"),
        ("ru", "Anna Hakobyan, Boris Petrov и Ani Sargsyan"),
    ],
)
def test_a_co_authored_rss_item_has_one_creator_with_every_name(lang: str, byline: str) -> None:
    selection = FeedKey(lang)
    data = render(describe(selection, Format.RSS), Format.RSS, three_authors_everywhere())
    (item,) = etree.fromstring(data).iter("item")
    assert [c.text for c in item.findall(f"{DC}creator")] == [byline]
    (entry,) = feedparser.parse(data).entries
    assert entry.author == byline


def test_a_co_authored_atom_entry_credits_the_byline_and_lists_each_person() -> None:
    selection = FeedKey("en")
    stories = [election()]
    atom = render(describe(selection, Format.ATOM), Format.ATOM, stories)
    (entry,) = etree.fromstring(atom).iter(f"{ATOM}entry")
    bylines = [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
    assert bylines == ["Anna Petrosyan and Мария Иванова"]
    names = [c.findtext(f"{ATOM}name") for c in entry.findall(f"{ATOM}contributor")]
    assert names == ["Anna Petrosyan", "Мария Иванова"]
    parsed = feedparser.parse(atom).entries[0]
    assert parsed.author == "Anna Petrosyan and Мария Иванова"
    assert parsed.author_detail == {"name": "Anna Petrosyan and Мария Иванова"}
    assert [c.name for c in parsed.contributors] == names

    doc = json.loads(render(describe(selection, Format.JSON), Format.JSON, stories))
    assert [a["name"] for a in doc["items"][0]["authors"]] == names


@pytest.mark.parametrize("fmt", [Format.RSS, Format.ATOM])
def test_an_aggregated_item_without_a_byline_credits_its_outlet_not_the_newsroom(
    fmt: Format,
) -> None:
    selection = FeedKey("en", Kind.AGGREGATED)
    data = render(describe(selection, fmt), fmt, [aggregated()])
    (entry,) = feedparser.parse(data).entries
    assert entry.id == entry_id(aggregated().id, "en")
    # rss2email and reader show feedparser's author; it used to be "Caucasus Wire".
    assert entry.author == "The Armenian Weekly"


def test_an_aggregated_json_item_without_a_byline_credits_its_outlet() -> None:
    selection = FeedKey("en", Kind.AGGREGATED)
    doc = json.loads(render(describe(selection, Format.JSON), Format.JSON, [aggregated()]))
    (item,) = doc["items"]
    # feedparser 6 reads no JSON Feed; a JSON Feed reader shows the item's authors.
    assert item["authors"] == [{"name": "The Armenian Weekly", "url": "https://weekly.example/"}]


def test_bylines_read_like_a_newsroom_byline() -> None:
    assert join_names([], words("en")) == ""
    assert join_names(["Anna"], words("ru")) == "Anna"
    assert join_names(["Anna", "Boris"], words("en")) == "Anna and Boris"
    assert join_names(["Աննա", "Բորիս"], words("hy")) == "Աննա և Բորիս"
    assert join_names(["Анна", "Борис"], words("ru-RU")) == "Анна и Борис"
    # No conjunction known for the language: commas only.
    assert join_names(["Ana", "Boris", "Nino"], words("ka")) == "Ana, Boris, Nino"
