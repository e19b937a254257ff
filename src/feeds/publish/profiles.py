"""Partner profiles: what each kind of consumer needs from a feed, and what it refuses.

A profile is a declaration: which formats, full text or summary, how many items, how
many bytes at most (its ``ProfileSpec``, data in ``feeds.partner_schema``), the per-story
rules a story must pass to be included, and the feedgen ``Extension`` objects that add
the consumer's own elements. A story that breaks a rule is left out of that partner's
feed (never the whole feed) and
``feeds partners check NAME`` lists it with the rule.

The rules restate the consumers' published requirements as we read them; each rule's
text says what the consumer wants, so an editor can fix the story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from feeds.model import Article, Translation
from feeds.partner_schema import PROFILE_SPECS, ProfileSpec
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
class Profile(ProfileSpec):
    """A profile as a feed is rendered with it: its data (``ProfileSpec``, in
    ``feeds.partner_schema``, which every writer of partner settings checks against) and
    the rules a story must pass; ``make_extensions`` makes the extensions it names."""

    rules: tuple[Rule, ...] = ()

    def make_extensions(self, options: Mapping[str, Any]) -> Sequence[Extension]:
        return tuple(ext for name in self.extensions for ext in EXTENSIONS[name](options))


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


# Extensions a partner may add to any profile with the ``extensions`` option, by the
# names of ``feeds.partner_schema.EXTENSION_NAMES``.
EXTENSIONS: Mapping[str, ExtensionFactory] = {
    "dcterms": lambda options: (DctermsModifiedExtension(),),
    "webfeeds": lambda options: (WebfeedsExtension(options),),
    "yandex": lambda options: (YandexExtension(options),),
    "smartnews": lambda options: (SmartNewsExtension(options),),
}

# The per-story rules of each profile (a consumer's published requirements).
_RULES: Mapping[str, tuple[Rule, ...]] = {
    "msn": (_title_length(20, 150), _image_width(720), _image_credit_and_caption),
    "flipboard": (_full_text, _image_width(400)),
    "yandex": (_full_text,),
}


def _profile(spec: ProfileSpec) -> Profile:
    data = {f.name: getattr(spec, f.name) for f in fields(spec)}
    return Profile(**data, rules=_RULES.get(spec.name, ()))


PROFILES: Mapping[str, Profile] = {name: _profile(spec) for name, spec in PROFILE_SPECS.items()}


def extensions_for(
    profile: Profile, options: Mapping[str, Any]
) -> tuple[list[Extension], list[str]]:
    """The profile's extensions plus those named in ``options["extensions"]``, each once;
    and the names that are not known (reported, not fatal)."""
    chosen = list(profile.make_extensions(options))
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
