"""The operator console in real Chromium (the shared harness, ``tests/browser.py``): an
operator logs in, finds the failing source, reads its whole error, pauses it, polls it,
and revokes a partner; every page has no serious or critical axe-core violation, at
desktop and phone widths, with screenshots saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from feeds.store import Store
from feeds.store.partners import PartnerRecord
from tests.browser import WIDTHS, describe, open_page, screenshot, serious_violations
from tests.test_admin_http import LONG_ERROR, PASSWORD, failing_source
from tests.web_support import served, settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def console(migrated_sqlite_url: str) -> Iterator[tuple[str, Store, int]]:
    from feeds.store import open_store

    store = open_store(migrated_sqlite_url)
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    source_id = failing_source(store)
    store.partners.add(PartnerRecord(name="wire"), datetime.now(UTC))
    # Plain http on 127.0.0.1: the cookie is not Secure (test_admin_http checks that it
    # is on an https site).
    with served(store, settings(base_url="http://127.0.0.1")) as base:
        yield base, store, source_id
    store.close()


def _log_in(page: Any) -> None:
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    page.click("form.login button")
    page.wait_for_load_state("load")


def test_an_operator_fixes_a_failing_source_and_revokes_a_partner(
    chromium: Any, console: tuple[str, Store, int]
) -> None:
    base, store, source_id = console
    with open_page(chromium, base + "/admin/en/sources") as page:
        assert "/admin/en/login" in page.url
        _log_in(page)
        assert page.url.endswith("/admin/en/sources")
        page.select_option("#health", "error")
        page.click("form.filters button")
        page.click("text=Upstream")
        page.wait_for_load_state("load")
        assert page.inner_text("pre.error") == LONG_ERROR  # the whole error, as sent
        page.click("text=Pause")
        page.wait_for_load_state("load")
        assert "Paused" in page.inner_text("p.done")
        assert not store.sources.find(source_id).enabled  # type: ignore[union-attr]
        page.click("text=Resume and poll now")
        page.wait_for_load_state("load")
        resumed = store.sources.find(source_id)
        assert resumed is not None and resumed.enabled
        page.click("text=Poll now")
        page.wait_for_load_state("load")
        assert "Due now" in page.inner_text("p.done")
        due = store.sources.find(source_id)
        assert due is not None and due.next_poll <= datetime.now(UTC)
        page.goto(base + "/admin/en/partners/wire")
        page.click("text=Revoke this partner")
        page.wait_for_load_state("load")
        assert "Revoked" in page.inner_text("p.done")
        assert store.partners.load("wire").revoked  # type: ignore[union-attr]
        actions = [e.action for e in store.operators.recent(20)]
        assert {"source.pause", "source.resume", "source.poll", "partner.revoke"} <= set(actions)


@pytest.mark.parametrize("width", WIDTHS, ids=[w.name for w in WIDTHS])
def test_console_pages_have_no_serious_accessibility_violations(
    chromium: Any, console: tuple[str, Store, int], width: Any
) -> None:
    base, _store, source_id = console
    pages = [
        "sources",
        f"sources/{source_id}",
        "sources/add",
        "partners",
        "partners/wire",
        "outbox",
        "audit",
    ]
    with open_page(chromium, base + "/admin/en/login", width) as page:
        found = serious_violations(page)
        assert not found, "login: " + describe(found)
        screenshot(page, f"admin-login-{width.name}")
        _log_in(page)
        for lang in ("en", "hy"):
            for path in pages:
                page.goto(f"{base}/admin/{lang}/{path}")
                assert page.url.endswith(path), page.url
                found = serious_violations(page)
                assert not found, f"{lang}/{path}: " + describe(found)
                if lang == "en":
                    screenshot(page, f"admin-{path.replace('/', '-')}-{width.name}")
