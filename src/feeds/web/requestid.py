"""A request id for every HTTP request: the proxy's ``X-Request-ID`` when well-formed, else
a new one; echoed in the response's ``X-Request-ID`` and in every log line written while
the request is answered (``feeds.logs.request_id``), uvicorn's access and error lines too.

A proxy's id is kept only when it is 1-128 characters of letters, digits and ``._:+=/-``,
so that what reaches the log is one token that cannot forge a line or a field.
"""

from __future__ import annotations

import os
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feeds.logs import request_id

__all__ = ["HEADER", "RequestId", "well_formed"]

HEADER = "x-request-id"
_HEADER = HEADER.encode()
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def well_formed(value: str) -> bool:
    return _WELL_FORMED.fullmatch(value) is not None


class RequestId:
    """ASGI middleware; outermost, so that the 500 page and its log line carry the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for key, value in scope["headers"]:
            if key == _HEADER:
                rid = value.decode("latin-1")
                break
        if not well_formed(rid):
            rid = os.urandom(16).hex()  # 32 hex digits; a fifth of uuid4's cost
        # Not reset afterwards: each request is answered in a task of its own, and the
        # server's error line for a failed request is written after the app returns.
        request_id.set(rid)
        header = (_HEADER, rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy: a cached response's header list is shared by every answer.
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await self.app(scope, receive, send_with_id)
