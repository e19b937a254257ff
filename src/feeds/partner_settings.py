"""Whether a partner's settings can be served: its name, profile, scope and options.

Used by everything that writes partner settings (the config loader, ``feeds partners
add``, ``feeds.store.partners.add_partner``) to refuse a mistake with one line, and by
the partner registry to recognise a row stored before these checks, so that partner is
answered with a clear 503 (and reported by ``feeds partners check``) instead of a 500.

Profiles and their options come from ``feeds.partner_schema`` (data, below
``feeds.publish``, so the store and the config loader never load the renderer); nothing
here lists them again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from feeds.model import check_language_tag, slugify
from feeds.partner_schema import ALL_OPTIONS, PROFILE_SPECS, OptionSpec, ProfileSpec, option_specs

__all__ = [
    "check_partner_name",
    "check_profile",
    "check_token_hash",
    "option_from_text",
    "option_problem",
    "partner_problems",
    "scope_problem",
    "suggest",
]

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def suggest(key: str, known: Iterable[str]) -> str:
    """`` (did you mean max_items?)`` for a near miss, else ``""``."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def check_partner_name(name: str) -> str | None:
    if _NAME.fullmatch(name):
        return None
    return (
        f"{name!r} is not a partner name: use 1-100 lowercase letters, digits and '-' "
        "(it appears in the partner's URLs)"
    )


def check_profile(name: Any) -> ProfileSpec | str:
    """The profile called ``name``, or why there is none."""
    profile = PROFILE_SPECS.get(name) if isinstance(name, str) else None
    if profile is not None:
        return profile
    return f"{name!r} is not a profile (one of: {', '.join(PROFILE_SPECS)})"


def check_token_hash(value: Any) -> str | None:
    if isinstance(value, str) and _SHA256_HEX.fullmatch(value):
        return None
    return (
        "must be 64 hex characters (a SHA-256 hex digest; make one with "
        'feeds partners hash, or printf %s "$TOKEN" | sha256sum)'
    )


def scope_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` cannot be in a partner's ``languages`` / ``sections`` / ``tags``."""
    if not isinstance(value, str):
        return f"must be a string, got {value!r}"
    if kind == "languages":
        return check_language_tag(value)
    if slugify(value) != value or not value:
        return f"{value!r} is not a slug such as {slugify(value) or 'foreign-affairs'!r}"
    return None


def _specs(profile: ProfileSpec, options: Mapping[str, Any]) -> dict[str, OptionSpec]:
    return option_specs(profile, options.get("extensions", ()))


def option_problem(
    profile: ProfileSpec, key: str, value: Any, options: Mapping[str, Any]
) -> str | None:
    """Why option ``key`` = ``value`` does not suit ``profile`` (``options``: all of the
    partner's options, for the extensions they add), or None when it does."""
    spec = _specs(profile, options).get(key)
    if spec is None:
        return unknown_option(profile, key, options)
    if not spec.check(value):
        return f"must be {spec.allowed}, got {value!r}"
    return None


def unknown_option(profile: ProfileSpec, key: str, options: Mapping[str, Any]) -> str:
    allowed = _specs(profile, options)
    if key in ALL_OPTIONS:
        return (
            f"not an option of profile {profile.name!r} (its options: {', '.join(allowed)}; "
            "add an extension with extensions = [...] for more)"
        )
    return "unknown option" + (suggest(key, allowed) or f" (one of: {', '.join(allowed)})")


def option_from_text(profile: ProfileSpec, key: str, raw: str, options: Mapping[str, Any]) -> Any:
    """The value of ``--option KEY=RAW``, typed as the option wants (raw text when it has
    no type; ``option_problem`` then says what is wrong)."""
    spec = _specs(profile, options).get(key)
    return spec.from_text(raw) if spec is not None else raw


def partner_problems(
    name: str,
    profile_name: str,
    languages: Iterable[Any],
    sections: Iterable[Any],
    tags: Iterable[Any],
    options: Mapping[str, Any],
) -> list[str]:
    """Every reason a partner with these settings cannot be served, one line each,
    naming the setting (``options.rate_limit: must be ...``); empty when all is well."""
    problems: list[str] = []
    if (why := check_partner_name(name)) is not None:
        problems.append(why)
    profile = check_profile(profile_name)
    if isinstance(profile, str):
        problems.append(f"profile: {profile}")
    for kind, values in (("languages", languages), ("sections", sections), ("tags", tags)):
        for value in values:
            if (why := scope_problem(kind, value)) is not None:
                problems.append(f"{kind}: {why}")
    if not isinstance(profile, str):
        for key, value in options.items():
            if (why := option_problem(profile, key, value, options)) is not None:
                problems.append(f"options.{key}: {why}")
    return problems
