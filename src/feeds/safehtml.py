"""The one HTML sanitiser: stored HTML made safe to show, one nh3 policy per purpose.

Every fragment of HTML the site shows or publishes passes an allow-list here first
(nh3, the Python binding of the Rust ``ammonia`` sanitiser, which parses with an HTML5
parser and re-serialises, so what comes out is what a browser will read):

- ``sanitize_html(fragment, base)``: **aggregated** HTML, read from other outlets.
  nh3's default formatting tags; relative URLs resolved against the entry's base,
  because the HTML is read far from the site it came from; ``data:`` only as an image.
- ``own_html(fragment, embed_hosts)``: the **newsroom's own** body HTML, from the CMS
  or the import files. Paragraphs, headings, lists, links, emphasis, figures, images,
  tables, quotes, code, ``abbr`` and ``time``; ``<iframe>`` embeds only with an https
  ``src`` on one of ``embed_hosts`` (``[site] embed_hosts``), always sandboxed.
- ``html_to_text(fragment)``: the plain text of a title.

What never survives either policy: ``<script>``, ``<style>``, ``<form>``, ``<object>``,
``<embed>``, ``<base>``, ``<meta>``, ``<template>``, ``<noscript>``, ``<svg>`` and
``<math>`` (with their content: namespace confusion between HTML and SVG/MathML is the
root of most mutation XSS), event handler attributes, ``style`` attributes, and any URL
whose scheme is not http(s) or mailto. Links get ``rel="noopener noreferrer"``.

The same fragment always gives the same output, and sanitising sanitised output changes
nothing, so it is safe to clean again at render time what was cleaned when written.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import nh3

from feeds.model import Article, Translation

__all__ = [
    "EMBED_SANDBOX",
    "html_to_text",
    "own_html",
    "safe_translation",
    "sanitize_html",
]

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "longdesc", "action"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them. svg and math: an HTML parser and an SVG/MathML one
# disagree on where <style>, <noscript> and friends end, which is how mutation XSS gets
# past sanitisers; nothing in a news story needs inline SVG or MathML.
_STRIP_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "math"}
)
# What an embed may do inside its sandbox: run its own player (scripts, its own origin,
# which is another host's, never ours), open links in a new window, go full screen.
EMBED_SANDBOX = "allow-scripts allow-same-origin allow-popups allow-presentation"


def _scheme(value: str) -> str:
    return urlsplit(value).scheme.lower() if ":" in value else ""


# --- aggregated HTML -------------------------------------------------------------------

_AGGREGATED_TAGS = set(nh3.ALLOWED_TAGS) - _STRIP_WITH_CONTENT
_AGGREGATED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_AGGREGATED_ATTRIBUTES["img"] = _AGGREGATED_ATTRIBUTES.get("img", set()) | {"title"}
_AGGREGATED_ATTRIBUTES["a"] = _AGGREGATED_ATTRIBUTES.get("a", set()) | {"title"}


def _aggregated_urls(base: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        value = value.strip()
        scheme = _scheme(value)
        if scheme == "data":
            # An inline image is harmless; data:text/html in a link is a script.
            return value if tag == "img" and value[5:].lower().startswith("image/") else None
        if not scheme and base:
            value = urljoin(base, value)
            scheme = urlsplit(value).scheme.lower()
        if scheme and scheme not in _LINK_SCHEMES:
            return None
        return value

    return keep


@lru_cache(maxsize=256)
def _aggregated_cleaner(base: str | None) -> nh3.Cleaner:
    # Building a cleaner costs several times more than using one, and the base is the
    # same for most entries of a feed (its URL or xml:base), hence one cached per base.
    return nh3.Cleaner(
        tags=_AGGREGATED_TAGS,
        clean_content_tags=set(_STRIP_WITH_CONTENT),
        attributes=_AGGREGATED_ATTRIBUTES,
        attribute_filter=_aggregated_urls(base),
        url_schemes=set(_LINK_SCHEMES | {"data"}),
        link_rel="noopener noreferrer",
    )


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """Allow-listed HTML from another outlet's ``fragment``; relative URLs resolved
    against ``base``."""
    if not fragment:
        return ""
    return str(_aggregated_cleaner(base).clean(fragment)).strip()


# --- the newsroom's own HTML -----------------------------------------------------------

_OWN_TAGS = frozenset(
    {
        # text and structure
        "p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "q", "cite", "pre", "code",
        "kbd", "samp", "var", "abbr", "time", "data", "dfn", "bdi", "bdo", "wbr",
        "ruby", "rt", "rp", "details", "summary", "section", "aside",
        # emphasis and edits
        "a", "em", "strong", "b", "i", "u", "s", "small", "sub", "sup", "mark",
        "del", "ins",
        # media and tables
        "figure", "figcaption", "img", "table", "caption", "thead", "tbody", "tfoot",
        "tr", "th", "td", "colgroup", "col",
    }
)  # fmt: skip
_OWN_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "data": {"value"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "td": {"colspan", "rowspan", "headers"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
}
_EMBED_ATTRIBUTES = {"src", "width", "height", "allowfullscreen"}
_EMBED_FIXED = {
    "sandbox": EMBED_SANDBOX,
    "referrerpolicy": "strict-origin-when-cross-origin",
    "loading": "lazy",
}
# An iframe as nh3 serialises it: attribute values always double-quoted, a " inside
# escaped, so this finds each whole start tag. Its content is raw text to an HTML5 parser
# (which is why nh3 leaves it as it is) but markup to others (lxml, some feed readers):
# it goes.
_IFRAME = re.compile(r'<iframe((?:\s+[^\s="<>/]+(?:="[^"]*")?)*)\s*>(.*?)</iframe>', re.S | re.I)
_HAS_SRC = re.compile(r'\ssrc="')


def _own_urls(embed_hosts: frozenset[str]) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        value = value.strip()
        if tag == "iframe":
            parts = urlsplit(value)
            host = (parts.hostname or "").lower()
            return value if parts.scheme == "https" and host in embed_hosts else None
        scheme = _scheme(value)
        if scheme and scheme not in _LINK_SCHEMES:
            return None  # javascript:, data:, vbscript:, and anything not a plain link
        return value

    return keep


@lru_cache(maxsize=16)
def _own_cleaner(embed_hosts: frozenset[str]) -> nh3.Cleaner:
    tags = set(_OWN_TAGS)
    strip = set(_STRIP_WITH_CONTENT)
    attributes = dict(_OWN_ATTRIBUTES)
    fixed: dict[str, dict[str, str]] = {}
    if embed_hosts:
        tags.add("iframe")
        strip.discard("iframe")
        attributes["iframe"] = set(_EMBED_ATTRIBUTES)
        fixed["iframe"] = dict(_EMBED_FIXED)
    return nh3.Cleaner(
        tags=tags,
        clean_content_tags=strip,
        attributes=attributes,
        attribute_filter=_own_urls(embed_hosts),
        url_schemes=set(_LINK_SCHEMES),
        link_rel="noopener noreferrer",
        set_tag_attribute_values=fixed,
    )


def _embed(match: re.Match[str]) -> str:
    attributes = match.group(1)
    if not _HAS_SRC.search(attributes):
        return ""  # its src was not on an embed host: no frame at all
    return f"<iframe{attributes}></iframe>"


@lru_cache(maxsize=2048)
def _own(fragment: str, embed_hosts: frozenset[str]) -> str:
    # Cached: every feed of a story (its language, section, tags, authors, in three
    # formats) shows the same body, and a render after a write sees mostly the same ones.
    cleaned = str(_own_cleaner(embed_hosts).clean(fragment))
    if embed_hosts and "<iframe" in cleaned:
        cleaned = _IFRAME.sub(_embed, cleaned)
    return cleaned.strip()


def own_html(fragment: str, embed_hosts: Iterable[str] = ()) -> str:
    """The newsroom's own ``fragment`` with nothing active left in it.

    ``embed_hosts``: host names whose https pages may be embedded (``<iframe>``).
    """
    if not fragment:
        return ""
    return _own(fragment, frozenset(h.lower() for h in embed_hosts))


def safe_translation(
    article: Article, translation: Translation, embed_hosts: Iterable[str] = ()
) -> Translation:
    """``translation`` with its body sanitised by the policy for where ``article`` came
    from: the newsroom's own (``own_html``) or another outlet (``sanitize_html``).
    The same object when there was nothing to remove."""
    body = translation.body_html
    if not body:
        return translation
    own = article.source is None
    cleaned = own_html(body, embed_hosts) if own else _aggregated_again(body)
    if cleaned == body:
        return translation
    return dataclasses.replace(translation, body_html=cleaned)


@lru_cache(maxsize=2048)
def _aggregated_again(fragment: str) -> str:
    # Stored aggregated HTML was cleaned when read (with its base); this is for rows
    # that reached the store another way (an ingest token may write a ``source``).
    return sanitize_html(fragment)


# --- plain text ------------------------------------------------------------------------

_TEXT = nh3.Cleaner(tags=set(), clean_content_tags=set(_STRIP_WITH_CONTENT))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML (or plain) title: tags dropped, entities decoded, spaces folded."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    text = _TEXT.clean(fragment)
    return " ".join(html.unescape(str(text)).split())
