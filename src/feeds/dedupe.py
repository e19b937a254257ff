"""Near-duplicate stories: which reports from different outlets are one story.

The method (``docs/news.md#one-entry-per-story`` has its measured precision and recall):

1. **A story's key** is its headline in one language, normalised like search text
   (``feeds.searchtext.words``: case, ``ё``, ``և`` and punctuation folded away), without
   a trailing " - Outlet" naming the outlet that published it.
2. **Shingles**: the key's overlapping 4-character pieces (spaces included), which match
   across Russian and Armenian word endings where whole words would not
   ("выставка армянских художников" and "выставку армянских художников" share most).
3. **Candidates by MinHash LSH**: a MinHash of the shingles (``rensa``, 32 permutations)
   cut into 16 bands of 2 values; two keys sharing any band are candidates. Two keys
   whose shingles have Jaccard similarity 0.5 share a band with probability 0.99. The
   store keeps the bands in an indexed table, so finding candidates is a lookup, not a
   scan of every story.
4. **The verdict** is the exact Jaccard similarity of the two shingle sets, at least
   ``THRESHOLD``, for reports from different outlets published at most ``WINDOW`` apart.

``rensa`` rather than datasketch: it has no dependencies and loads in a millisecond,
where datasketch brings in NumPy and SciPy (seconds, on every process that writes).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from datetime import timedelta

from rensa import RMinHash

from feeds.searchtext import words

__all__ = [
    "BANDS",
    "THRESHOLD",
    "WINDOW",
    "bands",
    "jaccard",
    "shingles",
    "similarity",
    "story_key",
]

THRESHOLD = 0.5
WINDOW = timedelta(days=3)
SHINGLE = 4
PERMUTATIONS = 32
BANDS = 16
_ROWS = PERMUTATIONS // BANDS
_SEED = 20261202  # fixed: the bands stored yesterday must be the bands computed today
_SEPARATORS = (" - ", " – ", " — ", " | ", " :: ")
_MAX_KEY_WORDS = 40


def story_key(title: str, outlet: str | None = None) -> str:
    """The normalised headline that stands for a story; "" when it has no words."""
    if outlet:
        wanted = words(outlet)
        for separator in _SEPARATORS:
            head, found, tail = title.rpartition(separator)
            if found and head and words(tail) == wanted:
                title = head
                break
    return " ".join(words(title, _MAX_KEY_WORDS))


def shingles(key: str) -> set[str]:
    """The key's overlapping ``SHINGLE``-character pieces (a short key is one piece)."""
    padded = f" {key} "
    if len(padded) <= SHINGLE:
        return {padded}
    return {padded[i : i + SHINGLE] for i in range(len(padded) - SHINGLE + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two keys' shingles, 0 to 1."""
    return jaccard(shingles(a), shingles(b))


def jaccard(first: AbstractSet[str], second: AbstractSet[str]) -> float:
    """Jaccard similarity of two shingle sets (``shingles``), 0 to 1."""
    common = len(first & second)
    return common / (len(first) + len(second) - common)  # the union's size, not the union


def bands(key: str) -> list[int]:
    """The key's LSH band values: ``BANDS`` signed 63-bit integers, distinct by position."""
    minhash = RMinHash(num_perm=PERMUTATIONS, seed=_SEED)
    minhash.update(sorted(shingles(key)))
    return _band_values(minhash.digest())


# A band's bytes: its position (2 bytes) and its _ROWS values (8 bytes each), big-endian.
_BAND_BYTES = struct.Struct(">H" + "Q" * _ROWS)


def _band_values(digest: Iterable[int]) -> list[int]:
    values = list(digest)
    pack, blake2b = _BAND_BYTES.pack, hashlib.blake2b
    return [
        int.from_bytes(blake2b(pack(band, *values[start : start + _ROWS]), digest_size=8).digest())
        >> 1
        for band, start in enumerate(range(0, BANDS * _ROWS, _ROWS))
    ]
