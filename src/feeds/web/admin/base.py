"""What every console page shares: its templates (in the site's languages), the context
each is given, the form check (CSRF) and the answers (a page, a redirect after a POST).

Console pages are never cached (``Cache-Control: no-store``) and carry their own
Content-Security-Policy: no script at all, styles from the site's own files, and forms
that may post only to the site itself.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from feeds.config import Settings
from feeds.i18n import language_name
from feeds.store import Store
from feeds.web.admin.auth import csrf_ok
from feeds.web.admin.words import HEALTH, N_, ORIGINS, PageError, ago, named

__all__ = ["ADMIN_POLICY", "Console", "Operator"]

TEMPLATES = Path(__file__).parent / "templates"
ADMIN_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
NO_STORE = {"Cache-Control": "no-store", "Content-Security-Policy": ADMIN_POLICY}
MAX_FORM_BYTES = 4 * 2**20  # an OPML file is the biggest thing a form sends


@dataclass(frozen=True)
class Operator:
    """The logged-in operator of a request (set by the guard) and their CSRF token."""

    name: str
    csrf: str


Translations = Callable[[str], gettext.NullTranslations]


def _null_translations(lang: str) -> gettext.NullTranslations:
    return gettext.NullTranslations()


@dataclass
class Console:
    """The console's shared parts: settings, store, clock, templates."""

    settings: Settings
    store: Store
    clock: Callable[[], datetime]
    translations: Translations = _null_translations
    _envs: dict[str, jinja2.Environment] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.settings.site.languages

    def env(self, lang: str) -> jinja2.Environment:
        """The templates with ``lang``'s translations installed (one environment each)."""
        if lang not in self._envs:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(TEMPLATES),
                autoescape=True,
                trim_blocks=True,
                lstrip_blocks=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(self.translations(lang), newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(language_name=language_name)
            self._envs[lang] = env
        return self._envs[lang]

    def url(self, lang: str, path: str = "", **query: object) -> str:
        """``/admin/{lang}/{path}`` with ``query`` (empty values left out)."""
        wanted = {k: v for k, v in query.items() if v not in (None, "")}
        return f"/admin/{lang}/{path}" + (f"?{urlencode(wanted)}" if wanted else "")

    def render(
        self, request: Request, template: str, *, status: int = 200, **context: Any
    ) -> Response:
        lang = str(request.path_params.get("lang", self.languages[0]))
        operator = request.state.operator if hasattr(request.state, "operator") else None
        now = self.clock()
        gettext = self.translations(lang).gettext
        page = {
            "lang": lang,
            "languages": self.languages,
            "site": self.settings.site,
            "operator": operator,
            "csrf": operator.csrf if operator else "",
            "now": now,
            "ago": lambda value: ago(value, now, gettext),
            "health_name": lambda value: named(HEALTH, value, gettext),
            "origin_name": lambda value: named(ORIGINS, value, gettext),
            "url": lambda path="", **query: self.url(lang, path, **query),
            "here": request.url.path,
            "done": request.query_params.get("done", ""),
            **context,
        }
        body = self.env(lang).get_template(template).render(page)
        return HTMLResponse(body, status_code=status, headers=NO_STORE)

    def done(self, request: Request, path: str, what: str, **query: object) -> Response:
        """After a POST: see the page again (303), with what was done said on it."""
        lang = str(request.path_params["lang"])
        return RedirectResponse(self.url(lang, path, done=what, **query), status_code=303)

    async def form(self, request: Request) -> FormData:
        """The posted form, refused (403, nothing changed) without the session's CSRF
        token, and (413) when larger than ``MAX_FORM_BYTES``."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
            raise PageError(413, N_("The form is too large."))
        form = await request.form(max_part_size=MAX_FORM_BYTES)
        operator: Operator = request.state.operator
        if not csrf_ok(operator.csrf, form.get("csrf")):
            raise PageError(403, N_("This form is stale or did not come from the console."))
        return form


def text_field(form: Mapping[str, Any], name: str) -> str | None:
    """A text field, stripped; None when empty or absent."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None
