"""Who a partner is and whether a token is theirs: config partners plus the store.

Every check reads the store, so a token revoked by ``feeds partners revoke`` in any
process stops working on the very next request in every process. Token hashes are
looked up by index; secrets are compared with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from feeds.config import PartnerConfig
from feeds.store import Store
from feeds.store.partners import PartnerRecord, hash_token

__all__ = ["Known", "PartnerRegistry", "sign_path"]


def sign_path(token_hash: str, path: str) -> str:
    """The ``?key=`` of a signed partner URL: hex HMAC-SHA256 of the path.

    The HMAC key is the SHA-256 of the partner's token (32 bytes), so a partner computes
    it from its token alone and the server from the hash it keeps.
    """
    return hmac.new(bytes.fromhex(token_hash), path.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Known:
    """A partner and its currently valid token hashes."""

    record: PartnerRecord
    token_hashes: tuple[str, ...]


def _from_config(config: PartnerConfig) -> PartnerRecord:
    return PartnerRecord(
        name=config.name,
        profile=config.profile,
        languages=config.languages,
        sections=config.sections,
        tags=config.tags,
        options=dict(config.options),
        origin="config",
    )


class PartnerRegistry:
    """Looks partners up by name or token, reading the store on every call."""

    def __init__(self, store: Store, configured: Sequence[PartnerConfig] = ()) -> None:
        self.store = store
        self.configured = {p.name: p for p in configured}

    def config_hashes(self, name: str) -> tuple[str, ...]:
        config = self.configured.get(name)
        return config.token_hashes if config else ()

    def lookup(self, name: str) -> Known | None:
        """The partner called ``name`` with its valid token hashes; None if unknown or revoked."""
        config_hashes = self.config_hashes(name)
        found = self.store.partners.credentials(name, config_hashes)
        stored, active, dead = found.stored, list(found.active_hashes), found.revoked_config_hashes
        config = self.configured.get(name)
        if stored is not None:
            record = stored
        elif config is not None:
            record = _from_config(config)
        else:
            return None
        if record.revoked:
            return None
        live = [h for h in config_hashes if h not in dead] + active
        return Known(record, tuple(dict.fromkeys(live)))

    def all(self) -> list[PartnerRecord]:
        """Every partner, from the store and the config (store wins on a shared name)."""
        stored = {p.name: p for p in self.store.partners.all()}
        for name, config in self.configured.items():
            stored.setdefault(name, _from_config(config))
        return [stored[name] for name in sorted(stored)]

    def by_token(self, token: str) -> PartnerRecord | None:
        """The partner ``token`` belongs to, if it is valid now."""
        token_hash = hash_token(token)
        owner = self.store.partners.token_owner(token_hash)
        if owner is not None:
            name, revoked = owner
            if revoked:
                return None
        else:
            name = next((n for n, c in self.configured.items() if token_hash in c.token_hashes), "")
            if not name:
                return None
        known = self.lookup(name)
        if known is None or token_hash not in known.token_hashes:
            return None
        return known.record

    def verify_password(self, name: str, token: str) -> PartnerRecord | None:
        """HTTP Basic: ``name`` and ``token`` must belong together."""
        known = self.lookup(name)
        if known is None:
            return None
        given = hash_token(token).encode()
        matches = [hmac.compare_digest(given, h.encode()) for h in known.token_hashes]
        return known.record if any(matches) else None

    def verify_signature(self, name: str, path: str, key: str) -> PartnerRecord | None:
        """A signed URL: ``key`` must be ``sign_path`` of ``path`` with a valid token."""
        known = self.lookup(name)
        if known is None:
            return None
        given = key.lower().encode()
        matches = [
            hmac.compare_digest(given, sign_path(h, path).encode()) for h in known.token_hashes
        ]
        return known.record if any(matches) else None
