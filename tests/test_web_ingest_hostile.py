"""Hostile ingest: every bad document is a clear 4xx naming its field, and writes nothing.

Each case of tests/hostile_documents.py is PUT through the real app on a real server, on
SQLite and on PostgreSQL (where an over-long VARCHAR or an out-of-range INTEGER is an error,
not silently kept). Never a 5xx; the problem document names the field; the store's revision
and its articles are exactly what they were.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from feeds.config import Settings, SiteSettings
from feeds.store import Store, open_store
from feeds.web import ingest
from feeds.web.app import build_app
from tests.conftest import POSTGRES_URL, require_postgres
from tests.hostile_documents import ARTICLE_ID, CASES, Case, valid_document
from tests.live import live_server

TOKEN = "s3cret-ingest"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {**AUTH, "Content-Type": "application/json"}
PATH = f"/api/articles/{ARTICLE_ID}"


@dataclass
class Newsroom:
    base: str
    store: Store
    client: httpx.Client

    def snapshot(self) -> tuple[int, list[dict[str, object]]]:
        """What a write would change: the revision and every stored article."""
        from feeds.model import article_to_dict

        articles = [article_to_dict(a) for a in self.store.all_articles()]
        return self.store.revision().number, articles


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def newsroom(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Newsroom]:
    """One server per backend for the whole module: the cases never write, so they can share."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'feeds.db'}"
    else:
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    store = open_store(url)
    config = Settings(
        site=SiteSettings(base_url="https://news.example", languages=("en", "hy", "ru")),
        ingest_tokens=(TOKEN,),
    )
    try:
        with (
            live_server(build_app(config, store)) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            yield Newsroom(base, store, client)
    finally:
        store.close()
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def assert_refused(newsroom: Newsroom, response: httpx.Response, before: object) -> None:
    assert 400 <= response.status_code < 500, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert newsroom.snapshot() == before, "a refused request wrote something"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_document_is_a_422_naming_its_field(newsroom: Newsroom, case: Case) -> None:
    before = newsroom.snapshot()
    response = newsroom.client.put(
        PATH, content=case.body.encode("utf-8", "surrogatepass"), headers=JSON
    )
    assert_refused(newsroom, response, before)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(case.field) for f in fields), fields
    # Every message is short and printable, whatever the document held.
    for error in response.json()["errors"]:
        assert error["message"].isprintable() and len(error["message"]) < 300, error


def test_the_cases_are_many_and_cover_every_field() -> None:
    assert len(CASES) > 300
    named = {c.field.split("[")[0].split(".")[0] for c in CASES}
    assert named >= {"(document)", "id", "status", "published", "updated", "section", "tags"}
    assert named >= {"authors", "translations", "image", "source"}


def test_the_valid_document_behind_the_cases_is_accepted(newsroom: Newsroom) -> None:
    doc = valid_document()
    doc["id"] = doc_id = f"control-{newsroom.store.backend}"
    response = newsroom.client.put(f"/api/articles/{doc_id}", json=doc, headers=AUTH)
    assert response.status_code == 201, response.text
    assert newsroom.client.delete(f"/api/articles/{doc_id}", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonp",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "json",
        "",
    ],
)
def test_a_body_not_declared_json_is_a_415(newsroom: Newsroom, content_type: str | None) -> None:
    before = newsroom.snapshot()
    headers = dict(AUTH)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = newsroom.client.put(PATH, content=json.dumps(valid_document()), headers=headers)
    assert_refused(newsroom, response, before)
    assert response.status_code == 415


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
        "application/vnd.feeds.article+json",
        "application/merge-patch+json; charset=utf-8",
    ],
)
def test_json_and_any_plus_json_type_are_accepted(newsroom: Newsroom, content_type: str) -> None:
    doc = valid_document()
    doc["id"] = doc_id = f"typed-{uuid.uuid4().hex[:8]}"
    response = newsroom.client.put(
        f"/api/articles/{doc_id}",
        content=json.dumps(doc),
        headers={**AUTH, "Content-Type": content_type},
    )
    assert response.status_code == 201, response.text
    newsroom.client.delete(f"/api/articles/{doc_id}", headers=AUTH)


def raw_put(
    base: str, headers: dict[str, str], chunks: Iterator[bytes] | None = None
) -> tuple[int, bytes]:
    """A PUT with exactly these headers (http.client neither fixes nor adds Content-Length)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("PUT", PATH)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for chunk in chunks or iter(()):
                conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the end: that is the point
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_declared_length_over_the_cap_is_a_413_before_any_byte_is_read(
    newsroom: Newsroom,
) -> None:
    before = newsroom.snapshot()
    length = str(ingest.MAX_PAYLOAD_BYTES + 1)
    status, body = raw_put(newsroom.base, {**JSON, "Content-Length": length})  # sends no body
    assert status == 413, body
    assert newsroom.snapshot() == before


def test_a_chunked_body_over_the_cap_is_a_413_and_reading_stops(newsroom: Newsroom) -> None:
    before = newsroom.snapshot()
    sent = 0

    def chunks() -> Iterator[bytes]:
        # An endless body: the server must answer without waiting for an end that never comes.
        nonlocal sent
        piece = b"x" * 65536
        frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        while sent < 4 * ingest.MAX_PAYLOAD_BYTES:
            sent += len(piece)
            yield frame

    status, body = raw_put(newsroom.base, {**JSON, "Transfer-Encoding": "chunked"}, chunks())
    assert status == 413, body
    assert newsroom.snapshot() == before


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10"])
def test_a_malformed_content_length_is_a_4xx(newsroom: Newsroom, length: str) -> None:
    before = newsroom.snapshot()
    status, _ = raw_put(newsroom.base, {**JSON, "Content-Length": length})
    assert 400 <= status < 500
    assert newsroom.snapshot() == before


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("invalid-utf8", b'{"id": "\xff"}'),
        ("utf16", json.dumps(valid_document()).encode("utf-16")),
        ("bom", b"\xef\xbb\xbf" + json.dumps(valid_document()).encode()),
        ("nul-bytes", b"\x00" * 100),
    ],
)
def test_a_body_that_is_not_utf8_json_is_a_422(newsroom: Newsroom, name: str, body: bytes) -> None:
    before = newsroom.snapshot()
    response = newsroom.client.put(PATH, content=body, headers=JSON)
    assert_refused(newsroom, response, before)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "(document)"


@pytest.mark.parametrize(
    "when",
    [
        "1900-01-01T00:00:00Z",
        "1900-01-01T00:00:00-14:00",
        "9998-12-31T23:59:59Z",
        "9998-12-31T23:59:59+14:00",
    ],
)
def test_dates_at_the_edges_of_the_range_are_stored_and_feeds_still_render(
    newsroom: Newsroom, when: str
) -> None:
    doc = valid_document()
    doc["id"] = doc_id = f"edge-{uuid.uuid4().hex[:8]}"
    doc["published"] = doc["updated"] = when
    assert newsroom.client.put(f"/api/articles/{doc_id}", json=doc, headers=AUTH).status_code == 201
    try:
        for name in ("rss.xml", "atom.xml", "feed.json"):
            assert newsroom.client.get(f"/en/{name}").status_code == 200
        assert newsroom.client.get(f"/en/articles/{doc_id}").status_code in (200, 404)
    finally:
        newsroom.client.delete(f"/api/articles/{doc_id}", headers=AUTH)


# --- any JSON at all --------------------------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec=None), max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
_FIELDS = st.sampled_from(
    [
        "id", "status", "published", "updated", "section", "tags", "authors", "image",
        "translations", "source", "translations.en", "translations.en.title", "translations.en.url",
        "image.width", "image.url", "authors.0", "authors.0.email", "tags.0", "source.source_id",
    ]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(replacements=st.lists(st.tuples(_FIELDS, _JSON_VALUES), max_size=4), whole=_JSON_VALUES)
def test_any_json_document_is_never_a_5xx_nor_a_partial_write(
    newsroom: Newsroom, replacements: list[tuple[str, object]], whole: object
) -> None:
    from tests.hostile_documents import valid_aggregated_document

    doc: object = valid_aggregated_document()
    for path, value in replacements:
        doc = _replace(doc, path, value)
    for body in (doc, whole):
        before = newsroom.snapshot()
        text = json.dumps(body, ensure_ascii=True)
        response = newsroom.client.put(PATH, content=text, headers=JSON)
        assert response.status_code < 500, response.text[:500]
        if response.status_code >= 400:
            assert newsroom.snapshot() == before
        else:
            stored = newsroom.client.get(PATH, headers=AUTH).json()
            assert stored == response.json()
            newsroom.client.delete(PATH, headers=AUTH)


def _replace(doc: object, path: str, value: object) -> object:
    """``doc`` with the value at ``path`` replaced, where that path exists."""
    *parents, last = path.split(".")
    target = doc
    for part in parents:
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return doc
    if isinstance(target, dict):
        target[last] = value
    elif isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
    return doc
