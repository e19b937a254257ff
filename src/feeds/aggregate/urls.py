"""One spelling per source URL, so that one feed cannot be registered twice.

``HTTP://News.Example:80/a/../feed#top`` and ``http://news.example/feed`` name the same
resource (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalisation; a fragment
is never sent to the server, RFC 9110 §4.2.5). ``normalize_source_url`` returns the second
form for both, using yarl, the URL library aiohttp itself requests with: the scheme and the
host are lowercased, an internationalised host becomes its IDNA (punycode) form, the
default port is dropped, dot segments are resolved, percent-encoding is made uniform
(``%7E`` becomes ``~``), an empty path becomes ``/`` and the fragment is dropped. The query
is kept as written: its order can matter to the server.

It also refuses what a source URL must never be: not http(s), without a host, with
credentials in it (they would be stored and shown in ``feeds sources list`` and in every
error message), or longer than ``MAX_URL_LENGTH``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TypeVar

from yarl import URL

from feeds.errors import FeedsError

__all__ = ["MAX_URL_LENGTH", "SourceURLError", "by_normal_form", "normalize_source_url"]

T = TypeVar("T")

# The ``sources.url`` column is String(2048), and 2,048 characters is about the longest URL
# that every server, proxy and browser accepts; no real feed URL comes near it.
MAX_URL_LENGTH = 2048


# A host name after IDNA encoding: letters, digits, hyphens (and the underscores some real
# hosts have), dot-separated labels, optionally a trailing dot.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class SourceURLError(FeedsError, ValueError):
    """The URL cannot be a source; the message says why, in one line."""


def _authority(text: str) -> str:
    """The ``user:password@host:port`` part of an absolute URL as typed, or ''."""
    _, sep, rest = text.partition("//")
    if not sep:
        return ""
    for end in "/?#":
        rest = rest.split(end, 1)[0]
    return rest


def _shown(text: str) -> str:
    """The URL as a one-line error shows it: cut when long (it never has credentials here)."""
    return repr(text if len(text) <= 100 else text[:80] + f"… ({len(text)} characters)")


def normalize_source_url(raw: str) -> str:
    """The canonical spelling of a feed URL; raise SourceURLError when it cannot be one."""
    text = raw.strip()
    if "@" in _authority(text):
        # Refused first, and the URL is not echoed: the point is to keep the password out
        # of the store, the terminal and the logs.
        raise SourceURLError(
            "a source URL must not carry a user name or password (user:password@host); "
            "use a URL that needs none"
        )
    if len(text) > MAX_URL_LENGTH:
        raise SourceURLError(
            f"{_shown(text)} is longer than {MAX_URL_LENGTH} characters; no feed URL is"
        )
    try:
        url = URL(text)
        scheme, host = url.scheme, url.raw_host
        port = url.explicit_port  # an out-of-range port raises only when read
    except (ValueError, UnicodeError) as exc:
        raise SourceURLError(f"{_shown(text)} is not a valid URL: {exc}") from None
    if scheme not in ("http", "https") or not url.is_absolute() or not host:
        raise SourceURLError(f"{_shown(text)} is not an absolute http(s) URL")
    if port == 0:
        raise SourceURLError(f"{_shown(text)}: port 0 cannot be fetched")
    if not _HOST.fullmatch(host) and not _is_ip(host):
        raise SourceURLError(f"{_shown(text)}: {host!r} is not a valid host name")
    url = url.with_fragment(None)
    if url.raw_path == "/" and not url.raw_query_string:
        url = url.with_path("/")  # yarl prints http://host for both http://host and …/
    normal = str(url)
    if len(normal) > MAX_URL_LENGTH:
        raise SourceURLError(
            f"{_shown(text)} is longer than {MAX_URL_LENGTH} characters once percent-encoded"
        )
    return normal


def by_normal_form(known: Iterable[tuple[T, str]]) -> dict[str, tuple[T, str]]:
    """``{normalised URL: (key, URL as stored)}``; the first of several spellings wins.

    A stored URL that no longer normalises (stored before these rules) is keyed as it is,
    so it still matches itself.
    """
    index: dict[str, tuple[T, str]] = {}
    for key, url in known:
        try:
            normal = normalize_source_url(url)
        except SourceURLError:
            normal = url
        index.setdefault(normal, (key, url))
    return index
