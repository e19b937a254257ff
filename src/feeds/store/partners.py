"""Partners and their access tokens, kept in the store so every process sees a revocation.

A token is shown once, when it is made; the store keeps only its SHA-256. Tokens carry
256 bits of randomness, so a plain (unsalted) hash is enough: there is no dictionary to
run against it. Partners may also come from the config file (``[[partners]]`` with
``token_hashes``); revoking one of those records its hashes here as revoked, so the
config cannot bring them back.

Every change to a partner or its tokens bumps the store's revision, like an article
write, and touches the partners' scope (``store.scopes``): that is how every web worker,
which remembers valid credentials per revision, learns within a second that a token was
revoked or a partner's settings changed, while the public feeds stay as rendered.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Index, String, Table, Text, insert, select, update

from feeds.errors import FeedsError
from feeds.partner_settings import check_partner_name, partner_problems
from feeds.store.articles import bump_revision
from feeds.store.engine import Database
from feeds.store.schema import metadata
from feeds.store.scopes import Scope, touch
from feeds.store.types import UTCDateTime

__all__ = [
    "PartnerCredentials",
    "PartnerError",
    "PartnerRecord",
    "Partners",
    "active_token_hashes",
    "add_partner",
    "hash_token",
    "list_partners",
    "load_partner",
    "new_token",
    "revoke_partner",
    "revoked_hashes",
    "rotate_token",
    "settings_problems",
    "token_owner",
    "update_settings",
]

TOKEN_PREFIX = "fp_"  # noqa: S105 (a prefix, not a secret)

partners = Table(
    "partners",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("profile", String(50), nullable=False),
    Column("scope", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

partner_tokens = Table(
    "partner_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("partner", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_partner_tokens_partner", "partner"),
)


class PartnerError(FeedsError, ValueError):
    """A partner command that cannot be done (unknown name, name taken, bad name)."""


@dataclass(frozen=True)
class PartnerRecord:
    """A partner: what it may read and how its feeds are shaped (its profile).

    Empty ``languages`` / ``sections`` / ``tags`` mean "no restriction". ``options`` holds
    profile settings (``accent_color``, ``genre``, ``rate_limit``, ``max_items``...).
    """

    name: str
    profile: str = "generic"
    languages: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    revoked: bool = False
    origin: str = "store"
    # Why these settings cannot be served (a row written before they were checked); a
    # partner with problems gets a 503 and ``feeds partners check`` lists them.
    problems: tuple[str, ...] = ()


def new_token() -> str:
    """A fresh access token: 32 random bytes, URL-safe, with a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> None:
    if (why := check_partner_name(name)) is not None:
        raise PartnerError(why)


def settings_problems(record: PartnerRecord) -> list[str]:
    """Why ``record``'s settings cannot be served (empty: they can)."""
    return partner_problems(
        record.name, record.profile, record.languages, record.sections, record.tags, record.options
    )


def _scope(record: PartnerRecord) -> str:
    return json.dumps(
        {
            "languages": list(record.languages),
            "sections": list(record.sections),
            "tags": list(record.tags),
            "options": dict(record.options),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _record(row: Any) -> PartnerRecord:
    """The row as a record; settings it cannot be served with are in ``problems``
    (rows written by older versions were not checked), never an exception."""
    problems: list[str] = []
    try:
        scope = json.loads(row.scope)
    except ValueError:
        scope = None
    if not isinstance(scope, dict):
        problems.append("scope: not a JSON object (the row is damaged; add the partner again)")
        scope = {}
    lists: dict[str, tuple[Any, ...]] = {}
    for kind in ("languages", "sections", "tags"):
        value = scope.get(kind, [])
        if not isinstance(value, list):
            problems.append(f"{kind}: must be a list, got {value!r}")
            value = []
        lists[kind] = tuple(value)
    options = scope.get("options", {})
    if not isinstance(options, dict):
        problems.append(f"options: must be an object, got {options!r}")
        options = {}
    record = PartnerRecord(
        name=row.name,
        profile=row.profile,
        languages=lists["languages"],
        sections=lists["sections"],
        tags=lists["tags"],
        options=options,
        revoked=row.revoked_at is not None,
    )
    problems += settings_problems(record)
    return replace(record, problems=tuple(problems)) if problems else record


def add_partner(conn: Connection, record: PartnerRecord, now: datetime) -> str:
    """Register ``record`` with a first token; returns that token (shown once).

    Settings that could not be served are refused here, before anything is written.
    """
    check_name(record.name)
    if problems := settings_problems(record):
        raise PartnerError(f"partner {record.name!r}: {problems[0]}")
    if conn.execute(select(partners.c.name).where(partners.c.name == record.name)).first():
        raise PartnerError(f"partner {record.name!r} already exists (use rotate for a new token)")
    conn.execute(
        insert(partners).values(
            name=record.name, profile=record.profile, scope=_scope(record), created_at=now
        )
    )
    touch(conn, (Scope.PARTNERS,), bump_revision(conn, now))
    return _issue(conn, record.name, now)


def update_settings(conn: Connection, record: PartnerRecord, now: datetime) -> None:
    """Replace the stored profile, scope and options of ``record.name`` (tokens untouched)
    at ``now``.

    Refused, with nothing written, when the partner is unknown or revoked or the new
    settings could not be served.
    """
    stored = load_partner(conn, record.name)
    if stored is None:
        raise PartnerError(f"no partner named {record.name!r} in the database")
    if stored.revoked:
        raise PartnerError(f"partner {record.name!r} is revoked; add it again under a new name")
    if problems := settings_problems(record):
        raise PartnerError(f"partner {record.name!r}: {problems[0]}")
    conn.execute(
        update(partners)
        .where(partners.c.name == record.name)
        .values(profile=record.profile, scope=_scope(record))
    )
    touch(conn, (Scope.PARTNERS,), bump_revision(conn, now))


def _issue(conn: Connection, name: str, now: datetime) -> str:
    token = new_token()
    conn.execute(
        insert(partner_tokens).values(token_hash=hash_token(token), partner=name, created_at=now)
    )
    return token


def load_partner(conn: Connection, name: str) -> PartnerRecord | None:
    row = conn.execute(select(partners).where(partners.c.name == name)).first()
    return _record(row) if row is not None else None


def list_partners(conn: Connection) -> list[PartnerRecord]:
    rows = conn.execute(select(partners).order_by(partners.c.name)).all()
    return [_record(row) for row in rows]


def _record_revoked(conn: Connection, name: str, hashes: Iterable[str], now: datetime) -> None:
    """Mark ``hashes`` (e.g. a config partner's) revoked, inserting rows for unknown ones."""
    for token_hash in hashes:
        known = conn.execute(
            select(partner_tokens.c.token_hash).where(partner_tokens.c.token_hash == token_hash)
        ).first()
        if known is None:
            conn.execute(
                insert(partner_tokens).values(
                    token_hash=token_hash, partner=name, created_at=now, revoked_at=now
                )
            )


def _revoke_tokens(conn: Connection, name: str, now: datetime) -> int:
    result = conn.execute(
        update(partner_tokens)
        .where(partner_tokens.c.partner == name, partner_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


def revoke_partner(
    conn: Connection, name: str, now: datetime, config_hashes: Iterable[str] = ()
) -> int:
    """Revoke every token of ``name`` and the partner itself; returns how many tokens died."""
    config_hashes = tuple(config_hashes)
    if load_partner(conn, name) is None and not config_hashes:
        raise PartnerError(f"no partner named {name!r}")
    _record_revoked(conn, name, config_hashes, now)
    count = _revoke_tokens(conn, name, now) + len(config_hashes)
    conn.execute(
        update(partners)
        .where(partners.c.name == name, partners.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    touch(conn, (Scope.PARTNERS,), bump_revision(conn, now))
    return count


def rotate_token(
    conn: Connection, name: str, now: datetime, config_hashes: Iterable[str] = ()
) -> str:
    """Revoke the partner's tokens and issue a new one; returns it (shown once).

    A config partner gets its first store token here; its config hashes are revoked.
    """
    config_hashes = tuple(config_hashes)
    record = load_partner(conn, name)
    if record is None and not config_hashes:
        raise PartnerError(f"no partner named {name!r}")
    if record is not None and record.revoked:
        raise PartnerError(f"partner {name!r} is revoked; add it again under a new name")
    _record_revoked(conn, name, config_hashes, now)
    _revoke_tokens(conn, name, now)
    touch(conn, (Scope.PARTNERS,), bump_revision(conn, now))
    return _issue(conn, name, now)


def token_owner(conn: Connection, token_hash: str) -> tuple[str, bool] | None:
    """``(partner name, revoked?)`` for a token hash the store knows, else None."""
    row = conn.execute(
        select(partner_tokens.c.partner, partner_tokens.c.revoked_at).where(
            partner_tokens.c.token_hash == token_hash
        )
    ).first()
    if row is None:
        return None
    return str(row.partner), row.revoked_at is not None


def active_token_hashes(conn: Connection, name: str) -> list[str]:
    rows = conn.execute(
        select(partner_tokens.c.token_hash).where(
            partner_tokens.c.partner == name, partner_tokens.c.revoked_at.is_(None)
        )
    ).scalars()
    return [str(h) for h in rows]


def revoked_hashes(conn: Connection, hashes: Iterable[str]) -> set[str]:
    wanted = list(hashes)
    if not wanted:
        return set()
    rows = conn.execute(
        select(partner_tokens.c.token_hash).where(
            partner_tokens.c.token_hash.in_(wanted), partner_tokens.c.revoked_at.is_not(None)
        )
    ).scalars()
    return {str(h) for h in rows}


@dataclass(frozen=True)
class PartnerCredentials:
    """What the store knows of one partner's access, read at one moment."""

    stored: PartnerRecord | None  # None: not in the store (perhaps in the config file)
    active_hashes: tuple[str, ...]  # the store's unrevoked token hashes
    revoked_config_hashes: frozenset[str]  # which of the config file's hashes were revoked


class Partners:
    """Partners and their tokens: ``Store.partners``. Each call is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, record: PartnerRecord, now: datetime) -> str:
        """Register ``record`` (see ``add_partner``); returns its first token."""
        with self._db.transaction() as conn:
            return add_partner(conn, record, now)

    def change_settings(
        self, name: str, change: Callable[[PartnerRecord], PartnerRecord]
    ) -> PartnerRecord:
        """Replace the settings of stored partner ``name`` with ``change(current)`` (which
        may raise to refuse), in one transaction; returns what was stored."""
        with self._db.transaction() as conn:
            current = load_partner(conn, name)
            if current is None:
                raise PartnerError(f"no partner named {name!r} in the database")
            changed = change(current)
            update_settings(conn, changed, self._db.now())
            return changed

    def revoke(self, name: str, now: datetime, config_hashes: Iterable[str] = ()) -> int:
        """Revoke ``name`` and its tokens (see ``revoke_partner``); returns how many died."""
        with self._db.transaction() as conn:
            return revoke_partner(conn, name, now, config_hashes)

    def rotate(self, name: str, now: datetime, config_hashes: Iterable[str] = ()) -> str:
        """Replace ``name``'s tokens with a new one (see ``rotate_token``); returns it."""
        with self._db.transaction() as conn:
            return rotate_token(conn, name, now, config_hashes)

    def load(self, name: str) -> PartnerRecord | None:
        with self._db.reading() as conn:
            return load_partner(conn, name)

    def all(self) -> list[PartnerRecord]:
        """Every stored partner, by name."""
        with self._db.reading() as conn:
            return list_partners(conn)

    def credentials(self, name: str, config_hashes: Iterable[str] = ()) -> PartnerCredentials:
        """``name``'s stored record and live token hashes, and which of ``config_hashes``
        were revoked."""
        with self._db.reading() as conn:
            return PartnerCredentials(
                stored=load_partner(conn, name),
                active_hashes=tuple(active_token_hashes(conn, name)),
                revoked_config_hashes=frozenset(revoked_hashes(conn, config_hashes)),
            )

    def token_owner(self, token_hash: str) -> tuple[str, bool] | None:
        """``(partner name, revoked?)`` for a token hash the store knows, else None."""
        with self._db.reading() as conn:
            return token_owner(conn, token_hash)
