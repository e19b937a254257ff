"""One cleaning step for text that comes from outside (other outlets' feeds, OPML files)
before it is stored: control characters out, lengths capped.

- **Control characters**: C0 controls except tab and newline, DEL, C1 controls, lone
  surrogates and U+FFFE/U+FFFF are removed. XML 1.0 §2.2 forbids most of them outright
  (a feed that carried one could not be served), and the rest (ESC colour codes, DEL, C1)
  are never text: written raw into a page or a terminal they only do harm.
- **Caps**: a field over its cap is cut on a character boundary, at the last word boundary
  near the cap when there is one, and ends with an ellipsis. ``CAPS`` holds the caps;
  ``docs/aggregator.md`` lists them. Identities (ids, links) are never cut, because a cut
  one names something else: the caller refuses them instead (``too_long``).

Stdlib only, one compiled regex pass per field: it runs on every field of every new entry.
"""

from __future__ import annotations

import re

__all__ = [
    "CAPS",
    "MAX_AUTHORS",
    "MAX_IDENTITY_CHARS",
    "MAX_TAGS",
    "clean_text",
    "cut",
    "too_long",
]

# C0 but tab (U+0009) and newline (U+000A); DEL and C1 (U+007F-U+009F); surrogates, which
# only a broken decoder or a JSON "\ud800" escape leaves behind; U+FFFE and U+FFFF.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Characters per field. A 10 MB title once made every news page 5 MB (issue 8).
CAPS = {
    "title": 500,
    "feed_title": 500,
    "source_title": 500,
    # Their slugs must fit 200-character columns; lower-casing can double a length ("İ").
    "author": 100,
    "tag": 100,
    "summary": 500,
    "body_html": 200_000,
}
# Items per entry; the rest are dropped.
MAX_AUTHORS = 20
MAX_TAGS = 30
# Ids and links longer than this are refused, not cut.
MAX_IDENTITY_CHARS = 2_048

_ELLIPSIS = "…"
# Look back at most this far from the cap for a space to cut at.
_WORD_WINDOW = 40


def clean_text(value: str) -> str:
    """``value`` without control characters (tab and newline stay)."""
    return _CONTROLS.sub("", value)


def cut(value: str, limit: int) -> str:
    """``value`` if it has at most ``limit`` characters, else its start ending in "…".

    Python strings index code points, so the cut never splits a character; it goes back
    to the last space within a few dozen characters, so it rarely splits a word either.
    """
    if len(value) <= limit:
        return value
    head = value[: limit - len(_ELLIPSIS)]
    space = head.rfind(" ", max(0, len(head) - _WORD_WINDOW))
    if space > 0:
        head = head[:space]
    return head.rstrip() + _ELLIPSIS


def too_long(value: str | None) -> bool:
    """An id or link longer than ``MAX_IDENTITY_CHARS``."""
    return value is not None and len(value) > MAX_IDENTITY_CHARS
