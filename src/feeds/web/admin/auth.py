"""Who is logged in to the console, and whether a form really came from its page.

- The session is a random token in the ``feeds_admin`` cookie (``HttpOnly``,
  ``SameSite=Strict``, ``Path=/admin``, ``Secure`` when the site or the request is https);
  the store keeps its hash (``feeds.store.operators``), so a stolen database holds no live
  session.
- Every form carries the session's CSRF token, compared in constant time; a POST without
  the right one is refused with 403 and changes nothing. ``SameSite=Strict`` already keeps
  the cookie off cross-site requests: the token is the second lock.
- The login form, before there is a session, carries a token that must match a cookie of
  its own (``feeds_admin_login``): a login CSRF (someone logging a browser in as
  themselves) needs both.
- Failed logins are counted per client address and per operator name (``LoginLimiter``)
  in the store, so every web process counts the same failures; past the limit a login is
  answered 429 with ``Retry-After`` before any password is checked.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from feeds.store.limits import Limits

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "LoginLimiter",
    "csrf_ok",
    "is_https",
    "new_login_token",
    "set_cookie",
]

SESSION_COOKIE = "feeds_admin"
LOGIN_COOKIE = "feeds_admin_login"
COOKIE_PATH = "/admin"


def is_https(request: Request, base_url: str) -> bool:
    """Whether the console is served over https: the request came over it (uvicorn's
    ``--proxy-headers`` makes a TLS proxy's request https too) or the site's URL is."""
    return request.url.scheme == "https" or base_url.startswith("https://")


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(expected: str | None, given: object) -> bool:
    """Whether the form's token is the expected one (constant time)."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())


class LoginLimiter:
    """At most ``per_name`` failed logins for one operator name and ``per_client`` from
    one address in a row, then one more per ``window / limit``; a success forgets the
    name's failures.

    Each count is a token bucket in the store (``Store.limits``, the buckets the partner
    rate limit uses), full at the limit and refilled over ``window``: every web process
    on the store draws from the same buckets, so N workers allow no more attempts than
    one. Blocking (store calls): run it in a worker thread.
    """

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], datetime],
        *,
        per_name: int = 5,
        per_client: int = 20,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.per_name = per_name
        self.per_client = per_client
        self.window = window

    def _buckets(self, client: str, name: str) -> list[tuple[str, int]]:
        return [
            (f"login:client:{client[:100]}", self.per_client),
            (f"login:name:{name[:64]}", self.per_name),
        ]

    def _rate(self, limit: int) -> float:
        return limit / self.window.total_seconds()

    def retry_after(self, client: str, name: str) -> int | None:
        """Seconds until a login for ``name`` from ``client`` may be tried (None: now)."""
        now = self.clock().timestamp()
        wait = max(
            self.limits.wait(key, limit, self._rate(limit), now)
            for key, limit in self._buckets(client, name)
        )
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, client: str, name: str) -> None:
        now = self.clock().timestamp()
        for key, limit in self._buckets(client, name):
            self.limits.take(key, limit, self._rate(limit), 1, now)

    def succeeded(self, name: str) -> None:
        self.limits.refill([f"login:name:{name[:64]}"])
