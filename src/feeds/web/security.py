"""Security headers on every response, added in one place: ``SecurityHeaders``.

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
there is no telling which one that is.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "page_policy"]

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
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, embed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.page = page_policy(embed_hosts).encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(message["status"], message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secured(
        self, status: int, headers: Iterable[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
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
            return out
        html = content_type is not None and content_type[:9].lower() == b"text/html"
        out.append((b"content-security-policy", self.page if html else _NOT_A_PAGE))
        return out
