"""``/healthz``: is the process up and can it read the store? For load balancers and people."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from feeds.store import Store

__all__ = ["health_route"]

log = logging.getLogger("feeds.web")


def health_route(store: Store) -> Route:
    async def healthz(request: Request) -> Response:
        headers = {"Cache-Control": "no-store"}
        try:
            revision = await run_in_threadpool(store.revision)
        except Exception as exc:
            log.warning("healthz: database unreachable: %s", str(exc).splitlines()[0])
            body = {"ok": False, "database": "unreachable", "backend": store.backend}
            return JSONResponse(body, status_code=503, headers=headers)
        body = {
            "ok": True,
            "database": "reachable",
            "backend": store.backend,
            "revision": revision.number,
            "changed_at": revision.changed_at.isoformat(),
        }
        return JSONResponse(body, headers=headers)

    return Route("/healthz", healthz, methods=["GET", "HEAD"])
