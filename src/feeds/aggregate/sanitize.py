"""Make another outlet's HTML safe to store and re-serve: an allow-list, through nh3.

What survives: nh3's default set of formatting tags and attributes. What never does:
script, style and their content, event handlers, ``javascript:`` (or any non-http(s) and
non-mailto) links; ``data:`` URLs only as ``<img src>`` images. Relative URLs are resolved
against the entry's base, because the HTML will be read far from the site it came from.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = ["html_to_text", "sanitize_html"]

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "longdesc", "action"})
_SCHEMES = {"http", "https", "mailto", "data"}
_STRIP_WITH_CONTENT = {"script", "style", "noscript", "iframe", "object", "embed", "template"}
_TAGS = set(nh3.ALLOWED_TAGS) - _STRIP_WITH_CONTENT
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["img"] = _ATTRIBUTES.get("img", set()) | {"title"}
_ATTRIBUTES["a"] = _ATTRIBUTES.get("a", set()) | {"title"}


def _url_filter(base: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        value = value.strip()
        scheme = urlsplit(value).scheme.lower() if ":" in value else ""
        if scheme == "data":
            # An inline image is harmless; data:text/html in a link is a script.
            return value if tag == "img" and value[5:].lower().startswith("image/") else None
        if not scheme and base:
            value = urljoin(base, value)
            scheme = urlsplit(value).scheme.lower()
        if scheme and scheme not in ("http", "https", "mailto"):
            return None
        return value

    return keep


@lru_cache(maxsize=256)
def _cleaner(base: str | None) -> nh3.Cleaner:
    # Building a cleaner costs several times more than using one, and the base is the
    # same for most entries of a feed (its URL or xml:base), hence one cached per base.
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_STRIP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_url_filter(base),
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
    )


_TEXT = nh3.Cleaner(tags=set(), clean_content_tags=_STRIP_WITH_CONTENT)


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """Allow-listed HTML from untrusted ``fragment``; relative URLs resolved against ``base``."""
    if not fragment:
        return ""
    return str(_cleaner(base).clean(fragment)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML (or plain) title: tags dropped, entities decoded, spaces folded."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    text = _TEXT.clean(fragment)
    return " ".join(html.unescape(str(text)).split())
