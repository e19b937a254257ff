"""Which language an entry is in: declared in config, else by the entry, else by the feed,
else detected from the entry's text, else from the whole feed's, else ``und``. Detection
uses py3langid (langid.py's model, shipped inside the package, no download; it knows
Armenian, Russian and English among ~100 languages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from feeds.model import UNDETERMINED, check_language_tag

__all__ = ["UNDETERMINED", "EntryLanguages", "choose_language", "detect_language"]

# At least this much text before trusting a guess; short headlines are noisy.
_MIN_CHARS = 20
# Detection reads at most this much text: more does not change the guess, only the cost.
_SAMPLE_CHARS = 4000


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import (  # type: ignore[import-untyped]
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(texts: Iterable[str]) -> str | None:
    """The language of ``texts`` (plain text), or None when there is too little to tell.

    Reads ``texts`` only until it has enough, so a lazy iterable over a 10,000-entry feed
    costs what its first entries cost.
    """
    parts: list[str] = []
    size = 0
    for text in texts:
        if text:
            parts.append(text)
            size += len(text) + 1
            if size >= _SAMPLE_CHARS:
                break
    sample = " ".join(parts)[:_SAMPLE_CHARS]
    if len(sample.strip()) < _MIN_CHARS:
        return None
    lang, probability = _identifier().classify(sample)
    if probability < 0.5:
        return None
    return str(lang)


def _primary(tag: str | None) -> str | None:
    """``en-US`` -> ``en``: feeds are selected by primary language."""
    if not tag:
        return None
    primary = tag.split("-")[0].lower()
    return None if check_language_tag(primary) else primary


def choose_language(declared: str | None, from_feed: str | None, texts: Iterable[str]) -> str:
    """Config first, then the feed's own declaration, then detection; ``und`` if all fail."""
    return (
        _primary(declared)
        or _primary(from_feed)
        or _primary(detect_language(texts))
        or UNDETERMINED
    )


_NOT_YET = object()


class EntryLanguages:
    """The language of each entry of one parsed feed, in this order:

    1. the source's configured language (it applies to every entry);
    2. the entry's own (``xml:lang``, ``dc:language``, JSON Feed ``language``);
    3. the feed's declaration (``<language>``, the feed's ``xml:lang``, JSON ``language``);
    4. detection on the entry's own text (title and summary);
    5. when that is unsure (a short headline), detection over the whole feed's text;
    6. the language an earlier poll found for the feed;
    7. ``und`` (undetermined): such an entry is stored, never dropped, but no public feed
       or page serves it (docs/aggregator.md, "Language").

    The feed-wide detection runs at most once, and only when some entry needs it.
    """

    def __init__(
        self,
        configured: str | None,
        declared: str | None,
        known: str | None,
        feed_texts: Callable[[], Iterable[str]],
    ) -> None:
        self._fixed = _primary(configured)
        self._declared = _primary(declared)
        self._known = _primary(known)
        self._feed_texts = feed_texts
        self._feed_detected: object = _NOT_YET

    def feed_wide(self) -> str | None:
        """Detection over the whole feed (cached)."""
        if self._feed_detected is _NOT_YET:
            self._feed_detected = _primary(detect_language(self._feed_texts()))
        found = self._feed_detected
        return found if isinstance(found, str) else None

    def feed_language(self) -> str | None:
        """The language to store as the source's: configured, declared, else detected."""
        return self._fixed or self._declared or self.feed_wide() or self._known

    def of(self, own: str | None, text: str) -> str:
        """The language of one entry that declares ``own`` and reads ``text``."""
        fixed = self._fixed or _primary(own) or self._declared
        if fixed:
            return fixed
        return _primary(detect_language((text,))) or self.feed_wide() or self._known or UNDETERMINED
