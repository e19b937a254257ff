"""The encoding decision, seen through what parse_feed returns: the text a reader would see.

Mislabelled documents must read as their authors wrote them; correctly labelled ones,
including legitimate Latin-1 text that a careless heuristic might take for mojibake,
must read exactly as declared.
"""

from __future__ import annotations

import codecs
import json

import pytest

from feeds.aggregate import charset
from feeds.aggregate.charset import decode_xml
from feeds.aggregate.document import BodyKind, is_html_page, sniff
from feeds.aggregate.parse import FeedParseError, parse_feed

URL = "http://127.0.0.1:9/feed.xml"
RU = "Новости: Госдума приняла закон о языке"
UK = "Київ і Львів: нові ґрунтові дороги та їхні перспективи"
HY = "Երևանում բացվեց նոր գրադարան"


def rss(*titles: str, declaration: str | None = "utf-8") -> str:
    items = "".join(
        f"<item><guid>g{i}</guid><title>{t}</title></item>" for i, t in enumerate(titles)
    )
    head = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else ""
    return f'{head}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


def titles(body: bytes, content_type: str | None = None) -> list[str]:
    return [e.title for e in parse_feed(body, URL, content_type).entries]


@pytest.mark.parametrize(
    ("text", "declared"),
    [
        ("Les élèves ont préparé l'été à Noël, garçon", "iso-8859-1"),
        ("Größe, Übermaß und Äpfel für München", "iso-8859-1"),
        ("Þýðing á íslensku og færeysku", "iso-8859-1"),
        ("Ação e coração não são fáceis", "windows-1252"),
        ("Don’t say “never” – it’s… fine", "windows-1252"),
    ],
)
def test_legitimate_latin_text_reads_as_declared(text: str, declared: str) -> None:
    body = rss(text, "Second story about it", declaration=declared).encode("cp1252")
    assert titles(body) == [text, "Second story about it"]


def test_legitimate_cyrillic_code_pages_read_as_declared() -> None:
    assert titles(rss(UK, RU, declaration="windows-1251").encode("cp1251")) == [UK, RU]
    assert titles(rss(RU, declaration="koi8-r").encode("koi8-r")) == [RU]
    assert titles(rss(UK, declaration="koi8-u").encode("koi8-u")) == [UK]
    assert titles(rss(RU, declaration="iso-8859-5").encode("iso8859-5")) == [RU]


def test_a_few_stray_windows_1252_bytes_in_utf8_are_read_as_such() -> None:
    body = rss(RU, "Don’t worry").encode().replace("’".encode(), b"\x92")
    assert titles(body) == [RU, "Don’t worry"]


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"])
def test_wide_encodings_with_and_without_bom(codec: str) -> None:
    text = rss(HY, RU, declaration=codec.rsplit("-", 1)[0])
    bom = {"utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}
    bom |= {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    assert titles(bom[codec] + text.encode(codec)) == [HY, RU]
    assert titles(text.encode(codec)) == [HY, RU]


@pytest.mark.parametrize("label", ["utf-7", "base64", "rot13", "no-such-charset", "utf-16"])
def test_unusable_charset_labels_are_ignored(label: str) -> None:
    assert titles(rss(RU).encode(), f"application/rss+xml; charset={label}") == [RU]
    assert titles(rss(RU, declaration=label).encode()) == [RU]


def test_json_feed_encodings() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [{"id": "1", "title": RU}, {"id": "2", "title": HY}],
    }
    text = json.dumps(feed, ensure_ascii=False)
    assert titles(text.encode()) == [RU, HY]
    assert titles(codecs.BOM_UTF8 + text.encode()) == [RU, HY]
    assert titles(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == [RU, HY]
    assert titles(text.encode("utf-16-le")) == [RU, HY]
    only_ru = json.dumps({**feed, "items": feed["items"][:1]}, ensure_ascii=False)
    assert titles(only_ru.encode("cp1251"), "application/json; charset=windows-1251") == [RU]
    assert titles(only_ru.encode("cp1251"), "application/json") == [RU]


def test_the_detector_is_not_consulted_for_clean_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(body: bytes, exclude: str | None) -> str | None:
        raise AssertionError("the detector ran on a clean UTF-8 document")

    monkeypatch.setattr(charset, "_detect", refuse)
    assert titles(rss(RU, HY, "Plain English").encode()) == [RU, HY, "Plain English"]
    assert titles(rss(RU).encode(), "text/xml; charset=UTF-8") == [RU]
    assert titles(rss(RU, declaration=None).encode()) == [RU]


def test_a_clean_utf8_body_is_handed_on_unchanged() -> None:
    body = rss(RU, HY).encode()
    decoded = decode_xml(body, "utf-8")
    assert decoded.body is body and decoded.note is None


def test_a_document_is_transcoded_with_its_declaration_fixed() -> None:
    decoded = decode_xml(rss(RU, declaration="windows-1251").encode("cp1251"), None)
    assert decoded.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert RU.encode() in decoded.body and decoded.note is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>", BodyKind.HTML),
        (b"\n  <!-- a comment --><HTML lang='en'>", BodyKind.HTML),
        (
            b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            b'"x"><html xmlns="http://www.w3.org/1999/xhtml">',
            BodyKind.HTML,
        ),
        (b"<head><meta charset='utf-8'></head>", BodyKind.HTML),
        (b'<?xml version="1.0"?><!-- c --><rss version="2.0">', BodyKind.XML),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'>", BodyKind.XML),
        (b"<rdf:RDF xmlns:rdf='x'>", BodyKind.XML),
        (b'<!DOCTYPE rss [<!ENTITY a "<html>">]><rss>', BodyKind.XML),
        (codecs.BOM_UTF16_LE + "<html><body/>".encode("utf-16-le"), BodyKind.HTML),
        (b'  {"version": "x"}', BodyKind.JSON),
        (b"Service unavailable", BodyKind.UNKNOWN),
    ],
)
def test_the_body_says_what_it_is(body: bytes, kind: BodyKind) -> None:
    assert sniff(body) is kind
    assert is_html_page(body) is (kind is BodyKind.HTML)


def test_an_html_page_is_an_error_whatever_content_type_claims() -> None:
    page = b"<!doctype html><html><head><title>Feed</title></head></html>"
    with pytest.raises(FeedParseError, match="this is an HTML page, not a feed"):
        parse_feed(page, URL, "application/rss+xml")
