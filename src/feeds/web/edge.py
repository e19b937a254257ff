"""``Edge``: the one ASGI middleware around the whole app, outside Starlette's own error
middleware so that the 500 page gets all of it. In one pass over each request it gives
the request its id (``feeds.web.requestid``), puts the security headers on the answer
(``SecurityHeaders``) and counts it for ``/metrics`` (``feeds.web.metrics.RequestMetrics``).
One wrapper instead of three keeps a cached feed's 304 cheap (bench/middleware.py).

Security headers go on every response, here and nowhere else:

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy`` on every response: feeds,
  JSON, images, errors, redirects and 304s alike, so no browser guesses that a feed or
  an image is HTML.
- A ``Content-Security-Policy`` on every response. HTML pages get ``page_policy``: no
  script at all (the pages have none), styles and images from the site's own files (and
  images from anywhere over http(s), as stories link them), frames only from
  ``[site] embed_hosts``, never framed by another site. Everything else (feeds, JSON,
  images, an SVG a story uploaded) gets ``default-src 'none'``: opened on its own in a
  browser it can load and run nothing.

A response that already names a header keeps its own value. A 304 carries no policy:
it would replace the stored response's (RFC 9111 §4.3.4), and without a Content-Type
there is no telling which one that is. The request id's ``X-Request-ID`` comes last.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feeds.web.metrics import RequestMetrics
from feeds.web.requestid import assign

__all__ = ["Edge", "SecurityHeaders", "page_policy"]

Headers = tuple[tuple[bytes, bytes], ...]

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
_NOT_A_PAGE = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def page_policy(embed_hosts: Iterable[str]) -> str:
    """The Content-Security-Policy of the site's HTML pages."""
    frames = " ".join(f"https://{host}" for host in embed_hosts) or "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'none'",
            "style-src 'self'",
            "img-src 'self' https: http:",
            f"frame-src {frames}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


class SecurityHeaders:
    """A response's headers with the security headers above added.

    Remembered per status and header list (at most ``MAX_KINDS``, then forgotten all at
    once): a cached feed answers with the same few lists again and again, so most
    answers cost one dictionary lookup instead of a scan.
    """

    MAX_KINDS = 1024

    def __init__(self, embed_hosts: Iterable[str] = ()) -> None:
        self.page = page_policy(embed_hosts).encode("latin-1")
        self._kinds: dict[tuple[int, Headers], Headers] = {}

    def secured(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> Headers:
        try:
            key = (status, tuple(headers))
            known = self._kinds.get(key)
        except TypeError:  # a header given as a list (ASGI allows it) is not hashable
            return self._secure(status, tuple(headers))
        if known is None:
            known = self._secure(status, key[1])
            if len(self._kinds) >= self.MAX_KINDS:
                self._kinds.clear()
            self._kinds[key] = known
        return known

    def _secure(self, status: int, headers: Headers) -> Headers:
        out = list(headers)
        present = set()
        content_type: bytes | None = None
        for name, value in out:
            name = name.lower()
            present.add(name)
            if name == b"content-type":
                content_type = value
        for name, value in _ALWAYS:
            if name not in present:
                out.append((name, value))
        if b"content-security-policy" in present or (status == 304 and content_type is None):
            return tuple(out)
        html = content_type is not None and content_type[:9].lower() == b"text/html"
        out.append((b"content-security-policy", self.page if html else _NOT_A_PAGE))
        return tuple(out)


class Edge:
    """ASGI middleware: request id, security headers and request metrics in one wrapper."""

    def __init__(self, app: ASGIApp, *, embed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.security = SecurityHeaders(embed_hosts)
        self.metrics = RequestMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        id_header = assign(scope["headers"])
        secured = self.security.secured
        status = 500

        async def edge_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = secured(status, message.get("headers", ()))
                # A new message: a cached response's own headers are shared by every answer.
                message = {**message, "headers": [*headers, id_header]}
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, edge_send)
        finally:
            self.metrics.record(scope, status, time.perf_counter() - started)
