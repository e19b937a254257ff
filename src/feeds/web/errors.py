"""Short, helpful answers for what went wrong: 404 says where the feeds are; 500 says little.

Feed readers show these bodies to people, so they are plain text, name the address that
was asked for, and point at the pages that list every feed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feeds.config import Settings

__all__ = ["http_error_handler", "not_found", "not_found_text", "server_error"]

log = logging.getLogger("feeds.web")


def not_found_text(settings: Settings, path: str) -> str:
    site = settings.site
    languages = ", ".join(site.languages)
    example = site.absolute(f"/{site.languages[0]}/rss.xml")
    return (
        f"Nothing here: {path}\n\n"
        f"Feeds exist for the languages {languages}, for example {example}.\n"
        f"Every feed is listed at {site.absolute('/')} and in {site.absolute('/feeds.opml')}.\n"
    )


def not_found(settings: Settings, path: str) -> Response:
    return PlainTextResponse(
        not_found_text(settings, path), status_code=404, headers={"Cache-Control": "no-cache"}
    )


def http_error_handler(settings: Settings) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return not_found(settings, request.url.path)
        headers = dict(exc.headers or {})
        return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code, headers=headers)

    return handle


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("500 for %s %s: %r", request.method, request.url.path, exc)
    return PlainTextResponse(
        "Internal server error. It has been logged; please try again later.\n", status_code=500
    )
