"""The partner credential a request carries, checked against the registry.

Looked at in this order: ``Authorization: Bearer <token>``; ``Authorization: Basic``
with the partner name as user and the token as password (some partner crawlers only do
Basic); ``?key=`` for readers that cannot send headers (``registry.sign_path`` of the
raw request path). The web layer passes in the header, the key and the path, and turns
a ``Refused`` into a 401.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from feeds.store.partners import PartnerRecord
from feeds.syndicate.registry import PartnerRegistry

__all__ = ["Refused", "authenticate"]


@dataclass(frozen=True)
class Refused:
    """No valid credential: ``message`` says which mistake, in one line."""

    message: str


def authenticate(
    registry: PartnerRegistry,
    authorization: str,
    key: str | None,
    partner: str,
    path: str,
) -> PartnerRecord | Refused:
    """The partner whose credential this is, or why there is none.

    ``partner`` is the name in the URL (a signed key is checked against its tokens) and
    ``path`` the raw request path the key signs. Blocking (reads the store).
    """
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    record: PartnerRecord | None
    if scheme.lower() == "bearer" and value:
        record = registry.by_token(value)
    elif scheme.lower() == "basic" and value:
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Refused("malformed Basic credentials")
        if not sep:
            return Refused("malformed Basic credentials")
        record = registry.verify_password(user, password)
    elif key:
        record = registry.verify_signature(partner, path, key)
    else:
        return Refused(
            "partner feeds need a token: Authorization: Bearer <token>, HTTP Basic "
            "(partner name, token) or a signed ?key="
        )
    if record is None:
        return Refused("this credential is not valid (unknown, wrong or revoked)")
    return record
