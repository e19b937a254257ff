"""Each feed has exactly one URL per format and one WebSub outbox key, and its key says
which stories it holds."""

from __future__ import annotations

import pytest

from feeds.feedkeys import FeedKey, Format, Kind
from tests.publish_fixtures import aggregated, budget, election, gyumri, metro


@pytest.mark.parametrize(
    ("selection", "fmt", "path"),
    [
        (FeedKey("en"), Format.RSS, "/en/rss.xml"),
        (FeedKey("hy", Kind.SECTION, "politics"), Format.ATOM, "/hy/section/politics/atom.xml"),
        (FeedKey("ru", Kind.TAG, "elections"), Format.JSON, "/ru/tag/elections/feed.json"),
        (
            FeedKey("en", Kind.AUTHOR, "anna-petrosyan"),
            Format.RSS,
            "/en/author/anna-petrosyan/rss.xml",
        ),
        (FeedKey("en", Kind.AGGREGATED), Format.RSS, "/en/aggregated/rss.xml"),
        (
            FeedKey("ru", Kind.TAG, "выборы"),
            Format.RSS,
            "/ru/tag/%D0%B2%D1%8B%D0%B1%D0%BE%D1%80%D1%8B/rss.xml",
        ),
    ],
)
def test_paths_are_stable_and_parse_back(selection: FeedKey, fmt: Format, path: str) -> None:
    assert selection.in_format(fmt).path == path
    assert FeedKey.from_path(path) == selection.in_format(fmt)


def test_a_router_may_hand_over_the_decoded_path() -> None:
    assert FeedKey.from_path("/ru/tag/выборы/atom.xml") == FeedKey(
        "ru", Kind.TAG, "выборы", Format.ATOM
    )
    assert FeedKey.from_path("/hy/tag/գյումրի/feed.json") == FeedKey(
        "hy", Kind.TAG, "գյումրի", Format.JSON
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
    assert FeedKey.from_path(path) is None


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
        FeedKey(lang, kind, slug)


def test_formats_know_their_file_names_and_media_types() -> None:
    assert [(f.filename, f.media_type) for f in Format] == [
        ("rss.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
    ]


def test_a_language_feed_holds_own_stories_that_have_that_language() -> None:
    en = FeedKey("en")
    assert en.holds(budget()) and en.holds(metro()) and en.holds(election())
    assert not en.holds(gyumri())  # Armenian only
    assert not en.holds(aggregated())  # someone else's story
    assert FeedKey("hy").holds(gyumri())


def test_section_tag_and_author_feeds_match_by_slug() -> None:
    assert FeedKey("en", Kind.SECTION, "politics").holds(budget())
    assert not FeedKey("en", Kind.SECTION, "politics").holds(metro())
    assert FeedKey("ru", Kind.TAG, "выборы").holds(election())
    assert not FeedKey("en", Kind.TAG, "выборы").holds(budget())
    assert FeedKey("ru", Kind.AUTHOR, "мария-иванова").holds(election())
    assert FeedKey("en", Kind.AUTHOR, "anna-petrosyan").holds(budget())
    assert not FeedKey("hy", Kind.AUTHOR, "anna-petrosyan").holds(metro())


def test_the_aggregated_feed_holds_only_stories_from_elsewhere() -> None:
    feed = FeedKey("en", Kind.AGGREGATED)
    assert feed.holds(aggregated())
    assert not feed.holds(budget())
    assert not FeedKey("ru", Kind.AGGREGATED).holds(aggregated())  # no Russian version


@pytest.mark.parametrize(
    ("key", "outbox_key"),
    [
        (FeedKey("en"), "en"),
        (FeedKey("hy", Kind.SECTION, "politics", Format.ATOM), "hy/section/politics"),
        (FeedKey("ru", Kind.TAG, "выборы", Format.JSON), "ru/tag/выборы"),
        (FeedKey("en", Kind.AUTHOR, "anna-petrosyan"), "en/author/anna-petrosyan"),
        (FeedKey("en", Kind.AGGREGATED), "en/aggregated"),
    ],
)
def test_the_outbox_key_is_the_feed_without_its_format(key: FeedKey, outbox_key: str) -> None:
    assert key.outbox_key == outbox_key
    assert FeedKey.from_outbox_key(outbox_key, key.format) == key
    assert {k.path for k in key.in_every_format()} == {key.in_format(fmt).path for fmt in Format}


@pytest.mark.parametrize(
    "outbox_key", ["", "english", "und/aggregated", "en/section", "en/tag/Elections", "en/x/y"]
)
def test_a_malformed_outbox_key_names_no_feed(outbox_key: str) -> None:
    assert FeedKey.from_outbox_key(outbox_key) is None


def test_with_republish_the_main_feed_also_holds_stories_from_elsewhere() -> None:
    en = FeedKey("en")
    assert not en.holds(aggregated())
    assert en.holds(aggregated(), republish=True) and en.holds(budget(), republish=True)
    assert not FeedKey("en", Kind.SECTION, "politics").holds(aggregated(), republish=True)
