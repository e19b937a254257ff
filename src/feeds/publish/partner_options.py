"""The options a partner may set, and what each may hold: one schema for every writer.

A partner's options shape its feed (``feeds.publish.partners``, the extensions in
``feeds.publish.partner_extensions``) and its access (``rate_limit`` in
``feeds.web.partners``). The config loader, ``feeds partners add --option`` and the
store check them against this schema, so a bad value is refused where it is written
instead of failing every request for that partner.

Which options apply follows from the profile: the common ones below, plus those of each
extension the profile has or adds with ``extensions`` (read from ``extensions_for``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from feeds.publish.partner_extensions import (
    SmartNewsExtension,
    WebfeedsExtension,
    YandexExtension,
)
from feeds.publish.profiles import EXTENSIONS, PROFILES, Profile, extensions_for

__all__ = ["ALL_OPTIONS", "OptionSpec", "option_specs"]


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
    WebfeedsExtension.name: {
        "accent_color": OptionSpec(
            "Feedly accent colour", "a hex colour such as '1a1a1a' or '#c0392b'", _is_color
        ),
        "cover": _url("Feedly cover image URL"),
    },
    YandexExtension.name: {
        "genre": _choice("yandex:genre of every item", ("message", "article", "interview")),
    },
    SmartNewsExtension.name: {"logo": _url("SmartNews wide logo URL")},
}


def _common(profile: Profile) -> dict[str, OptionSpec]:
    formats = tuple(f.value for f in profile.formats)
    return {
        "rate_limit": _count("requests per minute (per server process)"),
        "max_items": _count(f"item cap (never above the profile's {profile.max_items})"),
        "max_bytes": _count("size cap in bytes (never above the profile's)"),
        "full_text": _flag("false for summaries only"),
        "formats": _names("narrow the profile's formats", formats),
        "extensions": _names("add extensions to the profile", tuple(EXTENSIONS)),
    }


def option_specs(profile: Profile, extensions: Any = ()) -> dict[str, OptionSpec]:
    """The options a partner of ``profile`` may set, given its ``extensions`` option."""
    specs = _common(profile)
    wanted = list(extensions) if isinstance(extensions, list | tuple) else []
    chosen, _unknown = extensions_for(profile, {"extensions": wanted})
    for extension in chosen:
        specs.update(_BY_EXTENSION.get(extension.name, {}))
    return specs


# Every option name any profile knows: to tell "not for this profile" from "no such option".
ALL_OPTIONS: frozenset[str] = frozenset(
    set(_common(PROFILES["generic"])).union(*(specs.keys() for specs in _BY_EXTENSION.values()))
)
