"""Partner profiles: what each kind of consumer needs from a feed, and what it refuses.

A profile is a declaration: which formats, full text or summary, how many items, how
many bytes at most, the per-story rules a story must pass to be included, and the
feedgen ``Extension`` objects that add the consumer's own elements. A story that breaks
a rule is left out of that partner's feed (never the whole feed) and
``feeds partners check NAME`` lists it with the rule.

The rules restate the consumers' published requirements as we read them; each rule's
text says what the consumer wants, so an editor can fix the story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feeds.feedkeys import Format
from feeds.model import Article, Translation
from feeds.publish.extension import Extension
from feeds.publish.partner_extensions import (
    DctermsModifiedExtension,
    SmartNewsExtension,
    WebfeedsExtension,
    YandexExtension,
)

__all__ = [
    "EXTENSIONS",
    "PROFILES",
    "Profile",
    "Violation",
    "check_story",
    "extensions_for",
    "get_profile",
]

Rule = Callable[[Article, Translation], str | None]
ExtensionFactory = Callable[[Mapping[str, Any]], Sequence[Extension]]


@dataclass(frozen=True)
class Violation:
    """One story that one partner's profile refuses, and why."""

    article_id: str
    lang: str
    rule: str


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    formats: tuple[Format, ...] = (Format.RSS, Format.ATOM, Format.JSON)
    full_text: bool = True
    max_items: int = 50
    min_items: int = 0
    max_bytes: int | None = None
    rules: tuple[Rule, ...] = ()
    extensions: ExtensionFactory = field(default=lambda options: ())


def _title_length(low: int, high: int) -> Rule:
    def rule(article: Article, t: Translation) -> str | None:
        n = len(t.title.strip())
        if low <= n <= high:
            return None
        return f"title must be {low}-{high} characters, is {n}"

    return rule


def _image_width(minimum: int) -> Rule:
    def rule(article: Article, t: Translation) -> str | None:
        if article.image is None:
            return f"needs a lead image at least {minimum} px wide"
        if article.image.width < minimum:
            return f"lead image must be at least {minimum} px wide, is {article.image.width} px"
        return None

    return rule


def _image_credit_and_caption(article: Article, t: Translation) -> str | None:
    image = article.image
    if image is None:
        return None  # the width rule reports the missing image
    missing = [name for name in ("credit", "caption") if not getattr(image, name)]
    if missing:
        return f"lead image needs a {' and a '.join(missing)}"
    return None


def _full_text(article: Article, t: Translation) -> str | None:
    return None if t.body_html.strip() else "needs the full text (body_html is empty)"


PROFILES: Mapping[str, Profile] = {
    p.name: p
    for p in (
        Profile("generic", "full text in RSS, Atom and JSON Feed"),
        Profile(
            "summary",
            "summaries only (no full text) in RSS, Atom and JSON Feed",
            full_text=False,
        ),
        Profile(
            "msn",
            "MSN Partner Hub style: Media RSS image with credit and caption (>= 720 px), "
            "titles of 20-150 characters, one language, durable ids, updated dates",
            formats=(Format.RSS, Format.ATOM),
            rules=(_title_length(20, 150), _image_width(720), _image_credit_and_caption),
            extensions=lambda options: (DctermsModifiedExtension(),),
        ),
        Profile(
            "flipboard",
            "Flipboard style: full text, an image >= 400 px wide per item, >= 30 items",
            formats=(Format.RSS, Format.ATOM),
            min_items=30,
            rules=(_full_text, _image_width(400)),
        ),
        Profile(
            "feedly",
            "Feedly webfeeds: icon, logo, accentColor and cover",
            formats=(Format.RSS, Format.ATOM),
            extensions=lambda options: (WebfeedsExtension(options),),
        ),
        Profile(
            "yandex",
            "Yandex: yandex:full-text and yandex:genre in RSS",
            formats=(Format.RSS,),
            rules=(_full_text,),
            extensions=lambda options: (YandexExtension(options),),
        ),
        Profile(
            "smartnews",
            "SmartNews: snf: namespace with snf:logo, UTF-8, at most 1 MB",
            formats=(Format.RSS,),
            max_bytes=1_000_000,
            extensions=lambda options: (SmartNewsExtension(options),),
        ),
    )
}


# Extensions a partner may add to any profile with the ``extensions`` option, e.g.
# ``extensions = ["webfeeds"]`` for a generic full-text feed that Feedly also styles.
EXTENSIONS: Mapping[str, ExtensionFactory] = {
    "dcterms": lambda options: (DctermsModifiedExtension(),),
    "webfeeds": lambda options: (WebfeedsExtension(options),),
    "yandex": lambda options: (YandexExtension(options),),
    "smartnews": lambda options: (SmartNewsExtension(options),),
}


def extensions_for(
    profile: Profile, options: Mapping[str, Any]
) -> tuple[list[Extension], list[str]]:
    """The profile's extensions plus those named in ``options["extensions"]``, each once;
    and the names that are not known (reported, not fatal)."""
    chosen = list(profile.extensions(options))
    unknown: list[str] = []
    extra = options.get("extensions", [])
    for name in extra if isinstance(extra, list) else []:
        factory = EXTENSIONS.get(str(name))
        if factory is None:
            unknown.append(str(name))
            continue
        for ext in factory(options):
            if all(e.name != ext.name for e in chosen):
                chosen.append(ext)
    return chosen, unknown


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown partner profile {name!r}; choose one of {known}") from None


def check_story(profile: Profile, article: Article, lang: str) -> list[str]:
    """Every rule of ``profile`` that ``article``'s ``lang`` version breaks (empty: fine)."""
    t = article.translation(lang)
    if t is None:
        return [f"has no {lang!r} version"]
    return [problem for rule in profile.rules if (problem := rule(article, t)) is not None]
