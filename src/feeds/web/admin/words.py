"""Every word the console shows that is not written in a template: the names of source
health and origins, how long ago something was, and the messages of its error pages.

The templates hold the rest (each phrase in ``_()``); these are marked with ``_`` or
``N_`` as well, so one extraction over ``src/feeds/web/admin/`` (e.g. ``pybabel extract``
with its default keywords, and the Jinja extractor for the templates) finds every
phrase. A page translates them with its language's catalogue (``Console.translations``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException

from feeds.errors import FeedsError

__all__ = ["HEALTH", "ORIGINS", "PageError", "ago", "named"]

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802  (the name gettext tools look for)
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def _same(message: str) -> str:
    return message


# What a source's health and a record's origin are called on the console's pages.
HEALTH: Mapping[str, str] = {
    "new": N_("new"),
    "ok": N_("ok"),
    "error": N_("error"),
    "not-found": N_("not found"),
    "gone": N_("gone"),
    "blocked": N_("blocked"),
    "degraded": N_("degraded"),
    "paused": N_("paused"),
}
ORIGINS: Mapping[str, str] = {
    "cli": N_("command line"),
    "config": N_("config file"),
    "admin": N_("console"),
    "opml": N_("OPML import"),
    "store": N_("console or command line"),
}


def named(names: Mapping[str, str], value: str, _: Gettext = _same) -> str:
    """``value``'s name in ``names``, translated; an unknown value as it is."""
    return _(names[value]) if value in names else value


def ago(value: datetime | None, now: datetime, _: Gettext = _same) -> str:
    """``5 min ago``, ``in 2 h``: how far ``value`` is from ``now``."""
    if value is None:
        return "—"
    seconds = int((value - now).total_seconds())
    later, seconds = seconds > 0, abs(seconds)
    if seconds < 120:
        n, text = seconds, (_("in %(n)s s") if later else _("%(n)s s ago"))
    elif seconds < 7200:
        n, text = seconds // 60, (_("in %(n)s min") if later else _("%(n)s min ago"))
    elif seconds < 172_800:
        n, text = seconds // 3600, (_("in %(n)s h") if later else _("%(n)s h ago"))
    else:
        n, text = seconds // 86_400, (_("in %(n)s d") if later else _("%(n)s d ago"))
    return text % {"n": n}


class PageError(HTTPException, FeedsError):
    """An error page of the console whose message is translated when it is shown:
    ``message`` is the phrase (marked ``N_`` where it is raised), ``values`` fill it."""

    def __init__(self, status: int, message: str, **values: Any) -> None:
        self.message = message
        self.values = values
        super().__init__(status, message % values if values else message)

    def translated(self, _: Gettext) -> str:
        text = _(self.message)
        return text % self.values if self.values else text
