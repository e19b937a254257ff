"""What the console shows of the site's traffic, recorded by the real endpoints over real
HTTP: a partner's requests and 429s per day (counted in memory by each web worker and
flushed to the store), and the last ingests (who sent which story, what changed)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx

from feeds.model import article_to_dict
from feeds.store import Store
from feeds.store.partners import PartnerRecord
from feeds.web.ingest import token_fingerprint
from tests.test_admin_http import PASSWORD, Browser
from tests.waiting import wait_for
from tests.web_support import served, settings, story

INGEST_TOKEN = "cms-secret-token"


def _usage_row(page: str) -> tuple[int, int] | None:
    """(requests, 429s) of the first day row of a partner's page."""
    found = re.search(
        r'<td data-label="Requests">(\d+)</td><td data-label="Refused with 429">(\d+)</td>', page
    )
    return (int(found.group(1)), int(found.group(2))) if found else None


def test_the_partner_page_counts_requests_and_429s_per_day(store: Store) -> None:
    now = datetime.now(UTC)
    store.operators.add("ada", PASSWORD, now)
    token = store.partners.add(PartnerRecord("wire", options={"rate_limit": 3}), now)
    other = store.partners.add(PartnerRecord("portal"), now)
    with served(store) as base:
        statuses = [
            httpx.get(
                f"{base}/partners/wire/en/rss",
                headers={"Authorization": f"Bearer {token}"},
                timeout=20,
            ).status_code
            for _ in range(8)
        ]
        assert set(statuses) <= {200, 429} and 429 in statuses
        httpx.get(f"{base}/partners/portal/en/rss", headers={"Authorization": f"Bearer {other}"})
        httpx.get(f"{base}/partners/wire/en/rss", headers={"Authorization": "Bearer forged"})
        browser = Browser(base)
        browser.login()
        expected = (len(statuses), statuses.count(429))
        wait_for(
            lambda: _usage_row(browser.get("/admin/en/partners/wire").text) == expected,
            f"the console to show wire's {expected} requests and 429s",
        )
        listing = browser.get("/admin/en/partners").text
        wire_row = listing.split(">wire</a>", 1)[1].split("</tr>", 1)[0]
        assert re.search(r'data-label="Last request">\d+ s ago<', wire_row), wire_row
        # the other partner's request is its own; a forged token counts for no one
        wait_for(
            lambda: _usage_row(browser.get("/admin/en/partners/portal").text) == (1, 0),
            "the console to show portal's one request",
        )
    (day,) = store.activity.usage("wire")
    assert day.day == now.date() or day.day == datetime.now(UTC).date()


def test_two_workers_counts_add_up(store: Store) -> None:
    now = datetime.now(UTC)
    token = store.partners.add(PartnerRecord("wire"), now)
    auth = {"Authorization": f"Bearer {token}"}
    with served(store) as first, served(store) as second:
        for base in (first, second, first):
            assert httpx.get(f"{base}/partners/wire/en/rss", headers=auth).status_code == 200
        wait_for(
            lambda: [d.requests for d in store.activity.usage("wire")] == [3],
            "both workers' requests in the store",
        )
    # stopping the servers flushed nothing more, and nothing twice
    assert [(d.requests, d.throttled) for d in store.activity.usage("wire")] == [(3, 0)]


def _put(base: str, article_id: str, document: dict[str, object]) -> int:
    return httpx.put(
        f"{base}/api/articles/{article_id}",
        content=json.dumps(document),
        headers={"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"},
        timeout=20,
    ).status_code


def _ingest_rows(page: str) -> list[list[str]]:
    table = page.split('class="list ingests"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:] for row in rows]


def test_the_console_shows_who_sent_which_story_and_what_changed(store: Store) -> None:
    store.operators.add("ada", PASSWORD, datetime.now(UTC))
    config = settings(ingest_tokens=("another-token", INGEST_TOKEN))
    document = article_to_dict(story("sevan"))
    with served(store, config) as base:
        assert _put(base, "sevan", document) == 201
        assert _put(base, "sevan", document) == 200
        changed = json.loads(json.dumps(document))
        changed["translations"]["hy"]["title"] = "Սևան"
        changed["section"] = "Nature"
        assert _put(base, "sevan", changed) == 200
        deleted = httpx.delete(
            f"{base}/api/articles/sevan", headers={"Authorization": f"Bearer {INGEST_TOKEN}"}
        )
        assert deleted.status_code == 200
        refused = httpx.put(
            f"{base}/api/articles/other",
            content=json.dumps(document),
            headers={"Authorization": "Bearer wrong", "Content-Type": "application/json"},
        )
        assert refused.status_code == 401
        browser = Browser(base)
        browser.login()
        page = browser.get("/admin/en/outbox").text
    who = f"token {token_fingerprint(INGEST_TOKEN)}"
    assert INGEST_TOKEN not in page
    assert _ingest_rows(page) == [
        [who, "sevan", "retracted", "status"],
        [who, "sevan", "updated", "section, hy.title"],
        [who, "sevan", "unchanged", "—"],
        [who, "sevan", "created", "—"],
    ]
