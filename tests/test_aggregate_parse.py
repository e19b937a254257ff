"""Parsing external feeds: every format and encoding, dates in UTC, HTML made safe.

The fast lxml reader must give exactly what feedparser (the reference) gives, over a broad
set of documents; documents it cannot read the same way must fall back.
"""

from __future__ import annotations

import codecs
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.aggregate.document import FeedDocument, read_xml_document
from feeds.aggregate.fastxml import NotFastError, parse_fast
from feeds.aggregate.lang import choose_language, detect_language
from feeds.aggregate.parse import FeedParseError, ParsedFeed, parse_feed, parse_with_feedparser
from feeds.aggregate.xmlguard import UnsafeXMLError

URL = "http://127.0.0.1:9/feeds/main.xml"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sources"


def rss(items: str, channel_extra: str = "", encoding: str = "utf-8", ns: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" {ns}>'
        f"<channel><title>Test &amp; feed</title><link>https://news.example/</link>"
        f"{channel_extra}{items}</channel></rss>"
    )


def atom(entries: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="hy">'
        "<title>Atom test</title><id>urn:x:feed</id>"
        '<link href="https://atom.example/"/><updated>2026-01-01T00:00:00Z</updated>'
        f"{extra}{entries}</feed>"
    )


RSS_ITEMS = [
    "<item><title>Plain</title><link>https://news.example/1</link><guid>https://news.example/1</guid>"
    "<description>a &amp; b</description><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item>",
    "<item><title>Relative &lt;b&gt;bold&lt;/b&gt;</title><link>/2</link>"
    "<guid isPermaLink='false'>x-2</guid>"
    "<description>&lt;p&gt;see &lt;a href='/more'&gt;more&lt;/a&gt;&lt;/p&gt;</description>"
    "<pubDate>Sat, 14 Nov 2026 08:30:00 +0400</pubDate></item>",
    "<item><title>Content</title><guid>https://news.example/3</guid>"
    "<content:encoded><![CDATA[<p onclick='x()'>full <script>alert(1)</script>"
    "<img src='/i.png'></p>]]></content:encoded><category>Politics</category>"
    "<category>World</category><dc:creator>Ani</dc:creator></item>",
    "<item><description>no title x &lt; y</description></item>",
    "<item><title>Date with zone name</title><link>https://news.example/5</link>"
    "<pubDate>Mon, 02 Feb 2026 10:00:00 EST</pubDate></item>",
    "<item><title>  spaced   title </title><link> https://news.example/6 </link>"
    "<description><![CDATA[<a href='javascript:alert(1)'>x</a><b>ok</b>]]></description></item>",
    "<item><title>Армянский &#8212; тест</title><link>https://news.example/7</link>"
    "<description>Текст</description><pubDate>Wed, 11 Nov 2026 07:15:00 +0300</pubDate></item>",
]
RSS_ODD_ITEMS = [
    "<item><title>author</title><author>a@news.example (Ani)</author></item>",
    "<item><title>dc date</title><dc:date>2026-01-01T00:00:00Z</dc:date></item>",
    "<item><title>bad date</title><pubDate>yesterday</pubDate></item>",
    "<item><title>media</title><media:title>m</media:title></item>",
]
ATOM_ENTRIES = [
    "<entry><id>urn:uuid:1</id><title>One</title><link href='/a/1'/>"
    "<updated>2026-11-13T15:30:00+04:00</updated><published>2026-11-13T15:00:00+04:00</published>"
    "<summary>x &lt; y &amp; z</summary><author><name>Aram</name></author>"
    "<author><name>Lilit</name></author><category term='news'/></entry>",
    "<entry xml:base='https://other.example/base/'><id>tag:x,2026:2</id><title type='html'>"
    "&lt;i&gt;Two&lt;/i&gt;</title><link rel='alternate' href='story'/>"
    "<link rel='enclosure' href='/a.mp3'/><updated>2026-11-13T00:00:00Z</updated>"
    "<content type='html'>&lt;p&gt;Body &lt;img src='pic.jpg' onerror='x'&gt;&lt;/p&gt;</content>"
    "</entry>",
    "<entry><id>urn:uuid:3</id><title>Three</title><updated>2026-11-12T09:45:00.123Z</updated>"
    "<content type='text'>only content &amp; text</content></entry>",
]
ATOM_ODD_ENTRIES = [
    "<entry><id>urn:uuid:4</id><title type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
    "<b>x</b></div></title><updated>2026-01-01T00:00:00Z</updated></entry>",
    "<entry><id>urn:uuid:5</id><title>src</title><content src='https://x.example/c'/></entry>",
]


# Fast-path parity beyond the plain shape: Dublin Core titles and languages, xml:lang, the
# HTTP Content-Language and Content-Location headers, ids that must stay as written.
RSS_PARITY: list[tuple[str, str, dict[str, str]]] = [
    ("dc-title", rss("<item><dc:title>Заголовок DC</dc:title><guid>g1</guid></item>"), {}),
    (
        "dc-title-channel",
        rss("<item><title>x</title></item>").replace(
            "<title>Test &amp; feed</title>", "<dc:title>Канал</dc:title>"
        ),
        {},
    ),
    ("title-and-dc-title", rss("<item><title>T</title><dc:title>T</dc:title></item>"), {}),
    ("dc-language", rss(RSS_ITEMS[0], "<dc:language>ru</dc:language>"), {}),
    (
        "language-then-dc",
        rss(RSS_ITEMS[0], "<language>en</language><dc:language>ru</dc:language>"),
        {},
    ),
    (
        "dc-then-language",
        rss(RSS_ITEMS[0], "<dc:language>ru</dc:language><language>en</language>"),
        {},
    ),
    ("xml-lang-root", rss(RSS_ITEMS[0], ns='xml:lang="hy"'), {}),
    ("xml-lang-and-header", rss(RSS_ITEMS[0], ns='xml:lang="hy"'), {"content-language": "ru"}),
    ("header-language", rss(RSS_ITEMS[0]), {"content-language": "ru-RU"}),
    ("header-language-list", rss(RSS_ITEMS[0]), {"content-language": "hy, en"}),
    (
        "language-beats-header",
        rss(RSS_ITEMS[0], "<language>en</language>"),
        {"content-language": "ru"},
    ),
    (
        "empty-language-and-header",
        rss(RSS_ITEMS[0], "<language></language>"),
        {"content-language": "ru"},
    ),
    (
        "content-location",
        rss("".join(RSS_ITEMS)),
        {"content-location": "https://cdn.example/a/b.xml"},
    ),
    ("content-location-relative", rss(RSS_ITEMS[1]), {"content-location": "../mirror/feed.xml"}),
    (
        "guid-relative-permalink",
        rss("<item><title>p</title><guid>post-1</guid></item>"),
        {"content-location": "https://cdn.example/x/"},
    ),
    ("guid-case", rss("<item><title>c</title><guid>HTTP://News.Example/A</guid></item>"), {}),
    (
        "guid-not-permalink",
        rss("<item><title>n</title><guid isPermaLink='false'>Post-2</guid></item>"),
        {},
    ),
]
ATOM_PARITY: list[tuple[str, str, dict[str, str]]] = [
    ("atom-relative-id", atom("<entry><id>post-1</id><title>r</title></entry>"), {}),
    (
        "atom-id-case",
        atom("<entry><id>HTTP://X.Example/Post</id><title>c</title><link href='/l'/></entry>"),
        {},
    ),
    ("atom-urn-case", atom("<entry><id>URN:UUID:AB-CD</id><title>u</title></entry>"), {}),
    (
        "atom-tag-id",
        atom("<entry><id>tag:Example.com,2026:Post/1</id><title>t</title></entry>"),
        {},
    ),
    (
        "atom-header-language",
        atom(ATOM_ENTRIES[0]).replace(' xml:lang="hy"', ""),
        {"content-language": "ru"},
    ),
    ("atom-xml-lang-beats-header", atom(ATOM_ENTRIES[0]), {"content-language": "ru"}),
    (
        "atom-dc-language",
        atom(ATOM_ENTRIES[0], "<dc:language>ru</dc:language>").replace(
            "<feed ", '<feed xmlns:dc="http://purl.org/dc/elements/1.1/" '
        ),
        {},
    ),
    (
        "atom-content-location",
        atom("".join(ATOM_ENTRIES)),
        {"content-location": "https://cdn.example/atom/"},
    ),
]


def corpus() -> list[tuple[str, bytes, dict[str, str]]]:
    docs: list[tuple[str, bytes, dict[str, str]]] = []
    extras = [
        "",
        "<language>ru</language><ttl>45</ttl>",
        "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>",
    ]
    for i, item in enumerate(RSS_ITEMS + RSS_ODD_ITEMS):
        ns = 'xmlns:media="http://search.yahoo.com/mrss/"'
        for j, extra in enumerate(extras):
            docs.append((f"rss-{i}-{j}", rss(item, extra, ns=ns).encode(), {}))
    docs.append(
        ("rss-all", rss("".join(RSS_ITEMS)).encode(), {"content-type": "application/rss+xml"})
    )
    docs.append(("rss-cp1251", rss(RSS_ITEMS[6], encoding="windows-1251").encode("cp1251"), {}))
    docs.append(("rss-koi8", rss(RSS_ITEMS[6], encoding="koi8-r").encode("koi8-r"), {}))
    utf16 = codecs.BOM_UTF16_LE + rss(RSS_ITEMS[6], encoding="utf-16").encode("utf-16-le")
    docs.append(("rss-utf16", utf16, {}))
    docs.append(
        (
            "rss-header-charset",
            rss(RSS_ITEMS[6]).encode(),
            {"content-type": "application/xml; charset=utf-8"},
        )
    )
    docs.append(("rss-text-xml", rss(RSS_ITEMS[0]).encode(), {"content-type": "text/xml"}))
    # Mislabelled encodings: both readers get the one decided reading.
    docs.append(("rss-cp1251-as-utf8", rss(RSS_ITEMS[6]).encode("cp1251"), {}))
    docs.append(("rss-utf8-as-cp1251", rss(RSS_ITEMS[6], encoding="windows-1251").encode(), {}))
    docs.append(
        (
            "rss-koi8-header-says-1251",
            rss(RSS_ITEMS[6], encoding="koi8-r").encode("koi8-r"),
            {"content-type": "text/xml; charset=windows-1251"},
        )
    )
    for name, text, headers in RSS_PARITY + ATOM_PARITY:
        docs.append((name, text.encode(), headers))
    for i, entry in enumerate(ATOM_ENTRIES + ATOM_ODD_ENTRIES):
        docs.append((f"atom-{i}", atom(entry).encode(), {}))
    docs.append(("atom-all", atom("".join(ATOM_ENTRIES)).encode(), {}))
    for path in sorted(EXAMPLES.glob("*.xml")):
        docs.append((path.name, path.read_bytes(), {}))
    return docs


def document(body: bytes, headers: dict[str, str]) -> FeedDocument:
    return read_xml_document(
        body,
        URL,
        headers.get("content-type"),
        content_language=headers.get("content-language"),
        content_location=headers.get("content-location"),
    )


def parsed(body: bytes, headers: dict[str, str]) -> ParsedFeed:
    return parse_feed(
        body,
        URL,
        headers.get("content-type"),
        content_language=headers.get("content-language"),
        content_location=headers.get("content-location"),
    )


CORPUS = corpus()


@pytest.mark.parametrize(("name", "body", "headers"), CORPUS, ids=[c[0] for c in CORPUS])
def test_fast_reader_gives_feedparsers_entries_or_steps_aside(
    name: str, body: bytes, headers: dict[str, str]
) -> None:
    doc = document(body, headers)
    reference = parse_with_feedparser(doc)
    try:
        fast = parse_fast(doc)
    except NotFastError:
        assert parsed(body, headers).parser == "feedparser"
        return
    assert fast.entries == reference.entries
    assert (fast.title, fast.link, fast.lang) == (reference.title, reference.link, reference.lang)
    assert fast.ttl_minutes == reference.ttl_minutes
    assert fast.update_period_seconds == reference.update_period_seconds
    assert parsed(body, headers) == fast


def test_the_fast_reader_handles_most_of_the_corpus() -> None:
    taken = 0
    for _, body, headers in CORPUS:
        try:
            parse_fast(document(body, headers))
            taken += 1
        except NotFastError:
            pass
    assert taken >= 55


def test_odd_documents_fall_back_to_feedparser() -> None:
    for item in RSS_ODD_ITEMS:
        body = rss(item, ns='xmlns:media="http://search.yahoo.com/mrss/"').encode()
        assert parse_feed(body, URL).parser == "feedparser"


def test_rss_dates_become_aware_utc() -> None:
    feed = parse_feed(rss("".join(RSS_ITEMS)).encode(), URL)
    dates = {e.title: e.published for e in feed.entries}
    assert dates["Plain"] == datetime(2003, 6, 10, 4, 0, tzinfo=UTC)
    assert dates["Relative bold"] == datetime(2026, 11, 14, 4, 30, tzinfo=UTC)
    assert dates["Date with zone name"] == datetime(2026, 2, 2, 15, 0, tzinfo=UTC)


def test_script_handlers_and_javascript_links_are_removed_and_urls_resolved() -> None:
    feed = parse_feed(rss("".join(RSS_ITEMS)).encode(), URL)
    by_title = {e.title: e for e in feed.entries}
    content = by_title["Content"].content
    assert "<script" not in content and "alert" not in content and "onclick" not in content
    assert 'src="http://127.0.0.1:9/i.png"' in content
    assert "javascript:" not in by_title["spaced title"].summary
    assert 'href="http://127.0.0.1:9/more"' in by_title["Relative bold"].summary
    assert by_title["Relative bold"].link == "http://127.0.0.1:9/2"


def test_atom_xml_base_and_html_content() -> None:
    feed = parse_feed(atom("".join(ATOM_ENTRIES)).encode(), URL)
    two = feed.entries[1]
    assert two.title == "Two"
    assert two.link == "https://other.example/base/story"
    assert 'src="https://other.example/base/pic.jpg"' in two.content
    assert "onerror" not in two.content
    assert feed.entries[0].summary == "x &lt; y &amp; z"
    assert feed.entries[0].authors == ("Aram", "Lilit")
    assert feed.lang == "hy"


@pytest.mark.parametrize(
    ("encoding", "codec"), [("windows-1251", "cp1251"), ("koi8-r", "koi8-r"), ("utf-16", "utf-16")]
)
def test_russian_encodings_are_decoded(encoding: str, codec: str) -> None:
    body = rss(RSS_ITEMS[6], encoding=encoding).encode(codec)
    feed = parse_feed(body, URL)
    assert feed.entries[0].title == "Армянский — тест"


def test_http_charset_wins_over_a_wrong_xml_declaration() -> None:
    # The server knows the bytes are windows-1251; the document wrongly claims UTF-8.
    body = rss(RSS_ITEMS[6], encoding="utf-8").encode("cp1251")
    feed = parse_feed(body, URL, "application/rss+xml; charset=windows-1251")
    assert feed.entries[0].title == "Армянский — тест"


def test_rss_1_0_rss_0_91_and_atom_0_3_are_read_by_feedparser() -> None:
    rdf = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://r.example/"><title>RDF</title><link>https://r.example/</link>'
        "</channel><item rdf:about='https://r.example/1'><title>One</title>"
        "<link>https://r.example/1</link><dc:date>2026-03-01T10:00:00+02:00</dc:date></item>"
        "</rdf:RDF>"
    )
    rss091 = (
        '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
        "<title>Old</title><link>https://o.example/</link><item><title>Old one</title>"
        "<link>https://o.example/1</link></item></channel></rss>"
    )
    atom03 = (
        '<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">'
        "<title>A03</title><entry><title>E</title><id>tag:a,2005:1</id>"
        '<link rel="alternate" type="text/html" href="https://a.example/1"/>'
        "<issued>2005-01-01T00:00:00Z</issued><modified>2005-01-02T00:00:00Z</modified>"
        "</entry></feed>"
    )
    r = parse_feed(rdf.encode(), URL)
    assert (r.entries[0].title, r.entries[0].link) == ("One", "https://r.example/1")
    assert r.entries[0].updated == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    o = parse_feed(rss091.encode(), URL)
    assert o.entries[0].link == "https://o.example/1"
    a = parse_feed(atom03.encode(), URL)
    assert a.entries[0].published == datetime(2005, 1, 1, tzinfo=UTC)
    assert a.entries[0].updated == datetime(2005, 1, 2, tzinfo=UTC)


def test_json_feed_1_0_and_1_1() -> None:
    v10 = {
        "version": "https://jsonfeed.org/version/1",
        "title": "J",
        "home_page_url": "https://j.example/",
        "items": [
            {
                "id": 7,
                "url": "/p/7",
                "content_html": "<p>hi<script>x()</script></p>",
                "date_published": "2026-11-13T11:00:00+04:00",
                "author": {"name": "Old Style"},
            }
        ],
    }
    feed = parse_feed(json.dumps(v10).encode(), URL)
    entry = feed.entries[0]
    assert entry.guid == "7" and entry.link == "https://j.example/p/7"
    assert entry.content == "<p>hi</p>"
    assert entry.published == datetime(2026, 11, 13, 7, 0, tzinfo=UTC)
    assert entry.authors == ("Old Style",)
    example = parse_feed((EXAMPLES / "yerevan-tech-en.json").read_bytes(), URL)
    assert example.lang == "en" and len(example.entries) == 2
    assert 'src="https://yerevan-tech.example/img/dc.jpg"' in example.entries[0].content


def test_not_a_feed_is_one_readable_error() -> None:
    with pytest.raises(FeedParseError, match="this is an HTML page, not a feed"):
        parse_feed(b"<html><body>Not found</body></html", URL)
    with pytest.raises(FeedParseError, match="not an RSS, Atom or JSON feed"):
        parse_feed(b"<?xml version='1.0'?><opml><body/></opml>", URL)
    with pytest.raises(FeedParseError, match="not an RSS, Atom or JSON feed"):
        parse_feed(b"Service temporarily unavailable", URL)
    with pytest.raises(FeedParseError, match="JSON Feed"):
        parse_feed(b'{"hello": "world"}', URL)
    with pytest.raises(FeedParseError, match="JSON Feed"):
        parse_feed(b'[{"version": "https://jsonfeed.org/version/1.1"}]', URL)


def test_malformed_xml_still_yields_its_entries_through_feedparser() -> None:
    broken = rss(RSS_ITEMS[0]).replace("</channel></rss>", "<item><title>unclosed")
    feed = parse_feed(broken.encode(), URL)
    assert feed.parser == "feedparser"
    assert feed.entries[0].title == "Plain"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)
QUADRATIC = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + "x" * 50_000
    + '">]><rss version="2.0"><channel><title>'
    + "&a;" * 30_000
    + "</title></channel></rss>"
)


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic"])
def test_entity_bombs_are_refused_with_bounded_memory(bomb: str) -> None:
    for body in (bomb.encode(), codecs.BOM_UTF16_LE + bomb.encode("utf-16-le")):
        tracemalloc.start()
        with pytest.raises(UnsafeXMLError):
            parse_feed(body, URL)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        # feedparser's fallback parser would need gigabytes for these documents.
        assert peak < 10 * len(body) + 1_000_000


def test_language_detection_knows_armenian_russian_and_english() -> None:
    assert detect_language(["Երևանում բացվեց նոր գրադարան, որտեղ կա քսան հազար գիրք"]) == "hy"
    assert detect_language(["В Тбилиси открылась выставка армянских художников"]) == "ru"
    assert (
        detect_language(
            ["Transport ministers from the South Caucasus agreed on a timetable for the rail link"]
        )
        == "en"
    )
    assert choose_language("ru", "en", ["English text here"]) == "ru"
    assert choose_language(None, "en-US", ["Русский текст"]) == "en"
    assert choose_language(None, None, ["?"]) == "und"


def test_example_koi8_feed_without_language_is_detected_as_russian() -> None:
    feed = parse_feed((EXAMPLES / "sevan-news-ru.koi8.xml").read_bytes(), URL)
    assert feed.lang is None
    texts = [e.title + " " + e.summary for e in feed.entries]
    assert choose_language(None, feed.lang, texts) == "ru"
