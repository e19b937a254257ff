"""Each feed has exactly one URL per format, and the URL says which stories it holds."""

from __future__ import annotations

import pytest

from feeds.publish import Format, Kind, Selection, parse_feed_path
from tests.publish_fixtures import aggregated, budget, election, gyumri, metro


@pytest.mark.parametrize(
    ("selection", "fmt", "path"),
    [
        (Selection("en"), Format.RSS, "/en/rss.xml"),
        (Selection("hy", Kind.SECTION, "politics"), Format.ATOM, "/hy/section/politics/atom.xml"),
        (Selection("ru", Kind.TAG, "elections"), Format.JSON, "/ru/tag/elections/feed.json"),
        (
            Selection("en", Kind.AUTHOR, "anna-petrosyan"),
            Format.RSS,
            "/en/author/anna-petrosyan/rss.xml",
        ),
        (Selection("en", Kind.AGGREGATED), Format.RSS, "/en/aggregated/rss.xml"),
        (
            Selection("ru", Kind.TAG, "выборы"),
            Format.RSS,
            "/ru/tag/%D0%B2%D1%8B%D0%B1%D0%BE%D1%80%D1%8B/rss.xml",
        ),
    ],
)
def test_paths_are_stable_and_parse_back(selection: Selection, fmt: Format, path: str) -> None:
    assert selection.path(fmt) == path
    assert parse_feed_path(path) == (selection, fmt)


def test_a_router_may_hand_over_the_decoded_path() -> None:
    assert parse_feed_path("/ru/tag/выборы/atom.xml") == (
        Selection("ru", Kind.TAG, "выборы"),
        Format.ATOM,
    )
    assert parse_feed_path("/hy/tag/գյումրի/feed.json") == (
        Selection("hy", Kind.TAG, "գյումրի"),
        Format.JSON,
    )


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/en",
        "/en/",
        "/en/rss",
        "/en/index.html",
        "/english/rss.xml",
        "/xx/rss.xml",
        "en/rss.xml",
        "/en/section/rss.xml",
        "/en/section//rss.xml",
        "/en/category/politics/rss.xml",
        "/en/tag/Elections/rss.xml",
        "/en/tag/foreign%20affairs/rss.xml",
        "/en/aggregated/extra/rss.xml",
        "/en/section/politics/extra/rss.xml",
        "/en/rss.xml/",
    ],
)
def test_anything_else_is_not_a_feed(path: str) -> None:
    assert parse_feed_path(path) is None


@pytest.mark.parametrize(
    ("lang", "kind", "slug"),
    [
        ("english", Kind.ALL, None),
        ("en", Kind.ALL, "politics"),
        ("en", Kind.AGGREGATED, "x"),
        ("en", Kind.TAG, None),
        ("en", Kind.TAG, "Not A Slug"),
        ("en", Kind.SECTION, ""),
    ],
)
def test_a_bad_selection_is_refused_with_a_reason(lang: str, kind: Kind, slug: str | None) -> None:
    with pytest.raises(ValueError, match="feed selection"):
        Selection(lang, kind, slug)


def test_formats_know_their_file_names_and_media_types() -> None:
    assert [(f.filename, f.media_type) for f in Format] == [
        ("rss.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
    ]


def test_a_language_feed_holds_own_stories_that_have_that_language() -> None:
    en = Selection("en")
    assert en.matches(budget()) and en.matches(metro()) and en.matches(election())
    assert not en.matches(gyumri())  # Armenian only
    assert not en.matches(aggregated())  # someone else's story
    assert Selection("hy").matches(gyumri())


def test_section_tag_and_author_feeds_match_by_slug() -> None:
    assert Selection("en", Kind.SECTION, "politics").matches(budget())
    assert not Selection("en", Kind.SECTION, "politics").matches(metro())
    assert Selection("ru", Kind.TAG, "выборы").matches(election())
    assert not Selection("en", Kind.TAG, "выборы").matches(budget())
    assert Selection("ru", Kind.AUTHOR, "мария-иванова").matches(election())
    assert Selection("en", Kind.AUTHOR, "anna-petrosyan").matches(budget())
    assert not Selection("hy", Kind.AUTHOR, "anna-petrosyan").matches(metro())


def test_the_aggregated_feed_holds_only_stories_from_elsewhere() -> None:
    feed = Selection("en", Kind.AGGREGATED)
    assert feed.matches(aggregated())
    assert not feed.matches(budget())
    assert not Selection("ru", Kind.AGGREGATED).matches(aggregated())  # no Russian version
