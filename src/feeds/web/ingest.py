"""The ingest API: the newsroom's CMS writes stories here.

``PUT /api/articles/{id}`` creates or replaces (idempotent), ``GET`` reads any status,
``DELETE`` retracts. Every call needs ``Authorization: Bearer <token>`` with a token from
``[ingest] tokens``. A bad payload is a 422 listing every field error; a missing or wrong
token is a 401. A body that is not declared JSON is a 415, one over ``MAX_PAYLOAD_BYTES`` a
413 (reading stops there). In every such case nothing is written.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from feeds.model import (
    Article,
    DocumentError,
    InvalidArticleError,
    article_from_dict,
    article_to_dict,
    load_document,
)
from feeds.store import Store

__all__ = ["MAX_PAYLOAD_BYTES", "Ingest", "token_fingerprint"]

log = logging.getLogger("feeds.ingest")

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024


def _problem(status: int, title: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"status": status, "title": title, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _article_of(raw: bytes, article_id: str) -> Article | JSONResponse:
    """The article in ``raw``, or the 422 listing what is wrong with it (blocking: CPU)."""
    try:
        document = load_document(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
    except DocumentError as exc:
        message = str(exc)
    else:
        try:
            return article_from_dict(document, article_id=article_id)
        except InvalidArticleError as exc:
            return _problem(
                422,
                f"article {article_id} is invalid",
                errors=[{"field": e.field, "message": e.message} for e in exc.errors],
            )
    return _problem(
        422,
        "the body is not an article document",
        errors=[{"field": "(document)", "message": message}],
    )


def _refuse_content_type(header: str | None) -> JSONResponse | None:
    """A 415 unless the body is declared JSON: ``application/json`` or ``application/*+json``.

    JSON is UTF-8 (RFC 8259 §8.1), so a ``charset`` parameter, if any, must say so.
    """
    media, _, params = (header or "").partition(";")
    media = media.strip().lower()
    kind, _, subtype = media.partition("/")
    is_json = kind == "application" and (subtype == "json" or subtype.endswith("+json"))
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if is_json and charset in (None, "utf-8", "utf8"):
        return None
    return _problem(
        415,
        "the body must be JSON",
        detail="send Content-Type: application/json (UTF-8); got "
        + (repr(header) if header else "none"),
    )


async def _read_capped(request: Request, limit: int) -> bytes | Response:
    """The body, read in chunks and abandoned as soon as it passes ``limit`` bytes (413).

    A declared Content-Length over the limit is refused before reading anything.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            return _problem(400, "Content-Length is not a number")
        if int(declared) > limit:
            return _problem(413, f"payload over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return _problem(413, f"payload over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _caller(header: str | None, tokens: tuple[str, ...]) -> str | None:
    """Who sends this request: ``token`` and the first 8 hex digits of the SHA-256 of the
    ingest token it carries (the console's ingest log names callers so, never by the
    token); None without a valid token."""
    if not header or not tokens:
        return None
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    candidate = given.strip().encode()
    # Compare against every token, always, in constant time per comparison.
    matches = [hmac.compare_digest(candidate, t.encode()) for t in tokens]
    if not any(matches):
        return None
    return "token " + token_fingerprint(candidate.decode())


def token_fingerprint(token: str) -> str:
    """How the console names an ingest token: 8 hex digits of its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:8]


class Ingest:
    """Answers ``PUT``, ``GET`` and ``DELETE /api/articles/{article_id}``."""

    def __init__(self, tokens: tuple[str, ...], store: Store) -> None:
        self.tokens = tokens
        self.store = store

    async def article(self, request: Request) -> Response:
        caller = _caller(request.headers.get("authorization"), self.tokens)
        if caller is None:
            response = _problem(
                401,
                "a valid ingest token is required",
                detail="send Authorization: Bearer <token> with a token from [ingest] tokens",
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="feeds ingest"'
            return response
        if request.method == "PUT":
            return await self._put(request, caller)
        if request.method == "DELETE":
            return await self._delete(request, caller)
        return await self._get(request)

    async def _put(self, request: Request, caller: str) -> Response:
        article_id = request.path_params["article_id"]
        refused = _refuse_content_type(request.headers.get("content-type"))
        if refused is not None:
            return refused
        raw = await _read_capped(request, MAX_PAYLOAD_BYTES)
        if isinstance(raw, Response):
            return raw
        article = await run_in_threadpool(_article_of, raw, article_id)
        if isinstance(article, Response):
            return article
        created = await run_in_threadpool(self.store.upsert_article, article, by=caller)
        log.info("ingest: %s article %s", "created" if created else "replaced", article_id)
        location = str(request.url_for("ingest_article", article_id=article_id).path)
        return JSONResponse(
            article_to_dict(self.store.on_site(article)),
            status_code=201 if created else 200,
            headers={"Location": location},
        )

    async def _get(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        article = await run_in_threadpool(self.store.get_article, article_id)
        if article is None:
            return _problem(404, f"no article {article_id}")
        return JSONResponse(article_to_dict(article), headers={"Cache-Control": "no-store"})

    async def _delete(self, request: Request, caller: str) -> Response:
        article_id = request.path_params["article_id"]
        retracted = await run_in_threadpool(self.store.retract_article, article_id, by=caller)
        if retracted is None:
            return _problem(404, f"no article {article_id}")
        log.info("ingest: retracted article %s", article_id)
        return JSONResponse(article_to_dict(self.store.on_site(retracted)))
