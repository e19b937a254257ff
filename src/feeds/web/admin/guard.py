"""The door of ``/admin``: no page, no action, not even a 404, without a session.

Every request under ``/admin`` passes here first. A path whose first part is not one of
the site's languages is sent to the console in the browser's language. The login page
is the only one open without a session; without one, a page request is sent to the login
page (303) and anything else refused (403). Errors inside the console are console pages.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from feeds.web.admin.auth import SESSION_COOKIE
from feeds.web.admin.base import Console, Operator
from feeds.web.admin.words import N_, PageError
from feeds.web.variant import preferred_language

__all__ = ["Guard"]

OPEN = frozenset({"login"})  # the pages open without a session
_READ = frozenset({"GET", "HEAD"})


class Guard:
    """ASGI: authenticate, then hand the request to the console's router."""

    def __init__(self, console: Console, router: ASGIApp) -> None:
        self.console = console
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        request = Request(scope, receive)
        rest = _after_admin(scope)
        parts = rest.strip("/").split("/", 1)
        lang, page = parts[0], (parts[1] if len(parts) > 1 else "")
        languages = self.console.languages
        if lang not in languages:
            chosen = preferred_language(request.headers.get("accept-language"), languages)
            response: Response = RedirectResponse(
                f"/admin/{chosen or languages[0]}/", status_code=303
            )
            await response(scope, receive, send)
            return
        if page.split("/", 1)[0] not in OPEN:
            operator = await self._operator(request)
            if operator is None:
                await self._refuse(request, lang)(scope, receive, send)
                return
            scope.setdefault("state", {})["operator"] = operator
        # The router's routes answer their own HTTPExceptions with the handlers in the
        # scope: the console's are its own error pages, in the page's language.
        exceptions, statuses = scope.get("starlette.exception_handlers", ({}, {}))
        scope["starlette.exception_handlers"] = (
            {**exceptions, HTTPException: self._error_page},
            statuses,
        )
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:
            scope["path_params"] = {"lang": lang}
            answer = self._error_page(Request(scope, receive), exc)
            await answer(scope, receive, send)

    def _error_page(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        lang = str(request.path_params.get("lang", self.console.languages[0]))
        gettext = self.console.translations(lang).gettext
        message = exc.translated(gettext) if isinstance(exc, PageError) else exc.detail
        return self.console.render(request, "error.html", status=exc.status_code, message=message)

    async def _operator(self, request: Request) -> Operator | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        found = await run_in_threadpool(
            self.console.store.operators.session, token, self.console.clock()
        )
        return Operator(found.operator, found.csrf_token) if found else None

    def _refuse(self, request: Request, lang: str) -> Response:
        if request.method in _READ:
            return RedirectResponse(
                self.console.url(lang, "login", next=request.url.path), status_code=303
            )
        request.scope["path_params"] = {"lang": lang}
        return self.console.render(
            request,
            "error.html",
            status=403,
            message=self.console.translations(lang).gettext(
                N_("You are not logged in (or your session ended): log in and try again.")
            ),
        )


def _after_admin(scope: Scope) -> str:
    """The path below ``/admin``, whether or not the mount already cut it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    if path.startswith("/admin"):
        path = path[len("/admin") :]
    return path
