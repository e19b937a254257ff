"""The console's view of what flows out and in: the WebSub outbox (pending, failing, given
up, and the last delivered), the last ingests (who sent which story, what changed) and
the audit log of the operators' own actions."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from feeds.web.admin.base import Console

__all__ = ["ActivityPages"]


class ActivityPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def outbox(self, request: Request) -> Response:
        activity = self.console.store.activity

        def read() -> tuple[object, object, object]:
            return activity.outbox(), activity.delivered(), activity.ingests()

        rows, delivered, ingests = await run_in_threadpool(read)
        hubs = self.console.settings.websub_hubs
        return self.console.render(
            request, "outbox.html", rows=rows, delivered=delivered, ingests=ingests, hubs=hubs
        )

    async def audit(self, request: Request) -> Response:
        entries = await run_in_threadpool(self.console.store.operators.recent, 200)
        return self.console.render(request, "audit.html", entries=entries)
