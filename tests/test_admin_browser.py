"""The operator console in real Chromium (the shared harness, ``tests/browser.py``): an
operator logs in, finds the failing source, reads its whole error, pauses it, polls it,
and revokes a partner; every page has no serious or critical axe-core violation, at
desktop and phone widths, with screenshots saved as artifacts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from feeds.config import Settings
from feeds.store import Store
from feeds.store.activity import Usage
from feeds.store.partners import PartnerRecord
from feeds.store.sources import SourceSpec
from tests.browser import WIDTHS, describe, open_page, screenshot, serious_violations
from tests.feedserver import FeedServer, Route, loopback_settings
from tests.test_admin_http import LONG_ERROR, PASSWORD, failing_source
from tests.test_aggregate_daemon import feed
from tests.web_support import served, settings, story

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def console(migrated_sqlite_url: str) -> Iterator[tuple[str, Store, int]]:
    from feeds.store import open_store

    store = open_store(migrated_sqlite_url)
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    source_id = failing_source(store)
    store.partners.add(PartnerRecord(name="wire"), datetime.now(UTC))
    # what the partner and outbox pages list: a day of requests, two ingests
    now = datetime.now(UTC)
    store.activity.add_usage({("wire", now.date()): Usage(12, 3, now)})
    store.upsert_article(story("sevan"), by="token 0a1b2c3d")
    store.upsert_article(story("sevan", title="Sevan, again"), by="token 0a1b2c3d")
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
                answer = page.goto(f"{base}/admin/{lang}/{path}")
                assert answer is not None and answer.status == 200, f"{lang}/{path}"
                assert page.url.endswith(path), page.url
                found = serious_violations(page)
                assert not found, f"{lang}/{path}: " + describe(found)
                if lang == "en":
                    screenshot(page, f"admin-{path.replace('/', '-')}-{width.name}")


def _poll_due(config: Settings, store: Store) -> None:
    """What the aggregator's next tick does: poll every due source once. In a thread of
    its own: Playwright's sync API holds this thread's event loop."""
    from feeds.aggregate.pipeline import Aggregator

    async def cycle() -> None:
        async with Aggregator(config, store) as aggregator:
            await aggregator.run_cycle()

    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(cycle())
        except BaseException as exc:  # re-raised in the test's thread
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert not thread.is_alive() and not failed, failed


def test_in_the_browser_an_operator_fixes_a_dead_source_and_rotates_a_partners_token(
    chromium: Any, migrated_sqlite_url: str
) -> None:
    """Issue 12's "done when", walked as an operator would: find the failing source among
    the others, read why it fails (its feed moved: the old address is a 404), fix it (add
    the new address, remove the dead one, poll it and see the poll work), then rotate a
    partner's token and hand the new one over, all in the browser."""
    from feeds.store import open_store

    with FeedServer().running() as farm:
        farm.routes["/old.xml"] = Route(body=b"moved to /new.xml", status=404)
        farm.routes["/new.xml"] = Route(body=feed(1, entries=3))
        farm.routes["/other.xml"] = Route(body=feed(2))
        store = open_store(migrated_sqlite_url)
        store.operators.add("ada", PASSWORD, datetime.now(UTC))
        dead = store.sources.add(SourceSpec(url=farm.url("/old.xml"), title="Upstream"))
        store.sources.add(SourceSpec(url=farm.url("/other.xml"), title="Healthy"))
        old_token = store.partners.add(PartnerRecord(name="wire"), datetime.now(UTC))
        config = Settings(
            site=settings(base_url="http://127.0.0.1").site,
            aggregator=loopback_settings().aggregator,
        )
        _poll_due(config, store)  # the aggregator finds the dead source failing
        with served(store, config) as base, open_page(chromium, base + "/admin/") as page:
            _log_in(page)
            # finds it: the sources page, filtered to those in error
            page.select_option("#health", "error")
            page.click("form.filters button")
            page.wait_for_load_state("load")
            listed = page.inner_text("main")
            assert "Upstream" in listed and "Healthy" not in listed
            page.click("text=Upstream")
            page.wait_for_load_state("load")
            # understands it: the whole error, and the poll that got it
            assert "404" in page.inner_text("pre.error")
            assert "404" in page.inner_text("table.polls")
            # fixes it: the feed's new address, then the dead one removed
            page.goto(base + "/admin/en/sources/add")
            page.fill("#url", farm.url("/new.xml"))
            page.fill("#title", "Upstream")
            page.click("form.edit button")
            page.wait_for_load_state("load")
            assert "done=add" in page.url
            fixed_url = page.url.split("?", 1)[0]
            page.goto(f"{base}/admin/en/sources/{dead.id}")
            page.click("text=Remove this source")
            page.wait_for_load_state("load")
            assert store.sources.find(dead.id) is None
            page.goto(fixed_url)
            page.click("text=Poll now")
            page.wait_for_load_state("load")
            _poll_due(config, store)  # the aggregator's next tick
            page.reload(wait_until="load")
            assert page.inner_text("span.health") == "ok"
            first_poll = page.inner_text("table.polls tbody tr")
            assert "ok" in first_poll and "3" in first_poll  # three new entries stored
            # rotates a partner's token: the new one shown once, the old one dead
            page.goto(base + "/admin/en/partners/wire")
            page.click("text=Rotate")
            page.wait_for_load_state("load")
            new_token = page.input_value("#token")
            found = serious_violations(page)
            assert not found, "the page showing the new token: " + describe(found)
            screenshot(page, "admin-partner-rotated-desktop")
            feed_url = f"{base}/partners/wire/en/rss"
            assert httpx.get(feed_url, headers={"Authorization": f"Bearer {new_token}"}).is_success
            refused = httpx.get(feed_url, headers={"Authorization": f"Bearer {old_token}"})
            assert refused.status_code == 401
            page.reload(wait_until="load")
            assert new_token not in page.content()
        actions = [e.action for e in store.operators.recent(20)]
        assert {"source.add", "source.remove", "source.poll", "partner.rotate"} <= set(actions)
        store.close()
