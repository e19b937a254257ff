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
- Failed logins are counted per client address and per operator name in a sliding window
  (``LoginLimiter``); past the limit a login is answered 429 with ``Retry-After`` before
  any password is checked. The counts live in the process: several web processes each
  count their own.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

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


@dataclass
class _Window:
    failures: deque[datetime]


class LoginLimiter:
    """At most ``per_name`` failed logins for one operator name and ``per_client`` from
    one address within ``window``; a success clears the name's count."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        per_name: int = 5,
        per_client: int = 20,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock = clock
        self.per_name = per_name
        self.per_client = per_client
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        if not found:
            del self._failures[key]
            return deque()
        return found

    def retry_after(self, client: str, name: str) -> int | None:
        """Seconds until a login for ``name`` from ``client`` may be tried (None: now)."""
        now = self.clock()
        waits = []
        for key, limit in ((f"client:{client}", self.per_client), (f"name:{name}", self.per_name)):
            recent = self._recent(key, now)
            if len(recent) >= limit:
                waits.append(recent[-limit] + self.window - now)
        if not waits:
            return None
        return max(1, int(max(waits).total_seconds() + 0.999))

    def failed(self, client: str, name: str) -> None:
        now = self.clock()
        for key in (f"client:{client}", f"name:{name}"):
            self._failures.setdefault(key, deque()).append(now)
            self._recent(key, now)
        if len(self._failures) > 10_000:  # bounded: forget the oldest keys
            for key in list(self._failures)[:1000]:
                del self._failures[key]

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"name:{name}", None)
