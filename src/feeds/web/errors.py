"""Short, helpful answers for what went wrong, in the form the client reads.

- A browser (``Sec-Fetch-Dest: document``, or an ``Accept`` that lists HTML first) gets a
  small HTML page in the site's style that says what happened and links to the feeds.
  It never repeats the address asked for: a page that echoes its URL is a page anyone
  can write on with a crafted link.
- An API client (``Accept`` naming JSON) gets an RFC 9457 problem document.
- Everyone else, feed readers above all, gets plain text: readers show these bodies to
  people, so the 404 names the address that was asked for and where the feeds are.

A database that is briefly unavailable (``feeds.store.StoreUnavailableError``) is a 503,
a full disk under it (``StorageFullError``) a 507, both with ``Retry-After``: a CMS or a
reader tries again later instead of reporting our bug. The answer names the cause in the
store's public words (never the driver's, which can name hosts); the API
(``/api/...``) always answers those with a problem document. Each is logged at DEBUG only:
the store logs the incident once (``feeds.store.outage``).

The choice is made when the answer is sent (``ErrorResponse``), so the helpers below
need only the settings, and every such answer says ``Vary`` for the headers it read.
A 500 says little and never shows a traceback; the log has the details.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from feeds.config import SiteSettings
from feeds.publish.phrases import Words
from feeds.store import Outage, StorageFullError, StoreUnavailableError
from feeds.web.variant import preferred_language

__all__ = [
    "ErrorResponse",
    "http_error_handler",
    "method_not_allowed",
    "not_found",
    "not_found_text",
    "retry_after",
    "server_error",
    "store_unavailable",
    "wants_html",
]

log = logging.getLogger("feeds.web")

_VARY = "Accept, Accept-Language, Sec-Fetch-Dest"
_STATUSES = (404, 405, 500, 503, 507)


def _title(words: Words, status: int) -> str:
    if status == 404:
        return words.gettext("Page not found")
    if status == 405:
        return words.gettext("Method not allowed")
    if status == 500:
        return words.gettext("Something went wrong")
    if status in (503, 507):
        return words.gettext("Briefly unavailable")
    return words.gettext("Error")


def _lead(words: Words, status: int) -> str:
    if status == 404:
        return words.gettext(
            "There is nothing at this address. The story or feed may have moved, or the "
            "link may be mistyped."
        )
    if status == 405:
        return words.gettext("This address cannot be used that way.")
    if status == 500:
        return words.gettext(
            "The page could not be shown. The error has been logged; please try again later."
        )
    if status == 503:
        return words.gettext(
            "The site cannot reach its database for the moment. Please try again in a minute."
        )
    if status == 507:
        return words.gettext(
            "The site cannot store anything for the moment. Please try again in a few minutes."
        )
    return ""


def page_language(site: SiteSettings, scope: Scope) -> str:
    """The language of an HTML error page: the path's (``/hy/...``), else the browser's
    (Accept-Language), else the site's first."""
    first = str(scope.get("path", "/")).strip("/").split("/", 1)[0]
    if first in site.languages:
        return first
    if first == "admin":  # the console's pages: /admin/{lang}/...
        parts = str(scope.get("path", "/")).strip("/").split("/")
        if len(parts) > 1 and parts[1] in site.languages:
            return parts[1]
    accept = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            accept = value.decode("latin-1")
    return preferred_language(accept, site.languages) or site.languages[0]


# Seconds a client should wait: a restart takes seconds; freeing disk space takes a person.
_RETRY_UNAVAILABLE = 5
_RETRY_FULL = 60


def not_found_text(site: SiteSettings, path: str) -> str:
    languages = ", ".join(site.languages)
    example = site.absolute(f"/{site.languages[0]}/rss.xml")
    return (
        f"Nothing here: {path}\n\n"
        f"Feeds exist for the languages {languages}, for example {example}.\n"
        f"Every feed is listed at {site.absolute('/')} and in {site.absolute('/feeds.opml')}.\n"
    )


def wants_html(scope: Scope) -> bool:
    """Whether the request comes from a browser showing a page (not a reader or a script)."""
    accept = ""
    for name, value in scope.get("headers", ()):
        if name == b"sec-fetch-dest":
            return bool(value == b"document")
        if name == b"accept":
            accept = value.decode("latin-1")
    first = accept.split(",", 1)[0].strip().lower()
    return first.startswith(("text/html", "application/xhtml+xml"))


def _wants_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"json" in value.lower()
    return False


class ErrorResponse(Response):
    """An error answer that is HTML, a problem document or plain text, per request."""

    def __init__(
        self,
        site: SiteSettings,
        status_code: int,
        text: str,
        *,
        headers: Mapping[str, str] | None = None,
        problem: bool = False,
    ) -> None:
        self.site = site
        self.text = text
        self.problem = problem  # a problem document whatever the request accepts
        extra = {"Cache-Control": "no-cache", "Vary": _VARY, **(headers or {})}
        super().__init__(text, status_code, extra, media_type="text/plain")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.problem and wants_html(scope):
            body = _html_page(self.site, self.status_code, page_language(self.site, scope))
            media_type = "text/html"
        elif self.problem or _wants_json(scope):
            problem = {"status": self.status_code, "title": self.text.strip().splitlines()[0]}
            body = json.dumps(problem).encode()
            media_type = "application/problem+json"
        else:
            await super().__call__(scope, receive, send)
            return
        # The headers as they are now: a caller may have changed them (images: no-store).
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in self.raw_headers
            if name not in (b"content-type", b"content-length")
        }
        answer = Response(body, self.status_code, headers, media_type=media_type)
        await answer(scope, receive, send)


def _html_page(site: SiteSettings, status: int, lang: str) -> bytes:
    # Imported here: the pages answer with these errors (feeds.web.pages imports this).
    from feeds.web.pages import environment, page_context

    words = site.words(lang)
    context = page_context(
        site,
        lang,
        discovery=[],
        status=status,
        title=_title(words, status),
        lead=_lead(words, status),
    )
    template = environment(site, lang).get_template("error.html")
    return template.render(context).encode("utf-8")


def not_found(site: SiteSettings, path: str) -> Response:
    """The site's 404: ``path`` appears only in the plain-text answer for readers."""
    return ErrorResponse(site, 404, not_found_text(site, path))


def method_not_allowed(site: SiteSettings, text: str, allow: str) -> Response:
    return ErrorResponse(site, 405, text, headers={"Allow": allow})


def http_error_handler(site: SiteSettings) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return not_found(site, request.url.path)
        headers = dict(exc.headers or {})
        if exc.status_code in _STATUSES:
            return ErrorResponse(site, exc.status_code, f"{exc.detail}\n", headers=headers)
        return Response(
            f"{exc.detail}\n", status_code=exc.status_code, headers=headers, media_type="text/plain"
        )

    return handle


def server_error(site: SiteSettings) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        log.error("500 for %s %s: %r", request.method, request.url.path, exc)
        return ErrorResponse(
            site, 500, "Internal server error. It has been logged; please try again later.\n"
        )

    return handle


def retry_after(fault: StoreUnavailableError) -> int:
    """The ``Retry-After`` seconds of an answer to ``fault``."""
    return _RETRY_FULL if isinstance(fault, StorageFullError) else _RETRY_UNAVAILABLE


def store_unavailable(
    site: SiteSettings, outage: Outage
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """503 (507 for a full disk) with ``Retry-After``, counted in the open incident."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreUnavailableError)
        outage.affected("requests")
        log.debug("%s for %s %s", exc.headline, request.method, request.url.path, exc_info=exc)
        status = 507 if isinstance(exc, StorageFullError) else 503
        seconds = retry_after(exc)
        return ErrorResponse(
            site,
            status,
            f"{exc.headline}; try again in {seconds} s\n",
            headers={"Retry-After": str(seconds)},
            problem=request.url.path.startswith("/api/"),
        )

    return handle
