"""Every element of every partner profile's feed is in the namespace its spec defines.

For each profile and each format it serves, the feed is parsed and every element is
checked against the vocabularies it may use: the format's own (RSS 2.0 un-namespaced,
Atom 1.0), the core extensions every feed uses (content, dc, media, atom in RSS), RFC
6721 tombstones, and the namespaces the profile's extensions declare. Each vocabulary
lists the element names its spec defines, so a misspelt element or one in the wrong
namespace fails here, not at the partner.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from lxml import etree

from feeds.model import Article, Author, SourceRef
from feeds.publish import FeedDescription, FeedKey, Format
from feeds.publish.extension import ATOM_NS
from feeds.publish.partner_extensions import DCTERMS_NS, SNF_NS, WEBFEEDS_NS, YANDEX_NS
from feeds.publish.partners import build_partner_feed
from feeds.publish.profiles import EXTENSIONS, PROFILES, extensions_for, get_profile
from feeds.publish.tombstone import AT_NS, Retraction, TombstoneExtension
from feeds.publish.xmlfeed import DC_NS, MEDIA_NS
from tests.stories import NOW, story

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

# Element names per namespace, as each spec defines them (only what a spec has).
RSS_ELEMENTS = {  # RSS 2.0 (https://www.rssboard.org/rss-specification)
    "rss", "channel", "title", "link", "description", "language", "copyright",
    "managingEditor", "webMaster", "pubDate", "lastBuildDate", "category", "generator",
    "docs", "cloud", "ttl", "image", "url", "width", "height", "rating", "textInput",
    "skipHours", "skipDays", "item", "author", "comments", "enclosure", "guid", "source",
}  # fmt: skip
VOCABULARIES: dict[str, set[str]] = {
    # RFC 4287 §4
    ATOM_NS: {
        "feed", "entry", "author", "category", "content", "contributor", "email",
        "generator", "icon", "id", "link", "logo", "name", "published", "rights", "source",
        "subtitle", "summary", "title", "updated", "uri",
    },
    CONTENT_NS: {"encoded"},  # RSS 1.0 content module
    DC_NS: {"creator", "date", "rights", "subject", "publisher", "language"},
    MEDIA_NS: {"content", "description", "credit", "title", "thumbnail", "group"},  # MRSS 1.5.1
    AT_NS: {"deleted-entry", "by", "comment"},  # RFC 6721 §2
    DCTERMS_NS: {"modified"},  # DCMI terms
    WEBFEEDS_NS: {"icon", "logo", "accentColor", "cover", "related", "analytics"},  # Feedly
    YANDEX_NS: {"full-text", "genre", "related", "logo"},  # Yandex news RSS
    # SmartFormat 2.1 (publishers.smartnews.com): channel and item elements
    # SmartFormat's example writes <snf:logo><url>; we write the url as snf:url so the feed
    # validates (an un-namespaced child of a foreign element is an error; docs/partners.md).
    SNF_NS: {"logo", "darkModeLogo", "url", "analytics", "advertisement", "sponsoredLink",
             "adcontent", "video"},
}  # fmt: skip
CORE = {ATOM_NS, CONTENT_NS, DC_NS, MEDIA_NS}


def description(fmt: Format) -> FeedDescription:
    return FeedDescription(
        key=FeedKey("en", format=fmt),
        title="Wire",
        description="News",
        home_url="https://news.example/en/",
        self_url=f"https://news.example/partners/p/en/{fmt.value}",
        icon="https://news.example/static/icon.png",
        logo="https://news.example/static/logo.png",
        publisher="Wire",
    )


def stories() -> list[Article]:
    """A plain story, a co-authored one and an aggregated one without a byline."""
    return [
        story("one"),
        dataclasses.replace(
            story("two", hours_ago=2), authors=(Author("Anna Hakobyan"), Author("Boris Petrov"))
        ),
        dataclasses.replace(
            story("three", hours_ago=3),
            authors=(),
            source=SourceRef(
                "Other Outlet", "https://other.example/feed", "https://other.example/", "en"
            ),
        ),
    ]


def qname(element: etree._Element) -> tuple[str | None, str]:
    q = etree.QName(element)
    return q.namespace, q.localname


def check(body: bytes, fmt: Format, declared: set[str]) -> list[str]:
    """Every element that is in no namespace its place allows, or not in its vocabulary."""
    root = etree.fromstring(body)
    problems = []
    own = None if fmt is Format.RSS else ATOM_NS
    allowed = CORE | declared | {AT_NS} | ({own} if own else set())
    for element in root.iter(etree.Element):
        ns, local = qname(element)
        parent = element.getparent()
        where = "/".join(
            f"{qname(e)[1]}" for e in [*reversed(list(element.iterancestors())), element]
        )
        if ns is None:
            parent_name = qname(parent) if parent is not None else None
            if parent_name is not None and parent_name[0] is not None:
                problems.append(f"{where}: no namespace inside {parent_name}")
                continue
            if fmt is not Format.RSS or local not in RSS_ELEMENTS:
                problems.append(f"{where}: not an element of the format")
            continue
        if ns not in allowed:
            problems.append(f"{where}: namespace {ns} is not declared by the profile")
        elif ns in VOCABULARIES and local not in VOCABULARIES[ns]:
            problems.append(f"{where}: {ns} defines no {local!r}")
        if ns != own and ns not in root.nsmap.values():
            problems.append(f"{where}: {ns} is not declared on the root element")
    return problems


CASES = [(name, fmt) for name, p in PROFILES.items() for fmt in p.formats if fmt is not Format.JSON]


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f.value}" for n, f in CASES])
def test_every_element_of_a_profile_feed_is_in_its_spec_namespace(name: str, fmt: Format) -> None:
    profile = get_profile(name)
    tombstones = [TombstoneExtension([Retraction("gone", NOW - timedelta(hours=1))])]
    feed = build_partner_feed(description(fmt), fmt, stories(), profile, {}, tombstones)
    assert feed.included, "the profile refused every story: the test would check nothing"
    extensions, _ = extensions_for(profile, {})
    declared = {uri for ext in extensions for uri in ext.namespaces().values()}
    assert check(feed.body, fmt, declared) == []
    # And every namespace the profile declares is used, with the prefix it declares.
    root = etree.fromstring(feed.body)
    for ext in extensions:
        for prefix, uri in ext.namespaces().items():
            if fmt is Format.ATOM and uri == DCTERMS_NS:
                continue  # dcterms:modified is RSS only: Atom entries carry updated
            assert root.nsmap.get(prefix) == uri
            assert any(qname(e)[0] == uri for e in root.iter(etree.Element)), (prefix, uri)


@pytest.mark.parametrize("extension", sorted(EXTENSIONS))
def test_every_optional_extension_stays_in_its_namespace(extension: str) -> None:
    profile = get_profile("generic")
    options = {"extensions": [extension]}
    feed = build_partner_feed(description(Format.RSS), Format.RSS, stories(), profile, options)
    extensions, unknown = extensions_for(profile, options)
    assert unknown == []
    declared = {uri for ext in extensions for uri in ext.namespaces().values()}
    assert check(feed.body, Format.RSS, declared) == []


def test_the_check_catches_an_element_outside_its_namespace() -> None:
    # The checker itself: a url in the wrong place and an undeclared vocabulary fail.
    bad = (
        b'<rss version="2.0" xmlns:snf="http://www.smartnews.be/snf"><channel><title>t</title>'
        b"<snf:logo><snf:href>x</snf:href></snf:logo><snf:analytics><name>x</name>"
        b"</snf:analytics><item><foo>x</foo></item></channel></rss>"
    )
    problems = check(bad, Format.RSS, {SNF_NS})
    assert len(problems) == 3, problems
    assert check(bad, Format.RSS, set())[0].endswith("is not declared by the profile")


def test_smartnews_logo_url_is_in_the_snf_namespace() -> None:
    feed = build_partner_feed(
        description(Format.RSS), Format.RSS, stories(), get_profile("smartnews"), {}
    )
    channel = etree.fromstring(feed.body).find("channel")
    assert channel is not None
    (logo,) = channel.findall(f"{{{SNF_NS}}}logo")
    assert [qname(child) for child in logo] == [(SNF_NS, "url")]
    assert logo.findtext(f"{{{SNF_NS}}}url") == "https://news.example/static/logo.png"
