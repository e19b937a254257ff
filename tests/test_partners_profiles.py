"""Each partner profile's bytes: its namespace, its elements, and the stories it refuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from feeds.model import Article
from feeds.partner_schema import EXTENSION_NAMES, PROFILE_SPECS
from feeds.publish import FeedDescription, FeedKey, Format
from feeds.publish.partner_extensions import SNF_NS, WEBFEEDS_NS, YANDEX_NS
from feeds.publish.partners import PartnerFeed, build_partner_feed
from feeds.publish.profiles import EXTENSIONS, PROFILES, get_profile
from tests.stories import story

MEDIA = "http://search.yahoo.com/mrss/"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"


def description(lang: str = "en") -> FeedDescription:
    return FeedDescription(
        key=FeedKey(lang),
        title="Wire",
        description="News",
        home_url=f"https://news.example/{lang}/",
        self_url=f"https://news.example/partners/p/{lang}/rss",
        icon="https://news.example/static/icon.png",
        logo="https://news.example/static/logo.png",
        publisher="Wire",
    )


def build(
    profile: str,
    stories: Sequence[Article],
    fmt: Format = Format.RSS,
    options: Mapping[str, Any] | None = None,
) -> PartnerFeed:
    return build_partner_feed(description(), fmt, stories, get_profile(profile), options or {})


def items(body: bytes) -> list[etree._Element]:
    return etree.fromstring(body).findall("./channel/item")


def test_generic_profile_carries_full_text() -> None:
    feed = build("generic", [story("one")])
    (item,) = items(feed.body)
    assert (
        item.findtext(f"{{{CONTENT}}}encoded") == "<p>First paragraph.</p><p>Second paragraph.</p>"
    )


def test_summary_option_drops_full_text() -> None:
    feed = build("generic", [story("one")], options={"full_text": False})
    (item,) = items(feed.body)
    assert item.find(f"{{{CONTENT}}}encoded") is None
    assert item.findtext("description") == "Summary of one"


def test_msn_keeps_stories_with_big_credited_captioned_images_and_fair_titles() -> None:
    stories = [
        story("fine"),
        story("narrow", image_width=719),
        story("no-image", image_width=None),
        story("uncredited", credit=None),
        story("tiny-title", title="Short title"),
        story("long-title", title="x" * 151),
    ]
    feed = build("msn", stories)
    assert feed.included == ("fine",)
    reasons = {(v.article_id, v.rule) for v in feed.violations}
    assert ("narrow", "lead image must be at least 720 px wide, is 719 px") in reasons
    assert ("no-image", "needs a lead image at least 720 px wide") in reasons
    assert ("uncredited", "lead image needs a credit") in reasons
    assert ("tiny-title", "title must be 20-150 characters, is 11") in reasons
    assert ("long-title", "title must be 20-150 characters, is 151") in reasons
    (item,) = items(feed.body)
    media = item.find(f"{{{MEDIA}}}content")
    assert media is not None and int(media.get("width", "0")) >= 720
    assert media.findtext(f"{{{MEDIA}}}credit") == "Photo: Ani Hakobyan"
    assert media.findtext(f"{{{MEDIA}}}description") == "The market at dawn"
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    assert (guid.text or "").startswith("urn:uuid:")
    assert item.findtext("{http://purl.org/dc/terms/}modified") is not None
    assert etree.fromstring(feed.body).findtext("./channel/language") == "en"


def test_msn_edit_keeps_the_id_and_moves_updated() -> None:
    import dataclasses
    from datetime import timedelta

    before = story("fine")
    after = dataclasses.replace(before, updated=before.updated + timedelta(hours=2))
    old = etree.fromstring(build("msn", [before], Format.ATOM).body)
    new = etree.fromstring(build("msn", [after], Format.ATOM).body)
    entry = f"{{{ATOM}}}entry"
    assert old.find(entry).findtext(f"{{{ATOM}}}id") == new.find(entry).findtext(f"{{{ATOM}}}id")  # type: ignore[union-attr]
    assert old.find(entry).findtext(f"{{{ATOM}}}updated") != new.find(entry).findtext(
        f"{{{ATOM}}}updated"
    )  # type: ignore[union-attr]


def test_flipboard_needs_images_of_400px_and_notes_fewer_than_30_items() -> None:
    stories = [story(f"s{i}", hours_ago=i + 1) for i in range(3)]
    stories.append(story("small", image_width=399))
    stories.append(story("summary-only", body=""))
    feed = build("flipboard", stories)
    assert feed.included == ("s0", "s1", "s2")
    assert {v.article_id for v in feed.violations} == {"small", "summary-only"}
    assert feed.notes == ("flipboard wants at least 30 stories; this feed has 3",)
    many = build("flipboard", [story(f"s{i}", hours_ago=i + 1) for i in range(30)])
    assert len(items(many.body)) == 30 and many.notes == ()


def test_feedly_webfeeds_elements() -> None:
    feed = build("feedly", [story("one")], options={"accent_color": "#c0392b"})
    channel = etree.fromstring(feed.body).find("channel")
    assert channel is not None
    assert channel.nsmap["webfeeds"] == WEBFEEDS_NS
    ns = f"{{{WEBFEEDS_NS}}}"
    assert channel.findtext(ns + "icon") == "https://news.example/static/icon.png"
    assert channel.findtext(ns + "logo") == "https://news.example/static/logo.png"
    assert channel.findtext(ns + "accentColor") == "c0392b"
    cover = channel.find(ns + "cover")
    assert cover is not None and cover.get("image") == "https://news.example/static/logo.png"
    atom = etree.fromstring(build("feedly", [story("one")], Format.ATOM).body)
    assert atom.findtext(ns + "accentColor") == "1a1a1a"


def test_yandex_full_text_is_plain_text_with_a_genre() -> None:
    feed = build("yandex", [story("one"), story("empty", body="")], options={"genre": "article"})
    assert feed.included == ("one",)
    (item,) = items(feed.body)
    assert etree.fromstring(feed.body).nsmap["yandex"] == YANDEX_NS
    assert item.findtext(f"{{{YANDEX_NS}}}full-text") == "First paragraph.\n\nSecond paragraph."
    assert item.findtext(f"{{{YANDEX_NS}}}genre") == "article"


def test_smartnews_logo_utf8_and_one_megabyte_cap() -> None:
    big = "<p>" + "Lorem ipsum dolor sit amet. " * 2000 + "</p>"
    stories = [story(f"s{i:02d}", hours_ago=i + 1, body=big) for i in range(30)]
    feed = build("smartnews", stories)
    assert len(feed.body) <= 1_000_000
    assert feed.body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    kept = len(items(feed.body))
    assert 0 < kept < 30
    assert feed.included == tuple(f"s{i:02d}" for i in range(kept))  # the newest stay
    assert feed.notes == (f"kept the newest {kept} stories to stay under 1000000 bytes",)
    channel = etree.fromstring(feed.body).find("channel")
    assert channel is not None
    assert (
        channel.findtext(f"{{{SNF_NS}}}logo/{{{SNF_NS}}}url")
        == "https://news.example/static/logo.png"
    )


def test_item_cap_from_partner_options() -> None:
    stories = [story(f"s{i}", hours_ago=i + 1) for i in range(10)]
    feed = build("generic", stories, options={"max_items": 4})
    assert feed.included == ("s0", "s1", "s2", "s3")


def test_extensions_option_adds_webfeeds_to_a_generic_feed_and_reports_unknown_names() -> None:
    feed = build("generic", [story("one")], options={"extensions": ["webfeeds", "nosuch"]})
    channel = etree.fromstring(feed.body).find("channel")
    assert channel is not None
    assert channel.findtext(f"{{{WEBFEEDS_NS}}}logo") == "https://news.example/static/logo.png"
    assert feed.notes == ("unknown extension 'nosuch' ignored",)


def test_every_profile_and_extension_the_settings_accept_is_one_publish_renders() -> None:
    """A partner stored with a profile or ``extensions`` the settings check accepted
    (``feeds.partner_schema``) gets that profile's feed with those extensions' elements."""
    assert list(PROFILES) == list(PROFILE_SPECS)
    assert set(EXTENSIONS) == set(EXTENSION_NAMES)
    for name in EXTENSION_NAMES:
        assert [ext.name for ext in EXTENSIONS[name]({})] == [name]
    for spec in PROFILE_SPECS.values():
        made = [ext.name for ext in get_profile(spec.name).make_extensions({})]
        assert made == list(spec.extensions), spec.name
