"""A partner's feed: the public feed's stories passed through the partner's profile.

Pure: a description, a format, the candidate stories (visible, in scope, newest first)
and the profile in; the bytes, what went in and what was left out (and why) out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.feedkeys import Format
from feeds.model import Article
from feeds.publish.description import FeedDescription
from feeds.publish.extension import Extension
from feeds.publish.profiles import Profile, Violation, check_story, extensions_for
from feeds.publish.render import render

__all__ = ["PartnerFeed", "build_partner_feed", "screen_stories"]


@dataclass(frozen=True)
class PartnerFeed:
    body: bytes
    included: tuple[str, ...]
    violations: tuple[Violation, ...]
    notes: tuple[str, ...]
    newest: datetime | None = None  # publication time of the newest story in the feed


def screen_stories(
    profile: Profile, articles: Sequence[Article], lang: str
) -> tuple[list[Article], list[Violation]]:
    """Split ``articles`` into those ``profile`` accepts and one violation per broken rule."""
    accepted: list[Article] = []
    violations: list[Violation] = []
    for article in articles:
        problems = check_story(profile, article, lang)
        if problems:
            violations.extend(Violation(article.id, lang, p) for p in problems)
        else:
            accepted.append(article)
    return accepted, violations


def build_partner_feed(
    description: FeedDescription,
    fmt: Format,
    articles: Sequence[Article],
    profile: Profile,
    options: Mapping[str, Any],
    extra_extensions: Sequence[Extension] = (),
) -> PartnerFeed:
    """Render the partner's feed: rules, item cap, then the size cap (oldest dropped first).

    ``extra_extensions`` (e.g. RFC 6721 tombstones) run after the profile's own.
    Partner ``options`` may lower the profile's caps (``max_items``, ``max_bytes``) or
    ask for summaries only (``full_text = false``); they never raise them.
    """
    full_text = profile.full_text and bool(options.get("full_text", True))
    description = dataclasses.replace(description, full_text=full_text)
    accepted, violations = screen_stories(profile, articles, description.lang)
    max_items = min(int(options.get("max_items", profile.max_items)), profile.max_items)
    chosen = accepted[:max_items]
    extensions, unknown = extensions_for(profile, options)
    extensions += extra_extensions
    notes = [f"unknown extension {name!r} ignored" for name in unknown]
    body = render(description, fmt, chosen, extensions=extensions)
    limits = [b for b in (profile.max_bytes, options.get("max_bytes")) if b]
    if limits:
        max_bytes = min(int(b) for b in limits)
        if len(body) > max_bytes:
            chosen, body = _fit(description, fmt, chosen, extensions, max_bytes)
            notes.append(f"kept the newest {len(chosen)} stories to stay under {max_bytes} bytes")
    if profile.min_items and len(chosen) < profile.min_items:
        notes.append(
            f"{profile.name} wants at least {profile.min_items} stories; this feed has "
            f"{len(chosen)}"
        )
    return PartnerFeed(
        body,
        tuple(a.id for a in chosen),
        tuple(violations),
        tuple(notes),
        newest=max((a.published for a in chosen), default=None),
    )


def _fit(
    description: FeedDescription,
    fmt: Format,
    chosen: list[Article],
    extensions: Sequence[Extension],
    max_bytes: int,
) -> tuple[list[Article], bytes]:
    """The longest newest-first prefix of ``chosen`` that renders within ``max_bytes``."""
    low, high = 0, len(chosen)
    best = render(description, fmt, [], extensions=extensions)
    while low < high:
        middle = (low + high + 1) // 2
        body = render(description, fmt, chosen[:middle], extensions=extensions)
        if len(body) <= max_bytes:
            low, best = middle, body
        else:
            high = middle - 1
    return chosen[:low], best
