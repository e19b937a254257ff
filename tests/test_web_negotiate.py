"""Header rules the cache answers by: content codings, entity tags, dates, languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.web.variant import (
    choose_coding,
    etag_matches,
    http_date,
    modified_since,
    preferred_language,
)


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("GZIP", "gzip"),
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("identity", None),
        ("*", "br"),
        ("*;q=0.1, br;q=0", "gzip"),
        ("deflate", None),
        ("gzip;q=bogus", None),
        ("", None),
    ],
)
def test_choose_coding_follows_q_values(header: str, coding: str | None) -> None:
    assert choose_coding(header) == coding


def test_etag_matching_is_weak_and_takes_lists() -> None:
    tags = frozenset({'"abc"', '"abc-gzip"'})
    assert etag_matches('"abc"', tags)
    assert etag_matches('W/"abc-gzip"', tags)
    assert etag_matches('"x", "abc"', tags)
    assert etag_matches("*", tags)
    assert not etag_matches('"abcd"', tags)
    assert not etag_matches("abc", tags)


def test_modified_since_compares_whole_seconds() -> None:
    changed = datetime(2026, 11, 27, 9, 30, 15, 700_000, tzinfo=UTC)
    assert http_date(changed) == "Fri, 27 Nov 2026 09:30:15 GMT"
    assert not modified_since("Fri, 27 Nov 2026 09:30:15 GMT", changed)
    assert modified_since("Fri, 27 Nov 2026 09:30:14 GMT", changed)
    assert not modified_since("Sat, 28 Nov 2026 00:00:00 GMT", changed)
    assert modified_since("yesterday", changed)


@pytest.mark.parametrize(
    ("header", "suggested"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE,de;q=0.9,hy;q=0.4", "hy"),
        ("de", None),
        (None, None),
        ("en;q=0.2, hy-AM", "hy"),
    ],
)
def test_preferred_language_only_suggests_offered_ones(
    header: str | None, suggested: str | None
) -> None:
    assert preferred_language(header, ("en", "hy", "ru")) == suggested
