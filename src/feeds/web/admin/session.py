"""Logging in and out of the console (``/admin/{lang}/login``, ``/admin/{lang}/logout``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from feeds.web.admin.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginLimiter,
    csrf_ok,
    is_https,
    new_login_token,
    set_cookie,
)
from feeds.web.admin.base import MAX_FORM_BYTES, Console, text_field

__all__ = ["SESSION_LIFETIME", "Sessions"]

log = logging.getLogger("feeds.admin")

SESSION_LIFETIME = timedelta(hours=12)


class Sessions:
    def __init__(self, console: Console, limiter: LoginLimiter) -> None:
        self.console = console
        self.limiter = limiter

    def _secure(self, request: Request) -> bool:
        return is_https(request, self.console.settings.site.base_url)

    def _next(self, request: Request, value: object) -> str:
        """Where to go after logging in: a console page, never another site."""
        lang = request.path_params["lang"]
        if isinstance(value, str) and value.startswith("/admin/") and "//" not in value:
            return value
        return self.console.url(lang, "sources")

    def _form(self, request: Request, *, status: int = 200, **context: object) -> Response:
        token = new_login_token()
        response = self.console.render(
            request,
            "login.html",
            status=status,
            login_token=token,
            next=self._next(request, request.query_params.get("next")),
            **{"error": "", "name": "", **context},
        )
        set_cookie(response, LOGIN_COOKIE, token, secure=self._secure(request), max_age=3600)
        return response

    async def login_page(self, request: Request) -> Response:
        return self._form(request)

    async def login(self, request: Request) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return self._form(request, status=413, error="too_large")
        form = await request.form()
        if not csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get("login_token")):
            return self._form(request, status=403, error="stale")
        name = text_field(form, "name") or ""
        password = form.get("password")
        client = request.client.host if request.client else "?"
        wait = await run_in_threadpool(self.limiter.retry_after, client, name)
        if wait is not None:
            log.warning("admin login for %r from %s refused: too many failures", name, client)
            response = self._form(request, status=429, error="throttled", name=name, wait=wait)
            response.headers["Retry-After"] = str(wait)
            return response
        ok = isinstance(password, str) and await run_in_threadpool(
            self.console.store.operators.verify, name, password
        )
        if not ok:
            await run_in_threadpool(self.limiter.failed, client, name)
            log.warning("admin login for %r from %s failed", name, client)
            return self._form(request, status=401, error="wrong", name=name)
        await run_in_threadpool(self.limiter.succeeded, name)
        token, _csrf = await run_in_threadpool(
            self.console.store.operators.open_session,
            name,
            self.console.clock(),
            SESSION_LIFETIME,
        )
        log.info("admin: %s logged in from %s", name, client)
        response = RedirectResponse(self._next(request, form.get("next")), status_code=303)
        set_cookie(
            response,
            SESSION_COOKIE,
            token,
            secure=self._secure(request),
            max_age=int(SESSION_LIFETIME.total_seconds()),
        )
        response.delete_cookie(LOGIN_COOKIE, path="/admin")
        return response

    async def logout(self, request: Request) -> Response:
        await self.console.form(request)  # the CSRF check: no logging out from elsewhere
        token = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(
            self.console.store.operators.close_session, token, self.console.clock()
        )
        response = RedirectResponse(self.console.url(request.path_params["lang"], "login"), 303)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response
