"""Search text: the one normalisation stored stories and readers' queries share, and the
query syntax of the search box (``docs/news.md``).

Both stores are handed words that this module already normalised, so SQLite FTS5 and
PostgreSQL full-text search see the same tokens and give the same answers whatever their
tokenizers, locales or Unicode tables would have done with raw text:

- NFKC, then Unicode case folding, then NFKC again: ``Straße`` and ``STRASSE`` are one
  word, ``Աջափնյակ`` and ``ԱՋԱՓՆՅԱԿ`` too.
- ``ё`` is ``е``: Russian writes both for the same word.
- Armenian ``և`` (NFKC makes it ``եւ``) is ``եվ``: capitals write it ``ԵՎ``, so
  ``Երևան``, ``ԵՐԵՎԱՆ``, ``Երեվան`` and ``Երեւան`` are one word.
- Combining accents left over (a Russian stress mark, ``приве́т``) are dropped; letters
  with their own code point (``й``, ``ё`` before the rule above) are kept, so ``й`` and
  ``и`` stay different letters.
- A word is a run of letters and digits; everything else separates words.

No stemming: Armenian and Russian inflect heavily and neither store ships a stemmer for
Armenian, so a reader asks for a prefix (``Երևան*``, ``ереван*``) to match every ending.

Stdlib only: the parse workers build a story's search text (``feeds.articlerows``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import islice

from feeds.errors import FeedsError

__all__ = [
    "MAX_INDEXED_WORDS",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "MIN_PREFIX",
    "Query",
    "SearchSyntaxError",
    "Term",
    "normalise",
    "parse_query",
    "words",
]

# Words of one story's text kept in the index: its title, summary and the start of its
# body. Bounds the index (a 10 MB body is not 10 MB of index) and keeps every position
# under PostgreSQL's 16,383, past which phrases could not be matched.
MAX_INDEXED_WORDS = 5000
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MIN_PREFIX = 2

_WORD = re.compile(r"[^\W_]+")
# Combining diacritical marks (U+0300-036F) and the Cyrillic ones (U+0483-0489).
_MARKS = re.compile("[\u0300-\u036f\u0483-\u0489]")
# Russian and Armenian phrases are quoted «так», German „so“, English “so”: all are ".
_QUOTES = str.maketrans(dict.fromkeys("«»„“”", '"'))
_QUERY_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')


class SearchSyntaxError(FeedsError, ValueError):
    """A query the search box cannot run; the message says why. ``reason`` names the
    problem for a page to say in its own language: "empty", "prefix" or "long"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalise(text: str) -> str:
    """``text`` folded the way the index is: compare words only after this."""
    if text.isascii():  # what the steps below make of ASCII
        return text.lower()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _MARKS.sub("", folded.replace("ё", "е").replace("եւ", "եվ"))


def words(text: str, limit: int | None = None) -> list[str]:
    """The normalised words of ``text``, in order (at most ``limit``)."""
    folded = normalise(text)
    if limit is None or len(folded) <= limit:  # a text of n characters has at most n words
        found: list[str] = _WORD.findall(folded)
        return found if limit is None else found[:limit]
    return [match.group() for match in islice(_WORD.finditer(folded), limit)]


@dataclass(frozen=True)
class Term:
    """One thing a query asks for: a word or a phrase (words in this order, next to each
    other), the last word a prefix when ``prefix``; ``excluded`` when it must be absent."""

    words: tuple[str, ...]
    prefix: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed query: every included term must match, no excluded one may."""

    terms: tuple[Term, ...]

    @property
    def included(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.excluded)

    @property
    def excluded(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.excluded)


def parse_query(text: str) -> Query:
    """Parse the search box's syntax: ``word`` (must appear), ``"a phrase"`` (or «a phrase»,
    „a phrase“, “a phrase”), ``word*`` (a
    prefix, at least ``MIN_PREFIX`` letters), ``-word`` or ``-"a phrase"`` (must not).

    A word that folding splits (``Тбилиси—Ереван``) is a phrase of its parts. Punctuation
    alone is ignored; a query with nothing to look for is a ``SearchSyntaxError``.
    """
    text = text.translate(_QUOTES)
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(f"a search is at most {MAX_QUERY_CHARS} characters", "long")
    terms: list[Term] = []
    for match in _QUERY_TOKEN.finditer(text):
        minus, phrase, bare = match.group(1), match.group(2), match.group(3)
        raw = phrase if phrase is not None else bare
        prefix = raw.endswith("*")
        found = tuple(words(raw))
        if not found:
            continue
        if prefix and len(found[-1]) < MIN_PREFIX:
            raise SearchSyntaxError(
                f"a prefix needs at least {MIN_PREFIX} letters before the *: {raw!r}", "prefix"
            )
        terms.append(Term(found, prefix, bool(minus)))
    unique = tuple(dict.fromkeys(terms))
    if len(unique) > MAX_TERMS:
        raise SearchSyntaxError(f"a search has at most {MAX_TERMS} words or phrases", "long")
    query = Query(unique)
    if not query.included:
        raise SearchSyntaxError("a search needs at least one word to look for", "empty")
    return query
