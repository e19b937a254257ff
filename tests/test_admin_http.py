"""The operator console over real HTTP: nothing without a session, cookie flags, CSRF on
every form, login attempts limited, actions done and audited."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from feeds.pollrecords import SourceUpdate
from feeds.store import Store
from feeds.store.partners import PartnerRecord
from feeds.store.sources import SourceSpec
from tests.web_support import served

PASSWORD = "correct horse battery"
LONG_ERROR = "HTTP 503 from upstream: " + "the [aggregator] said no; " * 20 + "END-OF-ERROR"


@dataclass
class Browser:
    """A client that keeps the console's cookies by hand (they are Secure, the test
    server is plain http on 127.0.0.1)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, **options: object) -> httpx.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        response = httpx.request(
            method,
            self.base + path,
            headers=headers,
            follow_redirects=False,
            timeout=20,
            **options,  # type: ignore[arg-type]
        )
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "Max-Age=0" in raw:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.request("POST", path, data=data)

    def login(self, name: str = "ada", password: str = PASSWORD) -> httpx.Response:
        page = self.get("/admin/en/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token is not None
        return self.post(
            "/admin/en/login", {"login_token": token.group(1), "name": name, "password": password}
        )

    def csrf(self, path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.get(path).text)
        assert found is not None
        return found.group(1)


def failing_source(store: Store) -> int:
    record = store.sources.add(SourceSpec(url="https://example.org/feed.xml", title="Upstream"))
    owner = "test"
    now = datetime.now(UTC)
    (claimed,) = store.sources.claim_due(owner, now, 60, 1, only=[record.id])
    store.sources.save_states(
        owner,
        [
            (
                claimed,
                SourceUpdate(
                    health="error",
                    next_poll=now,
                    fetched_at=now,
                    consecutive_errors=3,
                    etag=None,
                    last_modified=None,
                    error=LONG_ERROR,
                ),
            )
        ],
    )
    return record.id


@pytest.fixture
def console(store: Store) -> Iterator[tuple[Browser, Store, int]]:
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    source_id = failing_source(store)
    with served(store) as base:
        yield Browser(base), store, source_id


def test_nothing_under_admin_answers_without_a_session(console: tuple[Browser, Store, int]) -> None:
    browser, store, source_id = console
    for path in (
        "/admin/en/",
        "/admin/en/sources",
        f"/admin/en/sources/{source_id}",
        "/admin/en/partners",
        "/admin/en/outbox",
        "/admin/en/audit",
        "/admin/en/nothing",
    ):
        answer = browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/admin/en/login"), path
    refused = browser.post(f"/admin/en/sources/{source_id}/pause", {"csrf": "x"})
    assert refused.status_code == 403
    assert store.sources.find(source_id).enabled  # type: ignore[union-attr]
    assert browser.get("/admin/en/sources?session=forged").status_code == 303
    browser.cookies["feeds_admin"] = "forged-token"
    assert browser.get("/admin/en/sources").status_code == 303


# What fills each path parameter of the console's routes in the walk below, every value
# an action route knows included.
_PARAMETERS: dict[str, tuple[str, ...]] = {
    "lang": ("en", "hy"),
    "name": ("wire",),
    "action": ("pause", "resume", "poll", "edit", "remove", "rotate", "revoke", "nothing"),
}


def _admin_routes(store: Store) -> list[tuple[str, str]]:
    """Every (method, path template) the console's router answers, read from the app."""
    from starlette.routing import Mount

    from feeds.web.app import build_app
    from tests.web_support import settings

    app = build_app(settings(), store)
    (mount,) = [r for r in app.routes if isinstance(r, Mount) and r.path == "/admin"]
    router = mount.app.router  # type: ignore[attr-defined]  # the Guard's
    found = []
    for route in router.routes:
        for method in sorted(route.methods or ()):
            found.append((method, "/admin" + route.path))
    return found


def test_no_console_route_answers_without_a_session(console: tuple[Browser, Store, int]) -> None:
    """Every route of the console's router, every method, every action: a page request
    goes to the login page, anything else is a 403, and nothing changes."""
    browser, store, source_id = console
    store.partners.add(PartnerRecord(name="wire"), datetime.now(UTC))
    routes = _admin_routes(store)
    assert len(routes) >= 15 and ("POST", "/admin/{lang}/sources/{source_id}/{action}") in routes
    audit_before = store.operators.count_audit()
    before = store.sources.find(source_id)
    walked = 0
    for method, template in routes:
        values = {**_PARAMETERS, "source_id": (str(source_id),)}
        paths = [template]
        for name, options in values.items():
            paths = [p.replace("{" + name + "}", o) for p in paths for o in options]
        for path in paths:
            answer = browser.request(method, path, data={"csrf": "guess", "url": "x"})
            walked += 1
            if path.endswith("/login"):
                # open by design: the form, or a POST refused for want of its own token
                assert answer.status_code == (200 if method in ("GET", "HEAD") else 403), path
            elif method in ("GET", "HEAD"):
                assert answer.status_code == 303, (method, path)
                lang = path.split("/")[2]
                assert answer.headers["location"].startswith(f"/admin/{lang}/login"), path
            else:
                assert answer.status_code == 403, (method, path, answer.status_code)
            assert "feeds_admin" not in browser.cookies
    assert walked > 40
    assert store.operators.count_audit() == audit_before, "no action was taken"
    assert store.sources.find(source_id) == before
    wire = store.partners.load("wire")
    assert wire is not None and not wire.revoked


def test_login_sets_a_session_cookie_that_scripts_and_other_sites_cannot_use(
    console: tuple[Browser, Store, int],
) -> None:
    browser, _store, _ = console
    answer = browser.login()
    assert answer.status_code == 303
    (cookie,) = [c for c in answer.headers.get_list("set-cookie") if c.startswith("feeds_admin=")]
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/admin" in flags
    assert "secure" in flags  # the site is https://news.example
    page = browser.get("/admin/en/sources")
    assert page.status_code == 200
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_the_whole_last_error_is_shown(console: tuple[Browser, Store, int]) -> None:
    browser, _store, source_id = console
    browser.login()
    listing = browser.get("/admin/en/sources?health=error").text
    assert "END-OF-ERROR" in listing and "the [aggregator] said no" in listing
    page = browser.get(f"/admin/en/sources/{source_id}").text
    assert "END-OF-ERROR" in page


def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    console: tuple[Browser, Store, int],
) -> None:
    browser, store, source_id = console
    browser.login()
    for token in ("", "not-the-token"):
        answer = browser.post(f"/admin/en/sources/{source_id}/pause", {"csrf": token})
        assert answer.status_code == 403
        assert store.sources.find(source_id).enabled  # type: ignore[union-attr]
    token = browser.csrf(f"/admin/en/sources/{source_id}")
    done = browser.post(f"/admin/en/sources/{source_id}/pause", {"csrf": token})
    assert done.status_code == 303
    assert not store.sources.find(source_id).enabled  # type: ignore[union-attr]
    (entry, *_) = store.operators.recent(5)
    assert (entry.operator, entry.action) == ("ada", "source.pause")


def test_logging_out_ends_the_session(console: tuple[Browser, Store, int]) -> None:
    browser, _store, _ = console
    browser.login()
    stolen = dict(browser.cookies)
    token = browser.csrf("/admin/en/sources")
    assert browser.post("/admin/en/logout", {"csrf": token}).status_code == 303
    thief = Browser(browser.base, stolen)
    assert thief.get("/admin/en/sources").status_code == 303


def test_failed_logins_are_limited(console: tuple[Browser, Store, int]) -> None:
    browser, _store, _ = console
    for _ in range(5):
        assert browser.login(password="wrong password!").status_code == 401
    throttled = browser.login()  # even the right password waits now
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "feeds_admin" not in browser.cookies


def test_two_web_workers_on_one_store_share_the_login_limit(store: Store) -> None:
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    with served(store) as first, served(store) as second:
        one, other = Browser(first), Browser(second)
        for browser in (one, other, one, other, one):
            assert browser.login(password="wrong password!").status_code == 401
        for browser in (one, other):  # five failures in all: both workers refuse now
            throttled = browser.login()
            assert throttled.status_code == 429
            assert int(throttled.headers["retry-after"]) > 0
            assert "feeds_admin" not in browser.cookies
        # another operator's name is not locked out by ada's failures
        store.operators.add("bea", PASSWORD, datetime.now(UTC))
        assert other.login(name="bea").status_code == 303


def test_a_login_form_from_elsewhere_is_refused(console: tuple[Browser, Store, int]) -> None:
    browser, _store, _ = console
    answer = browser.post("/admin/en/login", {"name": "ada", "password": PASSWORD})
    assert answer.status_code == 403
    assert "feeds_admin" not in browser.cookies


def test_rotating_shows_the_new_token_once_and_revoking_ends_it(
    console: tuple[Browser, Store, int],
) -> None:
    browser, store, _ = console
    store.partners.add(PartnerRecord(name="wire"), datetime.now(UTC))
    browser.login()
    token = browser.csrf("/admin/en/partners/wire")
    rotated = browser.post("/admin/en/partners/wire/rotate", {"csrf": token})
    assert rotated.status_code == 200
    shown = re.search(r'id="token" class="token" readonly value="(fp_[^"]+)"', rotated.text)
    assert shown is not None
    assert shown.group(1) not in browser.get("/admin/en/partners/wire").text
    revoked = browser.post("/admin/en/partners/wire/revoke", {"csrf": token})
    assert revoked.status_code == 303
    assert store.partners.load("wire").revoked  # type: ignore[union-attr]
    actions = [e.action for e in store.operators.recent(10)]
    assert "partner.rotate" in actions and "partner.revoke" in actions


class _Catalogue(gettext.NullTranslations):
    """A stand-in for the l10n catalogues: marks every phrase it translates."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"


def test_the_words_outside_the_templates_go_through_the_catalogue(store: Store) -> None:
    """Source health, origins, "how long ago" and error pages are translated with the
    page's language, like the templates' phrases (so the l10n catalogues can hold them)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from feeds.web.admin import admin_app
    from tests.live import live_server
    from tests.web_support import settings

    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    source_id = failing_source(store)
    console = admin_app(
        settings(), store, lambda: datetime.now(UTC), translations=lambda lang: _Catalogue()
    )
    with live_server(Starlette(routes=[Mount("/admin", console)])) as base:
        browser = Browser(base)
        refused = browser.post(f"/admin/hy/sources/{source_id}/pause", {"csrf": "x"})
        assert refused.status_code == 403
        assert "«You are not logged in (or your session ended)" in refused.text
        browser.login()
        page = browser.get(f"/admin/hy/sources/{source_id}").text
        assert '<span class="health error">«error»</span>' in page
        assert "(«command line»)" in page  # where it came from
        assert re.search(r"«%\(n\)s (s|min) ago»|«in %\(n\)s", page) is None  # filled in
        missing = browser.get("/admin/hy/sources/99999")
        assert missing.status_code == 404 and "«There is no source %(id)s.»" not in missing.text
        assert (
            "«There is no source 99999.»" in missing.text or "«There is no source" in missing.text
        )
