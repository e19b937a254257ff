"""The ingest API over real HTTP: the CMS writes stories; bad calls write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from feeds.config import Settings
from feeds.store import Store
from feeds.web import ingest
from feeds.web.app import build_app
from tests.live import live_server

TOKEN = "s3cret-ingest"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "2026-11-sevan-level",
        "status": "published",
        "published": "2026-11-26T09:30:00+04:00",
        "section": "science",
        "tags": ["sevan"],
        "authors": [{"name": "Lilit Sargsyan"}],
        "translations": {
            "en": {"title": "Lake Sevan rises", "url": "https://news.example/en/sevan"},
            "hy": {"title": "Սևանի մակարդակը բարձրացավ", "url": "https://news.example/hy/sevan"},
        },
    }
    doc.update(changes)
    return doc


@pytest.fixture
def api(store: Store) -> Iterator[httpx.Client]:
    app = build_app(Settings(ingest_tokens=(TOKEN, "other")), store)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


def test_put_creates_then_replaces_idempotently(api: httpx.Client, store: Store) -> None:
    created = api.put("/api/articles/2026-11-sevan-level", json=document(), headers=AUTH)
    assert created.status_code == 201
    assert created.headers["location"] == "/api/articles/2026-11-sevan-level"
    again = api.put("/api/articles/2026-11-sevan-level", json=document(), headers=AUTH)
    assert again.status_code == 200
    assert again.json() == created.json()
    stored = store.get_article("2026-11-sevan-level")
    assert stored is not None and stored.translation("hy") is not None
    assert stored.published.isoformat() == "2026-11-26T05:30:00+00:00"


def test_get_returns_the_stored_document_and_404_for_unknown(api: httpx.Client) -> None:
    api.put("/api/articles/2026-11-sevan-level", json=document(status="draft"), headers=AUTH)
    got = api.get("/api/articles/2026-11-sevan-level", headers=AUTH)
    assert got.status_code == 200
    assert got.json()["status"] == "draft"
    assert got.json()["translations"]["hy"]["title"] == "Սևանի մակարդակը բարձրացավ"
    missing = api.get("/api/articles/nope", headers=AUTH)
    assert missing.status_code == 404


def test_delete_retracts(api: httpx.Client, store: Store) -> None:
    api.put("/api/articles/2026-11-sevan-level", json=document(), headers=AUTH)
    gone = api.delete("/api/articles/2026-11-sevan-level", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["status"] == "retracted"
    article = store.get_article("2026-11-sevan-level")
    assert article is not None and article.status.value == "retracted"
    assert api.delete("/api/articles/never", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_without_a_valid_token_nothing_is_written(
    api: httpx.Client, store: Store, headers: dict[str, str]
) -> None:
    before = store.revision().number
    response = api.put("/api/articles/2026-11-sevan-level", json=document(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/api/articles/2026-11-sevan-level", headers=headers).status_code == 401
    assert api.delete("/api/articles/2026-11-sevan-level", headers=headers).status_code == 401
    assert store.revision().number == before
    assert store.get_article("2026-11-sevan-level") is None


def test_a_bad_payload_is_422_with_every_field_error_and_writes_nothing(
    api: httpx.Client, store: Store
) -> None:
    bad = document(published="2026-11-26T09:30:00")
    bad["translations"]["en"]["url"] = "en/sevan"
    bad["translations"]["hy"]["title"] = ""
    before = store.revision().number
    response = api.put("/api/articles/2026-11-sevan-level", json=bad, headers=AUTH)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"published", "translations.en.url", "translations.hy.title"}
    assert store.revision().number == before
    assert store.get_article("2026-11-sevan-level") is None


def test_not_json_and_mismatched_id_are_422(api: httpx.Client) -> None:
    broken = api.put(
        "/api/articles/x1",
        content=b'{"id": "x1", ',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["field"] == "(document)"
    other = api.put("/api/articles/x1", json=document(), headers=AUTH)
    assert other.status_code == 422
    assert any(e["field"] == "id" for e in other.json()["errors"])


def test_an_oversized_payload_is_refused(api: httpx.Client, store: Store) -> None:
    huge = document()
    huge["translations"]["en"]["body_html"] = "<p>" + "x" * (ingest.MAX_PAYLOAD_BYTES + 10)
    response = api.put("/api/articles/2026-11-sevan-level", json=huge, headers=AUTH)
    assert response.status_code == 413
    assert store.get_article("2026-11-sevan-level") is None
