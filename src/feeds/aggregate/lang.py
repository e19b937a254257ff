"""Which language a source writes in: declared in config, else declared by the feed, else
detected from its text with py3langid (langid.py's model, shipped inside the package, no
download; it knows Armenian, Russian and English among ~100 languages).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from feeds.model import check_language_tag

__all__ = ["choose_language", "detect_language"]

# At least this much text before trusting a guess; short headlines are noisy.
_MIN_CHARS = 20


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import (  # type: ignore[import-untyped]
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(texts: Iterable[str]) -> str | None:
    """The language of ``texts`` (plain text), or None when there is too little to tell."""
    sample = " ".join(t for t in texts if t)[:4000]
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
    return _primary(declared) or _primary(from_feed) or _primary(detect_language(texts)) or "und"
