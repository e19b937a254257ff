"""Tell a bot-protection challenge page from an ordinary HTTP error.

Sites behind Cloudflare (and similar services) answer an automated reader with a 403 or
503 and an HTML page that asks a browser to run JavaScript ("Just a moment...",
"Attention Required!"). Retrying does not help and the feed is not broken: the site blocks
automated readers, and only its publisher can let feed readers through. Such answers are
recorded as health ``blocked`` with that reason instead of a generic HTTP error (issue 8).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CHALLENGE_STATUSES", "challenge_vendor"]

# Cloudflare answers challenges with 403 (managed challenge, block) or 503 (under attack).
CHALLENGE_STATUSES = frozenset({403, 503})

# Markers in the page itself, lower-cased, with the service they belong to.
_PAGE_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"<title>just a moment...</title>", "Cloudflare"),
    (b"attention required! | cloudflare", "Cloudflare"),
    (b"/cdn-cgi/challenge-platform/", "Cloudflare"),
    (b"challenges.cloudflare.com", "Cloudflare"),
    (b"window._cf_chl_opt", "Cloudflare"),
    (b"cf-browser-verification", "Cloudflare"),
    (b"enable javascript and cookies to continue", "Cloudflare"),
    (b"ddos-guard", "DDoS-Guard"),
    (b"sucuri website firewall", "Sucuri"),
    (b"_incapsula_resource", "Imperva"),
    (b"incapsula incident id", "Imperva"),
    (b"checking your browser before accessing", "a bot-protection service"),
    (b"just a moment...", "a bot-protection service"),
    (b"attention required!", "a bot-protection service"),
)


def challenge_vendor(status: int, headers: Mapping[str, str], page: bytes) -> str | None:
    """The service that answered with a challenge page, or None for an ordinary error.

    ``headers`` must look names up case-insensitively (aiohttp's do); ``page`` is the start
    of the body (a few KiB are enough: the markers sit in the head of the page).
    """
    if status not in CHALLENGE_STATUSES:
        return None
    # Cloudflare marks its challenges with this header (whatever the page looks like).
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return "Cloudflare"
    lowered = page[:65_536].lower()
    for marker, vendor in _PAGE_MARKERS:
        if marker in lowered:
            return vendor
    return None
