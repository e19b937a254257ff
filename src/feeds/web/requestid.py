"""A request id for every HTTP request: the proxy's ``X-Request-ID`` when well-formed, else
a new one; echoed in the response's ``X-Request-ID`` and in every log line written while
the request is answered (``feeds.logs.request_id``), uvicorn's access and error lines too.
``feeds.web.edge.Edge``, the outermost middleware, calls ``assign`` first of all.

A proxy's id is kept only when it is 1-128 characters of letters, digits and ``._:+=/-``,
so that what reaches the log is one token that cannot forge a line or a field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from feeds.logs import request_id

__all__ = ["HEADER", "assign", "well_formed"]

HEADER = "x-request-id"
_HEADER = HEADER.encode()
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def well_formed(value: str) -> bool:
    return _WELL_FORMED.fullmatch(value) is not None


def assign(headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """The id of the request with these headers, set as ``feeds.logs.request_id`` for the
    rest of the request's task, and its ``X-Request-ID`` response header.

    Not reset afterwards: each request is answered in a task of its own, and the server's
    error line for a failed request is written after the app returns.
    """
    rid = ""
    for key, value in headers:
        if key == _HEADER:
            rid = value.decode("latin-1")
            break
    if not well_formed(rid):
        rid = os.urandom(16).hex()  # 32 hex digits; a fifth of uuid4's cost
    request_id.set(rid)
    return (_HEADER, rid.encode("latin-1"))
