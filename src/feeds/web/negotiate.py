"""Reading the request headers that decide a cached response: pure functions, no I/O.

Conditional requests follow RFC 9110 §13: ``If-None-Match`` uses the weak comparison
(§8.8.3.2) and, when present, ``If-Modified-Since`` is ignored (§13.1.3). Content codings
follow §12.5.3: the highest q-value wins, ``q=0`` refuses a coding, ``*`` stands for any
coding not named.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

__all__ = [
    "CODINGS",
    "choose_coding",
    "etag_matches",
    "http_date",
    "modified_since",
    "preferred_language",
]

# The codings we keep compressed bytes for, in order of preference on a tie.
CODINGS = ("br", "gzip")


@lru_cache(maxsize=512)
def choose_coding(accept_encoding: str) -> str | None:
    """``"br"``, ``"gzip"`` or None (send the bytes as they are) for an Accept-Encoding."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weights[name] = _q_value(params)
    best: str | None = None
    best_q = 0.0
    for coding in CODINGS:
        q = weights.get(coding, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    return best


def _q_value(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def etag_matches(if_none_match: str, etags: frozenset[str]) -> bool:
    """Whether any entity tag in an If-None-Match header names one of ``etags``.

    ``etags`` holds quoted tags (``'"abc"'``); weak comparison ignores a ``W/`` prefix.
    """
    value = if_none_match.strip()
    if value == "*":
        return True
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in etags:
            return True
    return False


def modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    """False when the representation has not changed since the given HTTP date.

    An unparseable date counts as modified (RFC 9110 §13.1.3: ignore an invalid date).
    """
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    # HTTP dates have whole seconds: compare at that resolution.
    return last_modified.replace(microsecond=0) > since


def http_date(value: datetime) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), always GMT and in English."""
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def preferred_language(accept_language: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered language the browser ranks highest, or None when it ranks none.

    Used only to *suggest* a language on the HTML pages; a feed's language always comes
    from its URL: feed fetchers don't send ``Accept-Language`` and caches would split.
    """
    if not accept_language:
        return None
    best: str | None = None
    best_q = 0.0
    for part in accept_language.split(","):
        name, _, params = part.strip().partition(";")
        primary = name.strip().lower().split("-")[0]
        q = _q_value(params)
        for lang in offered:
            if lang.lower().split("-")[0] == primary and q > best_q:
                best, best_q = lang, q
    return best
