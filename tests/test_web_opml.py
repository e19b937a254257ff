"""``/feeds.opml``: every feed in every format, grouped by language, each outline naming
the HTML page its feed mirrors, in a document that follows OPML 2.0."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from lxml import etree

from feeds.store import Store
from tests.web_support import fetch, served, story

# OPML 2.0 (http://opml.org/spec2.opml), "<head>" and "<outline>" sections.
HEAD_ELEMENTS = {
    "title", "dateCreated", "dateModified", "ownerName", "ownerEmail", "ownerId", "docs",
    "expansionState", "vertScrollState", "windowTop", "windowLeft", "windowBottom",
    "windowRight",
}  # fmt: skip
RSS_ATTRIBUTES = {"type", "text", "xmlUrl", "htmlUrl", "description", "language", "title",
                  "version", "isComment", "isBreakpoint", "created", "category"}  # fmt: skip


def opml2_problems(root: etree._Element) -> list[str]:
    """What in ``root`` breaks the OPML 2.0 spec's rules for a subscription list."""
    problems = []
    if root.tag != "opml" or root.get("version") != "2.0":
        problems.append("root must be <opml version='2.0'>")
    if [child.tag for child in root] != ["head", "body"]:
        problems.append(f"opml must hold head then body, holds {[c.tag for c in root]}")
    head, body = root.find("head"), root.find("body")
    if head is not None:
        problems += [f"unknown head element {c.tag}" for c in head if c.tag not in HEAD_ELEMENTS]
    if body is None or body.find("outline") is None:
        problems.append("body must hold at least one outline")
        return problems
    for outline in root.iter("outline"):
        if not outline.get("text"):
            problems.append(f"outline without text: {dict(outline.attrib)}")
        if any(c.tag != "outline" for c in outline):
            problems.append("an outline may hold only outlines")
        if outline.get("type") == "rss":
            unknown = set(outline.attrib) - RSS_ATTRIBUTES
            if unknown:
                problems.append(f"rss outline with {unknown}")
            for name in ("xmlUrl", "htmlUrl"):
                url = urlsplit(outline.get(name) or "")
                present = name == "xmlUrl" or outline.get(name) is not None
                if present and (url.scheme not in ("http", "https") or not url.netloc):
                    problems.append(f"{name} is not an absolute URL: {outline.get(name)}")
        elif set(outline.attrib) != {"text"}:
            # The spec: an outline with more than text says its type.
            problems.append(f"outline without type but with {dict(outline.attrib)}")
    return problems


@pytest.fixture
def newsroom(store: Store) -> Iterator[str]:
    store.upsert_articles(
        [
            story("sevan", section="Science", tags=("Sevan",), authors=("Lilit Sargsyan",)),
            story("budget", section="Politics", tags=("Budget",), authors=("Anna Petrosyan",)),
        ]
    )
    with served(store) as base:
        yield base


def test_the_opml_lists_every_format_of_every_feed_by_language(newsroom: str) -> None:
    answer = fetch(newsroom + "/feeds.opml")
    assert answer.status == 200
    root = etree.fromstring(answer.body)
    assert opml2_problems(root) == []
    folders = root.findall("body/outline")
    assert [f.get("text") for f in folders] == ["English (en)", "Հայերեն (hy)", "Русский (ru)"]
    english = {o.get("xmlUrl"): o for o in folders[0].findall("outline")}
    base = "https://news.example/en"
    for path in ("", "/aggregated", "/section/politics", "/tag/sevan", "/author/anna-petrosyan"):
        for filename in ("rss.xml", "atom.xml", "feed.json"):
            assert f"{base}{path}/{filename}" in english, f"{path}/{filename}"
    assert {o.get("type") for o in english.values()} == {"rss"}
    assert {o.get("language") for o in english.values()} == {"en"}
    # The text says which feed and which format it is.
    politics = english[f"{base}/tag/budget/atom.xml"]
    assert politics.get("text") == "Caucasus Wire: Budget (Atom)"
    assert english[f"{base}/feed.json"].get("text") == "Caucasus Wire (JSON Feed)"
    assert english[f"{base}/rss.xml"].get("text") == "Caucasus Wire (RSS)"


def test_each_outline_names_the_page_its_feed_mirrors(newsroom: str) -> None:
    root = etree.fromstring(fetch(newsroom + "/feeds.opml?format=rss").body)
    assert opml2_problems(root) == []
    pages = {o.get("xmlUrl"): o.get("htmlUrl") for o in root.iter("outline") if o.get("type")}
    # Aggregated stories are shown on the news page; sections, tags and authors have no
    # page of their own, so they mirror the language's front page.
    assert pages["https://news.example/hy/aggregated/rss.xml"] == "https://news.example/hy/news"
    assert pages["https://news.example/ru/rss.xml"] == "https://news.example/ru/"
    assert pages["https://news.example/ru/tag/budget/rss.xml"] == "https://news.example/ru/"
    assert set(pages) == {url for url in pages if url and url.endswith("/rss.xml")}
    # The feeds say the same in their own <link>.
    rss = etree.fromstring(fetch(newsroom + "/hy/aggregated/rss.xml").body)
    assert rss.findtext("channel/link") == "https://news.example/hy/news"
    assert fetch(newsroom + "/hy/news").status == 200


def test_the_structure_check_catches_what_opml_2_forbids() -> None:
    bad = etree.fromstring(
        b'<opml version="2.0"><head><title>t</title><when>x</when></head><body>'
        b'<outline text="English" title="English"><outline type="rss" text="x"/></outline>'
        b"</body></opml>"
    )
    assert len(opml2_problems(bad)) == 3
