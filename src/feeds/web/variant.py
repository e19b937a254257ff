"""One cached representation and the tiny hot path that answers with it.

A ``Variant`` is made once per rendered version (in a worker thread): it hashes the bytes
for a strong ETag, compresses them once with gzip and brotli, and prepares the response
headers for every coding. Answering a request is then a header scan and two ``send``
calls: no rendering, no compression, no header encoding per request.

Each content coding is a different representation, so it carries its own strong ETag
(``"<hash>"``, ``"<hash>-br"``, ``"<hash>-gzip"``); If-None-Match accepts any of them,
since they all stand for the same content.

Reading the request headers that decide the answer is pure functions, no I/O.
Conditional requests follow RFC 9110 §13: ``If-None-Match`` uses the weak comparison
(§8.8.3.2) and, when present, ``If-Modified-Since`` is ignored (§13.1.3). Content codings
follow §12.5.3: the highest q-value wins, ``q=0`` refuses a coding, ``*`` stands for any
coding not named.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

import brotli
from starlette.types import Receive, Scope, Send

__all__ = [
    "CODINGS",
    "RequestHeaders",
    "Variant",
    "VariantResponse",
    "choose_coding",
    "etag_matches",
    "http_date",
    "is_fresh",
    "modified_since",
    "preferred_language",
    "read_headers",
    "send_variant",
]

# The codings we keep compressed bytes for, in order of preference on a tie.
CODINGS = ("br", "gzip")


@lru_cache(maxsize=512)
def choose_coding(accept_encoding: str) -> str | None:
    """``"br"``, ``"gzip"`` or None (send the bytes as they are) for an Accept-Encoding."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weights[name] = _q_value(params)
    best: str | None = None
    best_q = 0.0
    for coding in CODINGS:
        q = weights.get(coding, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    return best


def _q_value(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def etag_matches(if_none_match: str, etags: frozenset[str]) -> bool:
    """Whether any entity tag in an If-None-Match header names one of ``etags``.

    ``etags`` holds quoted tags (``'"abc"'``); weak comparison ignores a ``W/`` prefix.
    """
    value = if_none_match.strip()
    if value == "*":
        return True
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in etags:
            return True
    return False


def modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    """False when the representation has not changed since the given HTTP date.

    An unparseable date counts as modified (RFC 9110 §13.1.3: ignore an invalid date).
    """
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    # HTTP dates have whole seconds: compare at that resolution.
    return last_modified.replace(microsecond=0) > since


def http_date(value: datetime) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), always GMT and in English."""
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def preferred_language(accept_language: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered language the browser ranks highest, or None when it ranks none.

    Used only to *suggest* a language on the HTML pages; a feed's language always comes
    from its URL: feed fetchers don't send ``Accept-Language`` and caches would split.
    """
    if not accept_language:
        return None
    best: str | None = None
    best_q = 0.0
    for part in accept_language.split(","):
        name, _, params = part.strip().partition(";")
        primary = name.strip().lower().split("-")[0]
        q = _q_value(params)
        for lang in offered:
            if lang.lower().split("-")[0] == primary and q > best_q:
                best, best_q = lang, q
    return best


Headers = list[tuple[bytes, bytes]]


class Variant:
    """The bytes of one version of one resource, ready to send in every coding."""

    def __init__(
        self,
        body: bytes,
        media_type: str,
        *,
        last_modified: datetime,
        cache_control: str,
        vary: str = "Accept-Encoding",
        link: str | None = None,
    ) -> None:
        self.body = body
        self.media_type = media_type
        self.last_modified = last_modified
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        self.bodies: dict[str | None, bytes] = {None: body}
        for name in CODINGS:
            compressed = _compress(name, body)
            if len(compressed) < len(body):
                self.bodies[name] = compressed
        self.etags: dict[str | None, str] = {
            c: f'"{digest}-{c}"' if c else f'"{digest}"' for c in self.bodies
        }
        self.all_etags = frozenset(self.etags.values())
        # What keeping this version costs: every coding's bytes (see RenderCache).
        self.nbytes = sum(len(data) for data in self.bodies.values())
        common = [
            (b"last-modified", http_date(last_modified).encode()),
            (b"cache-control", cache_control.encode()),
            (b"vary", vary.encode()),
        ]
        if link:  # WebSub discovery (rel=hub, rel=self), see feeds.syndicate.notifier
            common.append((b"link", link.encode()))
        self.ok_headers: dict[str | None, Headers] = {}
        self.not_modified_headers: dict[str | None, Headers] = {}
        for coding, data in self.bodies.items():
            etag = [(b"etag", self.etags[coding].encode())]
            self.not_modified_headers[coding] = etag + common
            ok = [
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(data)).encode()),
                *etag,
                *common,
            ]
            if coding:
                ok.append((b"content-encoding", coding.encode()))
            self.ok_headers[coding] = ok


def _compress(coding: str, body: bytes) -> bytes:
    if coding == "gzip":
        # mtime=0: the same bytes always compress to the same bytes.
        return gzip.compress(body, compresslevel=9, mtime=0)
    return bytes(brotli.compress(body, quality=9))


class RequestHeaders:
    """The few request headers the hot path looks at, read in one pass."""

    __slots__ = ("accept_encoding", "fetch_dest", "if_modified_since", "if_none_match")

    def __init__(self) -> None:
        self.if_none_match: str | None = None
        self.if_modified_since: str | None = None
        self.accept_encoding: str | None = None
        self.fetch_dest: str | None = None


def read_headers(scope: Scope) -> RequestHeaders:
    found = RequestHeaders()
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            found.accept_encoding = value.decode("latin-1")
        elif name == b"if-none-match":
            found.if_none_match = value.decode("latin-1")
        elif name == b"if-modified-since":
            found.if_modified_since = value.decode("latin-1")
        elif name == b"sec-fetch-dest":
            found.fetch_dest = value.decode("latin-1")
    return found


def is_fresh(variant: Variant, headers: RequestHeaders) -> bool:
    """Whether the client's copy is current, so a 304 answers (RFC 9110 §13.2.2)."""
    if headers.if_none_match is not None:
        return etag_matches(headers.if_none_match, variant.all_etags)
    if headers.if_modified_since is not None:
        return not modified_since(headers.if_modified_since, variant.last_modified)
    return False


async def send_variant(scope: Scope, send: Send, variant: Variant, headers: RequestHeaders) -> None:
    """Answer GET or HEAD with ``variant``: 304, or 200 in the best accepted coding."""
    coding = choose_coding(headers.accept_encoding) if headers.accept_encoding else None
    if coding not in variant.bodies:
        coding = None
    if is_fresh(variant, headers):
        await send(
            {
                "type": "http.response.start",
                "status": 304,
                "headers": variant.not_modified_headers[coding],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": variant.ok_headers[coding]}
    )
    body = b"" if scope["method"] == "HEAD" else variant.bodies[coding]
    await send({"type": "http.response.body", "body": body})


class VariantResponse:
    """What an endpoint returns to answer with a cached ``Variant``: 304 or 200, the best
    accepted coding. ``headers``: the request's, when the endpoint has read them already."""

    def __init__(self, variant: Variant, headers: RequestHeaders | None = None) -> None:
        self.variant = variant
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.headers if self.headers is not None else read_headers(scope)
        await send_variant(scope, send, self.variant, headers)
