"""Partner endpoints over real HTTP: every way in, and every way to be turned away."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from feeds.config import PartnerConfig, Settings, SiteSettings
from feeds.model import Status
from feeds.publish.items import entry_id
from feeds.store import Store
from feeds.store import partners as table
from feeds.store.partners import PartnerRecord, hash_token
from feeds.syndicate.ratelimit import LocalRateLimiter
from feeds.syndicate.registry import sign_path
from feeds.web.app import build_app
from tests.live import live_server
from tests.stories import story

SITE = SiteSettings(
    base_url="https://news.example", languages=("en", "hy", "ru"), titles={"en": "Wire"}
)
CONFIG_TOKEN = "fp_from-the-config-file-0123456789abcdef"


def add(store: Store, record: PartnerRecord) -> str:
    with store._db.transaction() as conn:
        return table.add_partner(conn, record, datetime.now(UTC))


@pytest.fixture
def newsroom(store: Store) -> Store:
    future = datetime.now(UTC) + timedelta(days=2)
    store.upsert_articles(
        [
            story("public-economy"),
            story("public-politics", section="politics", tags=("elections",)),
            story("a-draft", status=Status.DRAFT),
            story("embargoed", status=Status.SCHEDULED, when=future),
            story("withdrawn"),
        ]
    )
    store.retract_article("withdrawn")
    return store


@pytest.fixture
def client(newsroom: Store) -> Iterator[httpx.Client]:
    settings = Settings(
        site=SITE,
        partners=(
            PartnerConfig(
                name="yandex",
                profile="yandex",
                token_hashes=(hash_token(CONFIG_TOKEN),),
                languages=("ru",),
            ),
        ),
    )
    # Every request reads the store's revision: a change is seen on the very next one
    # (the default, every 0.5 s at most, is tested across processes in test_scaleout).
    app = build_app(settings, newsroom, revision_interval=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        yield http


def ids_in(body: bytes) -> set[str]:
    root = etree.fromstring(body)
    return {link.text or "" for link in root.iter("link") if link.getparent().tag == "item"}


def test_bearer_token_gets_the_feed_privately_without_drafts_embargo_or_retractions(
    client: httpx.Client, newsroom: Store
) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    got = client.get("/partners/portal/en/rss", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert got.headers["cache-control"].startswith("private")
    assert ids_in(got.content) == {
        "https://news.example/en/public-economy",
        "https://news.example/en/public-politics",
    }
    self_link = etree.fromstring(got.content).find(".//{http://www.w3.org/2005/Atom}link")
    assert self_link is not None
    assert self_link.get("href") == "https://news.example/partners/portal/en/rss"


def test_basic_auth_with_partner_name_and_token(client: httpx.Client, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("crawler"))
    ok = client.get("/partners/crawler/hy/atom", auth=("crawler", token))
    assert ok.status_code == 200
    assert b"http://www.w3.org/2005/Atom" in ok.content
    wrong_user = client.get("/partners/crawler/hy/atom", auth=("someone", token))
    assert wrong_user.status_code == 401


def test_signed_url_key_is_an_hmac_of_the_path(client: httpx.Client, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("app"))
    path = "/partners/app/en/json"
    key = sign_path(hash_token(token), path)
    assert client.get(path, params={"key": key}).status_code == 200
    other_path = client.get("/partners/app/ru/json", params={"key": key})
    assert other_path.status_code == 401
    assert client.get(path, params={"key": "0" * 64}).status_code == 401


def test_missing_or_wrong_credentials_get_401_with_challenges(
    client: httpx.Client, newsroom: Store
) -> None:
    add(newsroom, PartnerRecord("portal"))
    for headers in ({}, {"Authorization": "Bearer fp_wrong"}, {"Authorization": "Basic !!"}):
        got = client.get("/partners/portal/en/rss", headers=headers)
        assert got.status_code == 401, headers
        challenges = got.headers.get_list("www-authenticate")
        assert any(c.startswith("Bearer ") for c in challenges)
        assert any(c.startswith("Basic ") for c in challenges)
        assert b"<rss" not in got.content


def test_revoked_token_stops_working_at_once(client: httpx.Client, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("portal"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/partners/portal/en/rss", headers=headers).status_code == 200
    # Revoked through another connection, as `feeds partners revoke` in another process does.
    with newsroom._db.transaction() as conn:
        table.revoke_partner(conn, "portal", datetime.now(UTC))
    assert client.get("/partners/portal/en/rss", headers=headers).status_code == 401


def test_config_partner_token_works_for_its_language_only(client: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {CONFIG_TOKEN}"}
    got = client.get("/partners/yandex/ru/rss", headers=headers)
    assert got.status_code == 200
    assert b"http://news.yandex.ru" in got.content
    assert client.get("/partners/yandex/en/rss", headers=headers).status_code == 403


def test_out_of_profile_requests_get_403(client: httpx.Client, newsroom: Store) -> None:
    msn = add(newsroom, PartnerRecord("msn", profile="msn", languages=("en",)))
    add(newsroom, PartnerRecord("other"))
    politics = add(newsroom, PartnerRecord("pol", sections=("politics",)))
    bearer = {"Authorization": f"Bearer {msn}"}
    assert client.get("/partners/msn/hy/rss", headers=bearer).status_code == 403
    assert client.get("/partners/msn/en/json", headers=bearer).status_code == 403
    # Never another partner's feed, even with a valid token of one's own.
    assert client.get("/partners/other/en/rss", headers=bearer).status_code == 403
    pol = {"Authorization": f"Bearer {politics}"}
    assert client.get("/partners/pol/en/section/economy/rss", headers=pol).status_code == 403
    section = client.get("/partners/pol/en/section/politics/rss", headers=pol)
    assert section.status_code == 200
    assert ids_in(section.content) == {"https://news.example/en/public-politics"}
    everything = client.get("/partners/pol/en/rss", headers=pol)
    assert ids_in(everything.content) == {"https://news.example/en/public-politics"}


def test_rate_limit_answers_429_with_retry_after(client: httpx.Client, newsroom: Store) -> None:
    token = add(newsroom, PartnerRecord("greedy", options={"rate_limit": 2}))
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [client.get("/partners/greedy/en/rss", headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert int(statuses[2].headers["retry-after"]) >= 1


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = LocalRateLimiter(clock=lambda: now[0])
    assert limiter.take("p", 60) == 0
    for _ in range(59):
        limiter.take("p", 60)
    assert limiter.take("p", 60) == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.take("p", 60) == 0


def test_unknown_language_is_404_not_500(client: httpx.Client, newsroom: Store) -> None:
    token = add(newsroom, dataclasses.replace(PartnerRecord("portal")))
    got = client.get("/partners/portal/fr/rss", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 404
    assert b"en, hy, ru" in got.content


def test_formats_option_narrows_the_profile_and_bad_section_slugs_are_404(
    client: httpx.Client, newsroom: Store
) -> None:
    token = add(newsroom, PartnerRecord("atom-only", options={"formats": ["atom"]}))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/partners/atom-only/en/atom", headers=headers).status_code == 200
    assert client.get("/partners/atom-only/en/rss", headers=headers).status_code == 403
    odd = client.get("/partners/atom-only/en/section/Economy/atom", headers=headers)
    assert odd.status_code == 404


def test_partner_atom_feed_carries_tombstones_within_its_scope(
    client: httpx.Client, newsroom: Store
) -> None:
    everything = add(newsroom, PartnerRecord("all"))
    politics = add(newsroom, PartnerRecord("pol", sections=("politics",)))
    tag = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"
    got = client.get("/partners/all/en/atom", headers={"Authorization": f"Bearer {everything}"})
    refs = [t.get("ref") for t in etree.fromstring(got.content).iter(tag)]
    assert refs == [entry_id("withdrawn", "en")]
    narrow = client.get("/partners/pol/en/atom", headers={"Authorization": f"Bearer {politics}"})
    assert list(etree.fromstring(narrow.content).iter(tag)) == []


def test_a_partner_restricted_to_a_tag_gets_its_stories_however_many_others_are_newer(
    client: httpx.Client, newsroom: Store
) -> None:
    """The scope is filtered by the store: a partner's feed is not cut short by newer
    stories outside it (it used to read 4 times its cap of newest stories and filter)."""
    newsroom.upsert_articles(
        [story(f"newer-{n}", hours_ago=0.5, tags=("sport",)) for n in range(40)]
        + [story(f"older-{n}", hours_ago=5 + n, tags=("culture",)) for n in range(3)]
    )
    token = add(newsroom, PartnerRecord("arts", tags=("culture",), options={"max_items": 2}))
    got = client.get("/partners/arts/en/rss", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    assert ids_in(got.content) == {
        "https://news.example/en/older-0",
        "https://news.example/en/older-1",
    }
