"""The console's partners: each one's profile, scope, last request, requests and 429s per
day, and what ``feeds partners check`` reports (the stories its profile leaves out, and
why); rotating a token (the new one is shown once, on the answer to the POST, never
stored) and revoking a partner."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feeds.publish.profiles import get_profile
from feeds.store.activity import PartnerDay
from feeds.store.partners import PartnerError, PartnerRecord
from feeds.syndicate.registry import PartnerRegistry
from feeds.web.admin.base import Console
from feeds.web.admin.words import N_, PageError
from feeds.web.partners import partner_feed

__all__ = ["PartnerPages"]

log = logging.getLogger("feeds.admin")


@dataclass(frozen=True)
class CheckLine:
    lang: str
    included: int
    notes: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...]  # (story id, the rule it breaks)


@dataclass(frozen=True)
class PartnerView:
    record: PartnerRecord
    active: bool  # has a valid token and is not revoked
    tokens: int
    usage: list[PartnerDay]

    @property
    def last_request(self) -> object:
        return max((d.last_at for d in self.usage), default=None)


class PartnerPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    def _registry(self) -> PartnerRegistry:
        return PartnerRegistry(self.console.store, self.console.settings.partners)

    def _view(self, registry: PartnerRegistry, record: PartnerRecord) -> PartnerView:
        known = registry.lookup(record.name)
        return PartnerView(
            record,
            active=known is not None and not record.revoked,
            tokens=len(known.token_hashes) if known else 0,
            usage=self.console.store.activity.usage(record.name),
        )

    async def index(self, request: Request) -> Response:
        def read() -> list[PartnerView]:
            registry = self._registry()
            return [self._view(registry, record) for record in registry.all()]

        views = await run_in_threadpool(read)
        return self.console.render(request, "partners.html", partners=views)

    async def detail(self, request: Request, *, token: str = "") -> Response:
        name = str(request.path_params["name"])

        def read() -> tuple[PartnerView | None, list[CheckLine]]:
            registry = self._registry()
            record = next((r for r in registry.all() if r.name == name), None)
            if record is None:
                return None, []
            view = self._view(registry, record)
            return view, self._check(record) if view.active else []

        view, check = await run_in_threadpool(read)
        if view is None:
            raise PageError(404, N_("There is no partner %(name)r."), name=name)
        return self.console.render(request, "partner.html", partner=view, check=check, token=token)

    def _check(self, record: PartnerRecord) -> list[CheckLine]:
        """What ``feeds partners check`` prints, per language of the partner."""
        if record.problems:
            return []
        settings = self.console.settings
        profile = get_profile(record.profile)
        now = self.console.clock()
        lines = []
        for lang in record.languages or settings.site.languages:
            feed = partner_feed(
                settings.site, self.console.store, record, lang, None, profile.formats[0], now
            )
            lines.append(
                CheckLine(
                    lang,
                    len(feed.included),
                    tuple(feed.notes),
                    tuple((v.article_id, v.rule) for v in feed.violations),
                )
            )
        return lines

    async def act(self, request: Request) -> Response:
        """``POST /admin/{lang}/partners/{name}/{action}``: rotate or revoke."""
        await self.console.form(request)
        name = str(request.path_params["name"])
        action = request.path_params["action"]
        operator = request.state.operator.name
        store = self.console.store
        now = self.console.clock()
        hashes = self._registry().config_hashes(name)
        try:
            if action == "rotate":
                token = await run_in_threadpool(store.partners.rotate, name, now, hashes)
            elif action == "revoke":
                count = await run_in_threadpool(store.partners.revoke, name, now, hashes)
            else:
                raise PageError(404, N_("There is no action %(action)r."), action=action)
        except PartnerError as exc:
            raise HTTPException(422, str(exc)) from None
        detail = "new token issued" if action == "rotate" else f"{count} token(s) revoked"
        await run_in_threadpool(
            store.operators.record, now, operator, f"partner.{action}", f"partner {name}", detail
        )
        log.info("admin: %s: %s partner %s", operator, action, name)
        if action == "rotate":
            return await self.detail(request, token=token)  # shown once, on this answer only
        return self.console.done(request, f"partners/{name}", action)
