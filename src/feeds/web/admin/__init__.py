"""The operator console at ``/admin``: sources, polls, partners, the WebSub outbox and the
last ingests, seen and fixed in a browser (docs/admin.md).

``admin_app`` builds it: the ``Guard`` (no session, no page) in front of a router of
``/admin/{lang}/…`` pages, each answered by the object that owns that part (``Sessions``,
``SourcePages``, ``PartnerPages``, ``ActivityPages``) in the one endpoint style of the
site. Operators are made with ``feeds operators add``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.routing import Route, Router
from starlette.types import ASGIApp

from feeds.config import Settings
from feeds.store import Store
from feeds.web.admin.activity import ActivityPages
from feeds.web.admin.auth import LoginLimiter
from feeds.web.admin.base import Console, Translations, _null_translations
from feeds.web.admin.guard import Guard
from feeds.web.admin.partners import PartnerPages
from feeds.web.admin.session import Sessions
from feeds.web.admin.sources import SourcePages

__all__ = ["admin_app"]

READ = ["GET", "HEAD"]
POST = ["POST"]


def admin_app(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    *,
    translations: Translations = _null_translations,
    limiter: LoginLimiter | None = None,
) -> ASGIApp:
    """The console, to mount at ``/admin``."""
    console = Console(settings, store, clock, translations)
    sessions = Sessions(console, limiter or LoginLimiter(store.limits, clock))
    sources = SourcePages(console)
    partners = PartnerPages(console)
    activity = ActivityPages(console)

    routes = [
        Route("/{lang}/", sources.index, methods=READ),
        Route("/{lang}/login", sessions.login_page, methods=READ),
        Route("/{lang}/login", sessions.login, methods=POST),
        Route("/{lang}/logout", sessions.logout, methods=POST),
        Route("/{lang}/sources", sources.index, methods=READ),
        Route("/{lang}/sources/add", sources.add_page, methods=READ),
        Route("/{lang}/sources/add", sources.add, methods=POST),
        Route("/{lang}/sources/import", sources.import_opml, methods=POST),
        Route("/{lang}/sources/{source_id}", sources.detail, methods=READ),
        Route("/{lang}/sources/{source_id}/{action}", sources.act, methods=POST),
        Route("/{lang}/partners", partners.index, methods=READ),
        Route("/{lang}/partners/{name}", partners.detail, methods=READ),
        Route("/{lang}/partners/{name}/{action}", partners.act, methods=POST),
        Route("/{lang}/outbox", activity.outbox, methods=READ),
        Route("/{lang}/audit", activity.audit, methods=READ),
    ]
    return Guard(console, Router(routes))
