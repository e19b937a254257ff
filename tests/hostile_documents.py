"""Hostile article documents: every field of the document, broken every way we know.

Shared by the ingest API tests (tests/test_web_ingest_hostile.py) and the `feeds import`
tests (tests/test_cli_import.py): both doors read through ``load_document`` and
``article_from_dict``, so each case must be refused by both, naming ``field``.

A case is a JSON text (not a Python object: some are not JSON at all, or nest deeper
than the stdlib encoder could write) and the field its refusal must name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from feeds import model

ARTICLE_ID = "2026-11-hostile-case"


def valid_document() -> dict[str, Any]:
    """A document with every field filled in, accepted as it is."""
    return {
        "id": ARTICLE_ID,
        "status": "published",
        "published": "2026-11-26T09:30:00+04:00",
        "updated": "2026-11-26T10:00:00Z",
        "section": "Science",
        "tags": ["Sevan", "water"],
        "authors": [
            {
                "name": "Lilit Sargsyan",
                "email": "lilit@news.example",
                "url": "https://news.example/l",
            }
        ],
        "image": {
            "url": "https://news.example/static/images/sevan.jpg",
            "width": 1600,
            "height": 900,
            "mime_type": "image/jpeg",
            "caption": "The lake at dawn",
            "credit": "Photo: L. S.",
        },
        "translations": {
            "en": {
                "title": "Lake Sevan rises",
                "url": "https://news.example/en/articles/2026-11-hostile-case",
                "summary": "The level is up.",
                "body_html": "<p>The level is up.</p>",
            },
            "hy": {
                "title": "Սևանի մակարդակը բարձրացավ",
                "url": "https://news.example/hy/articles/2026-11-hostile-case",
            },
        },
    }


def valid_aggregated_document() -> dict[str, Any]:
    doc = valid_document()
    doc["source"] = {
        "title": "Ararat Daily",
        "feed_url": "https://ararat.example/rss.xml",
        "link": "https://ararat.example/a/1",
        "lang": "hy",
        "source_id": 7,
    }
    return doc


@dataclass(frozen=True)
class Case:
    id: str
    body: str  # the JSON text sent or imported
    field: str  # what the refusal must name; a prefix: "translations" matches "translations.en"
    only_against_url: bool = False  # wrong only because the URL names another id


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` (``a.0`` indexes a list); ``DELETE`` removes the key."""
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


DELETE = object()


def changed(path: str, value: Any, *, base: Callable[[], dict[str, Any]] = valid_document) -> str:
    doc = copy.deepcopy(base())
    _set(doc, path, value)
    # ensure_ascii keeps lone surrogates as \ud800 escapes, the way a client would send them.
    return json.dumps(doc, ensure_ascii=True, allow_nan=True)


LONG = "x" * 300
HUGE = "x" * 100_000
SURROGATE = "a\ud800b"
NUL = "a\x00b"
ESC = "a\x1bb"
NONCHAR = "a\uffffb"
WRONG_TYPES = {"int": 1, "float": 1.5, "bool": True, "list": [], "object": {}}


def _string_field_cases(path: str, field: str, *, one_line: bool, required: bool) -> Iterator[Case]:
    for name, value in WRONG_TYPES.items():
        yield Case(f"{path}-{name}", changed(path, value), field)
    yield Case(f"{path}-surrogate", changed(path, SURROGATE), field)
    yield Case(f"{path}-nul", changed(path, NUL), field)
    yield Case(f"{path}-escape", changed(path, ESC), field)
    yield Case(f"{path}-noncharacter", changed(path, NONCHAR), field)
    if one_line:
        yield Case(f"{path}-newline", changed(path, "a\nb"), field)
        yield Case(f"{path}-del", changed(path, "a\x7fb"), field)
        yield Case(f"{path}-c1", changed(path, "a\x85b"), field)
        yield Case(f"{path}-300-chars", changed(path, LONG), field)
        yield Case(f"{path}-100000-chars", changed(path, HUGE), field)
    if required:
        yield Case(f"{path}-empty", changed(path, ""), field)
        yield Case(f"{path}-blank", changed(path, "  \t "), field)
        yield Case(f"{path}-missing", changed(path, DELETE), field)


def _url_field_cases(
    path: str, field: str, *, base: Callable[[], dict[str, Any]]
) -> Iterator[Case]:
    bad = {
        "int": 5,
        "list": ["https://a.example/"],
        "relative": "en/x",
        "scheme-relative": "//a.example/x",
        "ftp": "ftp://a.example/x",
        "javascript": "javascript:alert(1)",
        "no-host": "https://",
        "space": "https://a.example/a b",
        "nul": "https://a.example/\x00",
        "surrogate": "https://a.example/\ud800",
        "c1": "https://a.example/\x85",
        "bad-port": "https://a.example:99999999999/",
        "bad-ipv6": "https://[::1/x",
        "3000-chars": "https://a.example/" + "x" * 3000,
    }
    for name, value in bad.items():
        yield Case(f"{path}-{name}", changed(path, value, base=base), field)


def _whole_number_cases(
    path: str, field: str, *, base: Callable[[], dict[str, Any]] = valid_document
) -> Iterator[Case]:
    bad: dict[str, Any] = {
        "zero": 0,
        "negative": -1,
        "float": 1.5,
        "float-whole": 1600.0,
        "bool": True,
        "string": "1600",
        "10e30": 10**30,
        "2e70": 2**70,
        "int64-overflow": 2**63,
        "list": [1],
        "object": {},
    }
    for name, value in bad.items():
        yield Case(f"{path}-{name}", changed(path, value, base=base), field)
    # 1e400 is JSON (a float too large for a double: inf); NaN and Infinity are not JSON.
    marker = 123_456_789
    text = changed(path, marker, base=base)
    yield Case(f"{path}-exponent", text.replace(str(marker), "1e400"), field)
    yield Case(f"{path}-nan", text.replace(str(marker), "NaN"), "(document)")
    yield Case(f"{path}-infinity", text.replace(str(marker), "-Infinity"), "(document)")


# Dates at the edges of the calendar, with every kind of offset: each is either before the
# first day or after the last one once in UTC, or outside the supported years.
EDGE_DATES = [
    f"{day}T{time}{offset}"
    for day, time in (("0001-01-01", "00:00:00"), ("9999-12-31", "23:59:59"))
    for offset in ("Z", "+00:00", "+14:00", "-14:00", "+23:59", "-23:59", "+05:45", "-09:30")
] + [
    "1899-12-31T23:59:59Z",
    "1899-12-31T23:00:00+00:00",
    "9999-01-01T00:00:00Z",
    "9998-12-31T23:00:00-01:00",
    "1900-01-01T00:30:00+01:00",
]
BAD_DATES = {
    "naive": "2026-11-26T09:30:00",
    "date-only": "2026-11-26",
    "words": "yesterday",
    "empty": "",
    "feb-30": "2026-02-30T09:30:00Z",
    "hour-24": "2026-11-26T24:00:00Z",
    "offset-24h": "2026-11-26T09:30:00+24:00",
    "surrogate": "2026-11-26T09:30:00\ud800",
    "nul": "2026-11-26T09:30:00Z\x00",
    "huge": "2026-11-26T09:30:00" + "0" * 100_000,
    "int": 20261126,
    "list": ["2026-11-26T09:30:00Z"],
}


def _deep(depth: int, opener: str, closer: str) -> str:
    return opener * depth + closer * depth


def cases() -> list[Case]:
    out: list[Case] = []
    add = out.append

    # The document as a whole.
    for name, text in {
        "array": "[]",
        "string": '"article"',
        "number": "1",
        "null": "null",
        "true": "true",
        "not-json": "{nope}",
        "truncated": '{"id": "2026-11-hostile-case", ',
        "empty": "",
        "trailing-garbage": json.dumps(valid_document()) + "}",
        "nan-literal": changed("image.width", float("nan")),
        "infinity-literal": changed("image.width", float("inf")),
        "5000-digit-integer": changed("image.width", 0).replace(
            '"width": 0', '"width": ' + "9" * 5000
        ),
        "arrays-100000-deep": _deep(100_000, "[", "]"),
        "objects-50000-deep": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "deep-in-a-field": changed("tags", 0).replace(
            '"tags": 0', '"tags": ' + _deep(100_000, "[", "]")
        ),
        "21-deep": changed("tags", 0).replace('"tags": 0', '"tags": ' + _deep(20, "[", "]")),
    }.items():
        add(Case(f"document-{name}", text, "(document)"))

    # id (the URL says 2026-11-hostile-case; a document id must agree and be well formed).
    for name, value in {
        **WRONG_TYPES,
        "surrogate": SURROGATE,
        "nul": NUL,
        "201-chars": "x" * 201,
        "space": "a b",
        "slash": "a/b",
    }.items():
        add(Case(f"id-{name}", changed("id", value), "id"))
    add(Case("id-other", changed("id", "2026-11-other"), "id", only_against_url=True))

    # status
    for name, value in {
        **WRONG_TYPES,
        "empty": "",
        "unknown": "live",
        "upper": "PUBLISHED",
        "huge": HUGE,
    }.items():
        add(Case(f"status-{name}", changed("status", value), "status"))

    # published and updated
    for key in ("published", "updated"):
        for name, value in BAD_DATES.items():
            add(Case(f"{key}-{name}", changed(key, value), key))
        for value in EDGE_DATES:
            add(Case(f"{key}-edge-{value}", changed(key, value), key))
    add(Case("published-missing", changed("published", DELETE), "published"))

    # section, tags, authors: names that become slugs (VARCHAR(200)).
    out.extend(_string_field_cases("section", "section", one_line=True, required=False))
    add(Case("section-201-chars", changed("section", "x" * 201), "section"))
    add(Case("section-empty", changed("section", ""), "section"))
    for name, value in {"string": "sevan", "object": {}, "number": 1}.items():
        add(Case(f"tags-{name}", changed("tags", value), "tags"))
    for name, value in {
        "int-item": [1],
        "null-item": [None],
        "list-item": [[]],
        "empty-item": [""],
        "blank-item": ["   "],
        "no-letters": ["!!!"],
        "300-chars": [LONG],
        "100000-chars": [HUGE],
        "nul": [NUL],
        "surrogate": [SURROGATE],
        "newline": ["a\nb"],
        "escape": [ESC],
    }.items():
        add(Case(f"tags-{name}", changed("tags", value), "tags[0]"))
    add(Case("tags-51", changed("tags", [f"t{i}" for i in range(51)]), "tags"))
    add(Case("tags-100000", changed("tags", [f"t{i}" for i in range(100_000)]), "tags"))

    for name, value in {"string": "Anna", "object": {"name": "Anna"}, "number": 1}.items():
        add(Case(f"authors-{name}", changed("authors", value), "authors"))
    for name, value in {
        "int-item": [1],
        "list-item": [[]],
        "no-name": [{}],
        "null-item": [None],
    }.items():
        add(Case(f"authors-{name}", changed("authors", value), "authors[0]"))
    add(Case("authors-51", changed("authors", [f"A{i}" for i in range(51)]), "authors"))
    add(Case("authors-100000", changed("authors", ["A"] * 100_000), "authors"))
    out.extend(
        _string_field_cases("authors.0.name", "authors[0].name", one_line=True, required=True)
    )
    out.extend(
        _string_field_cases("authors.0.email", "authors[0].email", one_line=True, required=False)
    )
    for name, value in {
        "not-an-email": "lilit",
        "two-ats": "a@b@c",
        "over-254-chars": "a" * 250 + "@news.example",
        "empty": "",
    }.items():
        add(Case(f"authors.0.email-{name}", changed("authors.0.email", value), "authors[0].email"))
    out.extend(_url_field_cases("authors.0.url", "authors[0].url", base=valid_document))

    # translations
    for name, value in {"list": [], "string": "en", "number": 1, "null": None, "empty": {}}.items():
        add(Case(f"translations-{name}", changed("translations", value), "translations"))
    many = {
        lang: {"title": "t", "url": "https://a.example/"} for lang in sorted(model._ISO_639_1)[:51]
    }
    add(Case("translations-51-languages", changed("translations", many), "translations"))
    for name, lang in {
        "word": "english",
        "unknown": "xx",
        "empty": "",
        "surrogate": "\ud800",
        "nul": "e\x00n",
        "upper": "EN",
        "100-chars": "a" * 100,
        "over-35-chars": "en-" + "-".join(["abcdefgh"] * 5),
    }.items():
        doc = valid_document()
        doc["translations"][lang] = doc["translations"].pop("hy")
        add(Case(f"translations-key-{name}", json.dumps(doc, ensure_ascii=True), "translations"))
    for name, value in WRONG_TYPES.items():
        add(Case(f"translations.en-{name}", changed("translations.en", value), "translations.en"))
    out.extend(
        _string_field_cases(
            "translations.en.title", "translations.en.title", one_line=False, required=True
        )
    )
    out.extend(_url_field_cases("translations.en.url", "translations.en.url", base=valid_document))
    for key in ("summary", "body_html"):
        path = f"translations.en.{key}"
        out.extend(_string_field_cases(path, path, one_line=False, required=False))

    # image
    for name, value in {"string": "x.jpg", "list": [], "number": 1}.items():
        add(Case(f"image-{name}", changed("image", value), "image"))
    out.extend(_url_field_cases("image.url", "image.url", base=valid_document))
    add(Case("image.url-missing", changed("image.url", DELETE), "image.url"))
    for key in ("width", "height"):
        out.extend(_whole_number_cases(f"image.{key}", f"image.{key}"))
        add(Case(f"image.{key}-over-100000", changed(f"image.{key}", 100_001), f"image.{key}"))
        add(Case(f"image.{key}-missing", changed(f"image.{key}", DELETE), f"image.{key}"))
    out.extend(
        _string_field_cases("image.mime_type", "image.mime_type", one_line=True, required=True)
    )
    for name, value in {
        "html": "text/html",
        "bare": "image",
        "upper": "IMAGE/JPEG",
        "long": "image/" + "a" * 200,
    }.items():
        add(Case(f"image.mime_type-{name}", changed("image.mime_type", value), "image.mime_type"))
    for key in ("caption", "credit"):
        out.extend(
            _string_field_cases(f"image.{key}", f"image.{key}", one_line=False, required=False)
        )

    # source (aggregated stories)
    agg = valid_aggregated_document
    for name, value in {"string": "x", "list": [], "number": 1}.items():
        add(Case(f"source-{name}", changed("source", value, base=agg), "source"))
    for key in ("title", "feed_url", "link", "lang"):
        add(
            Case(
                f"source.{key}-missing", changed(f"source.{key}", DELETE, base=agg), f"source.{key}"
            )
        )
    for key in ("title", "lang"):
        add(Case(f"source.{key}-int", changed(f"source.{key}", 5, base=agg), f"source.{key}"))
        add(
            Case(
                f"source.{key}-surrogate",
                changed(f"source.{key}", SURROGATE, base=agg),
                f"source.{key}",
            )
        )
        add(Case(f"source.{key}-nul", changed(f"source.{key}", NUL, base=agg), f"source.{key}"))
    for key in ("feed_url", "link"):
        out.extend(_url_field_cases(f"source.{key}", f"source.{key}", base=agg))
    add(Case("source.lang-100-chars", changed("source.lang", "a" * 100, base=agg), "source.lang"))
    add(Case("source.lang-empty", changed("source.lang", "", base=agg), "source.lang"))
    out.extend(_whole_number_cases("source.source_id", "source.source_id", base=agg))
    add(
        Case(
            "source.source_id-2e31",
            changed("source.source_id", 2**31, base=agg),
            "source.source_id",
        )
    )
    return out


CASES = cases()
