"""Partner profiles and their options as data: what every writer of partner settings
checks against, with no rendering in it.

A profile names its formats, full text or summaries, its item and byte caps and the
extensions it has (by name); ``feeds.publish.profiles`` turns each into the profile a
feed is rendered with, adding the per-story rules and the feedgen ``Extension`` objects
of those names (``feeds.publish.partner_extensions``). The config loader, ``feeds partners``
and the store check names, profiles and options here (``feeds.partner_settings``), so
neither the store nor the aggregator, which read the settings, loads ``feeds.publish``.

A partner's options shape its feed and its access (``rate_limit`` in
``feeds.web.partners``); which apply follows from the profile: the common ones below,
plus those of each extension the profile has or adds with ``extensions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from feeds.feedkeys import Format

__all__ = [
    "ALL_OPTIONS",
    "EXTENSION_NAMES",
    "PROFILE_SPECS",
    "OptionSpec",
    "ProfileSpec",
    "extension_names",
    "option_specs",
]

# The extensions a partner may add to any profile with the ``extensions`` option, e.g.
# ``extensions = ["webfeeds"]`` for a generic full-text feed that Feedly also styles.
EXTENSION_NAMES: tuple[str, ...] = ("dcterms", "webfeeds", "yandex", "smartnews")


@dataclass(frozen=True)
class ProfileSpec:
    """What a kind of consumer gets, as data: ``feeds.publish.profiles.Profile`` adds the
    rules a story must pass and makes the named extensions."""

    name: str
    summary: str
    formats: tuple[Format, ...] = (Format.RSS, Format.ATOM, Format.JSON)
    full_text: bool = True
    max_items: int = 50
    min_items: int = 0
    max_bytes: int | None = None
    extensions: tuple[str, ...] = ()  # of EXTENSION_NAMES


PROFILE_SPECS: Mapping[str, ProfileSpec] = {
    p.name: p
    for p in (
        ProfileSpec("generic", "full text in RSS, Atom and JSON Feed"),
        ProfileSpec(
            "summary",
            "summaries only (no full text) in RSS, Atom and JSON Feed",
            full_text=False,
        ),
        ProfileSpec(
            "msn",
            "MSN Partner Hub style: Media RSS image with credit and caption (>= 720 px), "
            "titles of 20-150 characters, one language, durable ids, updated dates",
            formats=(Format.RSS, Format.ATOM),
            extensions=("dcterms",),
        ),
        ProfileSpec(
            "flipboard",
            "Flipboard style: full text, an image >= 400 px wide per item, >= 30 items",
            formats=(Format.RSS, Format.ATOM),
            min_items=30,
        ),
        ProfileSpec(
            "feedly",
            "Feedly webfeeds: icon, logo, accentColor and cover",
            formats=(Format.RSS, Format.ATOM),
            extensions=("webfeeds",),
        ),
        ProfileSpec(
            "yandex",
            "Yandex: yandex:full-text and yandex:genre in RSS",
            formats=(Format.RSS,),
            extensions=("yandex",),
        ),
        ProfileSpec(
            "smartnews",
            "SmartNews: snf: namespace with snf:logo, UTF-8, at most 1 MB",
            formats=(Format.RSS,),
            max_bytes=1_000_000,
            extensions=("smartnews",),
        ),
    )
}


def extension_names(
    profile: ProfileSpec, options: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """The profile's extensions plus those named in ``options["extensions"]``, each once;
    and the names that are not known (reported, not fatal)."""
    chosen = list(profile.extensions)
    unknown: list[str] = []
    extra = options.get("extensions", [])
    for name in extra if isinstance(extra, list) else []:
        if str(name) not in EXTENSION_NAMES:
            unknown.append(str(name))
        elif str(name) not in chosen:
            chosen.append(str(name))
    return chosen, unknown


@dataclass(frozen=True)
class OptionSpec:
    """One option: what it means, what it may hold (said in error messages), how to check
    a value, and how to read one from ``--option KEY=VALUE`` text."""

    meaning: str
    allowed: str
    check: Callable[[Any], bool]
    from_text: Callable[[str], Any] = str


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _count_text(raw: str) -> Any:
    return int(raw) if re.fullmatch(r"[0-9]+", raw) else raw


def _flag_text(raw: str) -> Any:
    return {"true": True, "false": False}.get(raw.lower(), raw)


def _count(meaning: str) -> OptionSpec:
    return OptionSpec(meaning, "a whole number of at least 1", _is_count, _count_text)


def _flag(meaning: str) -> OptionSpec:
    return OptionSpec(meaning, "true or false", lambda v: isinstance(v, bool), _flag_text)


def _choice(meaning: str, values: tuple[str, ...]) -> OptionSpec:
    return OptionSpec(meaning, "one of " + ", ".join(values), lambda v: v in values)


def _names(meaning: str, values: tuple[str, ...]) -> OptionSpec:
    """A non-empty list drawn from ``values``; on the command line, comma-separated."""

    def check(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(v in values for v in value)

    def from_text(raw: str) -> list[str]:
        return [part.strip() for part in raw.split(",") if part.strip()]

    return OptionSpec(meaning, "a list of " + ", ".join(values), check, from_text)


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _url(meaning: str) -> OptionSpec:
    return OptionSpec(meaning, "an absolute http(s) URL", _is_url)


def _is_color(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"#?(?:[0-9a-fA-F]{3}){1,2}", value))


# Read by the extension of the same name (``feeds.publish.partner_extensions``).
_BY_EXTENSION: Mapping[str, Mapping[str, OptionSpec]] = {
    "webfeeds": {
        "accent_color": OptionSpec(
            "Feedly accent colour", "a hex colour such as '1a1a1a' or '#c0392b'", _is_color
        ),
        "cover": _url("Feedly cover image URL"),
    },
    "yandex": {
        "genre": _choice("yandex:genre of every item", ("message", "article", "interview")),
    },
    "smartnews": {"logo": _url("SmartNews wide logo URL")},
}


def _common(profile: ProfileSpec) -> dict[str, OptionSpec]:
    formats = tuple(f.value for f in profile.formats)
    return {
        "rate_limit": _count("requests per minute (per server process)"),
        "max_items": _count(f"item cap (never above the profile's {profile.max_items})"),
        "max_bytes": _count("size cap in bytes (never above the profile's)"),
        "full_text": _flag("false for summaries only"),
        "formats": _names("narrow the profile's formats", formats),
        "extensions": _names("add extensions to the profile", EXTENSION_NAMES),
    }


def option_specs(profile: ProfileSpec, extensions: Any = ()) -> dict[str, OptionSpec]:
    """The options a partner of ``profile`` may set, given its ``extensions`` option."""
    specs = _common(profile)
    wanted = list(extensions) if isinstance(extensions, list | tuple) else []
    chosen, _unknown = extension_names(profile, {"extensions": wanted})
    for name in chosen:
        specs.update(_BY_EXTENSION.get(name, {}))
    return specs


# Every option name any profile knows: to tell "not for this profile" from "no such option".
ALL_OPTIONS: frozenset[str] = frozenset(
    set(_common(PROFILE_SPECS["generic"])).union(*(spec.keys() for spec in _BY_EXTENSION.values()))
)
