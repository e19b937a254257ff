"""Operators of the console at ``/admin``: their accounts, their sessions and the audit
log of what each one did.

A password is stored as its argon2id hash (argon2-cffi's ``PasswordHasher``, which salts
and encodes its parameters in the hash, so that stronger parameters later still verify
old hashes). A session is a random token in a cookie; the store keeps its SHA-256 only,
like a partner token (256 bits of randomness: no dictionary to run against it). Every
action an operator takes in the console is a row of ``admin_audit``, written in the
transaction of the action where there is one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    select,
    update,
)

from feeds.errors import FeedsError
from feeds.store.engine import Database
from feeds.store.schema import admin_audit, operator_sessions, operators

__all__ = [
    "AuditEntry",
    "OperatorError",
    "OperatorRecord",
    "Operators",
    "SessionRecord",
    "audit",
    "check_operator_name",
    "hash_session_token",
]


_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the name is unknown, so that a wrong name costs as much
# time as a wrong password (no telling names apart by the answer's speed).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class OperatorError(FeedsError, ValueError):
    """An operator command that cannot be done (bad name, short password, unknown)."""


@dataclass(frozen=True)
class OperatorRecord:
    name: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class SessionRecord:
    """A live session: who, its CSRF token (every form carries it), until when."""

    operator: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    operator: str
    action: str
    target: str
    detail: str


def check_operator_name(name: str) -> str | None:
    """Why ``name`` cannot be an operator's name (None: it can)."""
    if not _NAME.match(name):
        return (
            f"operator name {name!r}: use 1-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return None


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def audit(
    conn: Connection, now: datetime, operator: str, action: str, target: str, detail: str = ""
) -> None:
    """One line of the audit log, in the caller's transaction."""
    conn.execute(
        insert(admin_audit).values(
            at=now, operator=operator, action=action, target=target[:500], detail=detail[:2000]
        )
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise OperatorError(f"a password needs at least {MIN_PASSWORD} characters")


class Operators:
    """Accounts, sessions and the audit log: ``Store.operators``. One transaction a call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- accounts -----------------------------------------------------------------------

    def add(self, name: str, password: str, now: datetime) -> OperatorRecord:
        if (why := check_operator_name(name)) is not None:
            raise OperatorError(why)
        _check_password(password)
        hashed = _HASHER.hash(password)
        with self._db.transaction() as conn:
            if conn.execute(select(operators.c.name).where(operators.c.name == name)).first():
                raise OperatorError(f"operator {name!r} already exists (use passwd)")
            conn.execute(insert(operators).values(name=name, password_hash=hashed, created_at=now))
            audit(conn, now, name, "operator.add", name, "by the command line")
        return OperatorRecord(name, now, False)

    def set_password(self, name: str, password: str, now: datetime) -> None:
        """A new password; every session of ``name`` ends."""
        _check_password(password)
        hashed = _HASHER.hash(password)
        with self._db.transaction() as conn:
            done = conn.execute(
                update(operators).where(operators.c.name == name).values(password_hash=hashed)
            )
            if not done.rowcount:
                raise OperatorError(f"no operator named {name!r}")
            conn.execute(delete(operator_sessions).where(operator_sessions.c.operator == name))
            audit(conn, now, name, "operator.passwd", name, "by the command line")

    def disable(self, name: str, now: datetime) -> None:
        """The operator can no longer log in; every session of theirs ends."""
        with self._db.transaction() as conn:
            done = conn.execute(
                update(operators).where(operators.c.name == name).values(disabled_at=now)
            )
            if not done.rowcount:
                raise OperatorError(f"no operator named {name!r}")
            conn.execute(delete(operator_sessions).where(operator_sessions.c.operator == name))
            audit(conn, now, name, "operator.disable", name, "by the command line")

    def all(self) -> list[OperatorRecord]:
        with self._db.reading() as conn:
            rows = conn.execute(select(operators).order_by(operators.c.name)).all()
        return [OperatorRecord(r.name, r.created_at, r.disabled_at is not None) for r in rows]

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s and ``name`` may log in. Costs one argon2
        verification whatever the answer."""
        with self._db.reading() as conn:
            row = conn.execute(
                select(operators.c.password_hash, operators.c.disabled_at).where(
                    operators.c.name == name
                )
            ).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        return row is not None and row.disabled_at is None

    # --- sessions -----------------------------------------------------------------------

    def open_session(self, name: str, now: datetime, lifetime: timedelta) -> tuple[str, str]:
        """A new session for ``name``: ``(cookie token, CSRF token)``. Expired sessions
        of everyone are forgotten on the way."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with self._db.transaction() as conn:
            conn.execute(delete(operator_sessions).where(operator_sessions.c.expires_at <= now))
            conn.execute(
                insert(operator_sessions).values(
                    token_hash=hash_session_token(token),
                    operator=name,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            audit(conn, now, name, "login", name)
        return token, csrf

    def session(self, token: str, now: datetime) -> SessionRecord | None:
        """The live session of cookie ``token`` (None: unknown, expired or disabled)."""
        s, o = operator_sessions.c, operators.c
        with self._db.reading() as conn:
            row = conn.execute(
                select(s.operator, s.csrf_token, s.expires_at)
                .join_from(operator_sessions, operators, s.operator == o.name)
                .where(
                    s.token_hash == hash_session_token(token),
                    s.expires_at > now,
                    o.disabled_at.is_(None),
                )
            ).first()
        return SessionRecord(row.operator, row.csrf_token, row.expires_at) if row else None

    def close_session(self, token: str, now: datetime) -> None:
        with self._db.transaction() as conn:
            row = conn.execute(
                delete(operator_sessions)
                .where(operator_sessions.c.token_hash == hash_session_token(token))
                .returning(operator_sessions.c.operator)
            ).first()
            if row is not None:
                audit(conn, now, row.operator, "logout", row.operator)

    # --- the audit log ------------------------------------------------------------------

    def record(
        self, now: datetime, operator: str, action: str, target: str, detail: str = ""
    ) -> None:
        """An action that wrote nothing else to the store (or wrote it elsewhere)."""
        with self._db.transaction() as conn:
            audit(conn, now, operator, action, target, detail)

    def recent(self, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
        a = admin_audit.c
        stmt = select(a.at, a.operator, a.action, a.target, a.detail)
        if target is not None:
            stmt = stmt.where(a.target == target)
        with self._db.reading() as conn:
            rows = conn.execute(stmt.order_by(a.id.desc()).limit(limit)).all()
        return [AuditEntry(*row) for row in rows]

    def count_audit(self) -> int:
        with self._db.reading() as conn:
            return int(conn.execute(select(func.count()).select_from(admin_audit)).scalar_one())
