"""The OPML subscription list groups our feeds by language and survives any title."""

from __future__ import annotations

from lxml import etree

from feeds.publish import render_opml
from feeds.publish.opml import OpmlFeed

GROUPS = [
    (
        "English",
        [
            ("Caucasus Wire", "https://news.example/en/rss.xml", "https://news.example/en/"),
            (
                "Politics & <Power>",
                "https://news.example/en/section/politics/rss.xml",
                "https://news.example/en/section/politics/",
            ),
        ],
    ),
    ("Հայերեն", [("Կովկաս Լուր", "https://news.example/hy/atom.xml", "https://news.example/hy/")]),
    ("Русский", [("Кавказ Вайр", "https://news.example/ru/feed.json", "https://news.example/ru/")]),
]


def test_opml_lists_every_feed_under_its_language() -> None:
    data = render_opml("Caucasus Wire feeds", GROUPS)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Caucasus Wire feeds"
    folders = root.findall("body/outline")
    assert [f.get("text") for f in folders] == ["English", "Հայերեն", "Русский"]
    listed = [
        [
            (o.get("type"), o.get("text"), o.get("xmlUrl"), o.get("htmlUrl"))
            for o in folder.findall("outline")
        ]
        for folder in folders
    ]
    assert listed == [[("rss", *feed) for feed in feeds] for _, feeds in GROUPS]


def test_folders_carry_only_text_and_feeds_their_language() -> None:
    feed = OpmlFeed("Wire (Atom)", "https://n.example/en/atom.xml", "https://n.example/en/", "en")
    root = etree.fromstring(render_opml("t", [("English", [feed])]))
    (folder,) = root.findall("body/outline")
    # OPML 2.0: an outline with more than a text attribute must say its type.
    assert dict(folder.attrib) == {"text": "English"}
    (outline,) = folder.findall("outline")
    assert outline.get("type") == "rss" and outline.get("language") == "en"


def test_an_empty_list_still_parses() -> None:
    root = etree.fromstring(render_opml("Nothing", []))
    assert root.find("body") is not None and root.findall("body/outline") == []
