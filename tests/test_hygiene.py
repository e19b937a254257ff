"""The text-hygiene step and entry preparation, over hostile inputs: fast, no servers.

The property tests draw documents from a seeded generator (the same cases on every run):
whatever the fields hold, preparation never raises, every entry is stored or refused with
a reason, and nothing stored carries a control character or exceeds its cap.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime
from html import escape

import pytest

from feeds.aggregate.decide import PollState
from feeds.aggregate.fetchresult import FetchOutcome, FetchResult
from feeds.aggregate.lang import EntryLanguages
from feeds.aggregate.prepare import ParseJob, PollResult, prepare
from feeds.hygiene import CAPS, MAX_AUTHORS, MAX_TAGS, clean_text, cut
from feeds.model import UNDETERMINED, check_language_tag

CONTROLS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]


def test_clean_text_removes_every_control_but_tab_and_newline() -> None:
    text = "a\tb\nc" + "".join(CONTROLS) + "\ud800\udfff\ufffe\uffffd"
    assert clean_text(text) == "a\tb\ncd"


def test_clean_text_keeps_letters_of_every_script() -> None:
    text = "Երևան Москва Tbilisi 東京 ☃ 😀 é"
    assert clean_text(text) == text


def test_cut_leaves_short_text_alone() -> None:
    assert cut("Short title", 500) == "Short title"
    assert cut("x" * 500, 500) == "x" * 500


def test_cut_stops_at_a_word_and_ends_with_an_ellipsis() -> None:
    assert cut("alpha beta gamma delta", 15) == "alpha beta…"


def test_cut_without_spaces_cuts_on_a_character() -> None:
    text = "😀" * 50
    out = cut(text, 10)
    assert out == "😀" * 9 + "…"
    out.encode("utf-8")  # whole characters only: encodes without error


# --- language per entry ---------------------------------------------------------------------


def test_entry_languages_follow_the_documented_order() -> None:
    calls: list[str] = []

    def feed_texts() -> list[str]:
        calls.append("feed")
        return ["Правительство утвердило новый бюджет на следующий год"]

    unsure = "Entry 1"
    langs = EntryLanguages(None, None, None, feed_texts)
    assert langs.of("hy-AM", unsure) == "hy"  # the entry's own declaration
    assert langs.of(None, "The government approved a new budget for next year") == "en"
    assert calls == []  # the feed-wide detection only runs when an entry needs it
    assert langs.of(None, unsure) == "ru"  # unsure: the feed's language
    assert langs.of(None, unsure) == "ru" and calls == ["feed"]  # computed once
    assert EntryLanguages("ru", "en", None, feed_texts).of("hy", "English text here") == "ru"
    assert EntryLanguages(None, "en-US", None, feed_texts).of(None, "Русский текст") == "en"
    assert EntryLanguages(None, None, "hy", list).of(None, unsure) == "hy"  # earlier poll's
    assert EntryLanguages(None, None, None, list).of(None, unsure) == UNDETERMINED
    assert EntryLanguages(None, None, None, list).of("xx-bogus", unsure) == UNDETERMINED


# --- property tests: hostile documents ------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SOURCE = "http://127.0.0.1:9/feed"
# What a hostile field is made of: controls, markup, odd URLs, scripts of the newsroom.
PIECES = [
    *CONTROLS,
    "\t",
    "\n",
    " ",
    "<b>",
    "</p>",
    "&amp;",
    "<script>x()</script>",
    "http://[bad",
    "https://ok.example/a",
    "javascript:alert(1)",
    "Երևան",
    "Москва",
    "word",
    "😀",
    "\u0301",
    "\ufeff",
]


def hostile(rng: random.Random, *, json_only: bool) -> str:
    pieces = PIECES + (["\ud800", "\udfff", "\ufffe"] if json_only else [])
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
    if rng.random() < 0.1:
        text += "long " * rng.randint(100, 3000)
    return text


def xml_text(value: str, *, broken: bool = False) -> str:
    """``value`` as XML character data: escaped, and without what XML 1.0 cannot carry
    unless ``broken`` (then feedparser reads the document)."""
    if not broken:
        value = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20)
        value = value.replace("\ufffe", "").replace("\uffff", "")
    return escape(value, quote=True)


def atom_document(rng: random.Random, n: int, *, broken: bool) -> bytes:
    def text() -> str:
        return xml_text(hostile(rng, json_only=False), broken=broken)

    langs = ["", ' xml:lang="ru"', ' xml:lang=""']
    entries = "".join(
        f"<entry{rng.choice(langs)}>"
        f"<id>{xml_text(rng.choice([f'urn:{i}', f'http://[bad/{i}', text()]))}</id>"
        f"<title type='{rng.choice(['text', 'html'])}'>{text()}</title>"
        f"<link href='{xml_text(rng.choice(['http://[bad', text(), f'/rel/{i}']))}'/>"
        f"<updated>2026-11-0{rng.randint(1, 9)}T00:00:00Z</updated>"
        f"<summary type='html'>{text()}</summary><content type='html'>{text()}</content>"
        f"<author><name>{text()}</name></author><category term='{text()}'/></entry>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{text()}</title><id>urn:feed</id><updated>2026-11-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode("utf-8", "surrogatepass")


def rss_document(rng: random.Random, n: int) -> bytes:
    items = []
    for i in range(n):
        guid = rng.choice([f"urn:{i}", f"http://[bad/{i}", f"https://g.example/{i}", ""])
        fields = {k: xml_text(hostile(rng, json_only=False)) for k in ("title", "description")}
        lang = rng.choice(["", "<dc:language>hy</dc:language>", "<dc:language>??</dc:language>"])
        items.append(
            f"<item><guid>{xml_text(guid)}</guid><title>{fields['title']}</title>"
            f"<link>{xml_text(hostile(rng, json_only=False))}</link>"
            f"<description>{fields['description']}</description>"
            f"<category>{xml_text(hostile(rng, json_only=False))}</category>"
            f"<dc:creator>{xml_text(hostile(rng, json_only=False))}</dc:creator>{lang}</item>"
        )
    title = xml_text(hostile(rng, json_only=False))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{title}</title><link>https://feed.example/</link>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def json_document(rng: random.Random, n: int) -> bytes:
    def field() -> str:
        return hostile(rng, json_only=True)

    items = [
        {
            "id": rng.choice([f"urn:{i}", f"http://[bad/{i}", field() + str(i)]),
            "url": rng.choice([field(), "http://[bad", f"https://u.example/{i}"]),
            "title": field(),
            "content_html": field(),
            "summary": field(),
            "authors": [{"name": field()} for _ in range(rng.choice([0, 1, 40]))],
            "tags": [field() for _ in range(rng.choice([0, 2, 60]))],
            "language": rng.choice([None, "ru", "und", "??", field()]),
        }
        for i in range(n)
    ]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": field(), "items": items}
    return json.dumps(doc).encode()


def assert_clean(text: str, cap: int | None = None) -> None:
    assert clean_text(text) == text, repr(text[:80])
    if cap is not None:
        assert len(text) <= cap


def parse_job(
    body: bytes,
    content_type: str | None = None,
    *,
    title: str | None = None,
    lang: str | None = None,
) -> ParseJob:
    """A first poll of ``SOURCE`` (source 1) that fetched ``body``."""
    source = PollState(url=SOURCE, id=1, title=title, lang=lang)
    fetched = FetchResult(FetchOutcome.OK, SOURCE, NOW, body=body, content_type=content_type)
    return ParseJob(source, fetched, {}, 0.0)


def assert_every_entry_stored_or_refused(prepared: PollResult, n: int) -> None:
    assert prepared.plan.error is None
    assert not prepared.changed  # a first poll: every stored entry is new
    # Nothing is dropped silently: an id twice in one feed keeps the first and counts the rest.
    assert len(prepared.new) + prepared.skipped + prepared.unchanged == n
    repeats = re.match(
        r"entry .*?: (\d+) entries repeat the id", (prepared.skip_reasons or ("",))[0]
    )
    repeated = int(repeats.group(1)) if repeats else 0
    # One reason for all the repeats (first), then one per other refused entry, at most 5.
    assert len(prepared.skip_reasons) == min((repeated > 0) + prepared.skipped - repeated, 5)
    assert all(0 < len(r) <= 300 for r in prepared.skip_reasons)
    for row in prepared.new:
        doc = json.loads(row.document)
        [(lang, translation)] = doc["translations"].items()
        assert lang == UNDETERMINED or check_language_tag(lang) is None
        assert_clean(translation["title"], CAPS["title"])
        assert_clean(translation["summary"], CAPS["summary"])
        assert_clean(translation["body_html"])
        assert len(translation["body_html"]) <= CAPS["body_html"] + 100
        assert_clean(doc["source"]["title"], CAPS["source_title"])
        assert len(doc["authors"]) <= MAX_AUTHORS and len(doc["tags"]) <= MAX_TAGS
        for author in doc["authors"]:
            assert_clean(author["name"], CAPS["author"])
        for tag in doc["tags"]:
            assert_clean(tag, CAPS["tag"])
        assert all(len(slug) <= 200 for slug, _ in row.tags + row.authors)
    if prepared.update.feed_title is not None:
        assert_clean(prepared.update.feed_title, CAPS["feed_title"])


@pytest.mark.parametrize("seed", range(40))
def test_no_hostile_rss_document_crashes_preparation(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    job = parse_job(rss_document(rng, n))
    assert_every_entry_stored_or_refused(prepare(job), n)


@pytest.mark.parametrize("seed", range(40))
def test_no_hostile_atom_document_crashes_preparation(seed: int) -> None:
    """Half of them are not even XML (raw control characters): feedparser reads those."""
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    body = atom_document(rng, n, broken=seed % 2 == 1)
    job = parse_job(body, "application/atom+xml")
    assert_every_entry_stored_or_refused(prepare(job), n)


@pytest.mark.parametrize("seed", range(40))
def test_no_hostile_json_feed_crashes_preparation(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    title = hostile(rng, json_only=True)
    body = json_document(rng, n)
    job = parse_job(body, "application/feed+json", title=title)
    assert_every_entry_stored_or_refused(prepare(job), n)


def test_a_huge_body_is_cut_between_tags_and_stays_well_formed() -> None:
    body = "<p>" + "<b>bold</b> text " * 40_000 + "</p>"
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Big",
        "items": [{"id": "urn:big", "url": "https://b.example/1", "content_html": body}],
    }
    prepared = prepare(parse_job(json.dumps(doc).encode(), lang="en"))
    [row] = prepared.new
    html = json.loads(row.document)["translations"]["en"]["body_html"]
    assert len(html) <= CAPS["body_html"] + 100
    assert html.endswith("…</p>") or html.endswith("…</b></p>")
    assert html.count("<b>") == html.count("</b>")


def test_huge_feed_source_author_and_tag_texts_are_cut_to_their_caps() -> None:
    huge = "Լուր " * 200_000  # a megabyte of Armenian words
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": huge,
        "items": [
            {
                "id": "urn:1",
                "url": "https://h.example/1",
                "title": huge,
                "summary": huge,
                "authors": [{"name": huge}],
                "tags": [huge],
            }
        ],
    }
    prepared = prepare(parse_job(json.dumps(doc).encode(), title=huge, lang="hy"))
    feed_title = prepared.update.feed_title
    assert feed_title is not None and len(feed_title) <= CAPS["feed_title"]
    [row] = prepared.new
    doc_out = json.loads(row.document)
    translation = doc_out["translations"]["hy"]
    assert translation["title"].endswith("Լուր…") and len(translation["title"]) <= CAPS["title"]
    assert len(translation["summary"]) <= CAPS["summary"]
    assert len(doc_out["source"]["title"]) <= CAPS["source_title"]
    assert [len(a["name"]) <= CAPS["author"] for a in doc_out["authors"]] == [True]
    assert [len(t) <= CAPS["tag"] for t in doc_out["tags"]] == [True]
