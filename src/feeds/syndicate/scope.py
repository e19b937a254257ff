"""What a partner may read: its languages, sections, tags and formats.

One rule for every door: the feed route refuses a request outside the scope
(``scope_refusal``), and the stories of a feed are the visible ones of its
``partner_scope`` (a ``feeds.feedkeys.FeedScope``, filtered by the store), so a partner
restricted to sections never sees others.
"""

from __future__ import annotations

from datetime import datetime

from feeds.feedkeys import FeedScope, Format
from feeds.model import Article
from feeds.publish.profiles import get_profile
from feeds.store import Store
from feeds.store.partners import PartnerRecord

__all__ = ["allowed_formats", "candidates", "partner_scope", "scope_refusal"]


def allowed_formats(record: PartnerRecord) -> tuple[Format, ...]:
    """The profile's formats, narrowed by the partner's ``formats`` option if it has one."""
    formats = get_profile(record.profile).formats
    wanted = record.options.get("formats")
    if isinstance(wanted, list):
        return tuple(f for f in formats if f.value in wanted)
    return formats


def scope_refusal(record: PartnerRecord, lang: str, section: str | None, fmt: Format) -> str | None:
    """Why ``record`` may not read this feed (one line for a 403); None if it may."""
    profile = get_profile(record.profile)
    if record.languages and lang not in record.languages:
        return f"{lang!r} is not in your profile ({', '.join(record.languages)})"
    if section is not None and record.sections and section not in record.sections:
        return f"section {section!r} is not in your profile"
    formats = allowed_formats(record)
    if fmt not in formats:
        allowed = ", ".join(f.value for f in formats)
        return f"profile {profile.name!r} has no {fmt.value} feed; use {allowed}"
    return None


def partner_scope(record: PartnerRecord, lang: str, section: str | None) -> FeedScope:
    """The newsroom's stories of ``lang`` (and ``section``) within ``record``'s sections
    and tags (a partner without any may read every section)."""
    scope = FeedScope(lang, section=section)
    return scope.restricted_to(frozenset(record.sections), frozenset(record.tags))


def candidates(store: Store, scope: FeedScope, now: datetime, limit: int) -> list[Article]:
    """Visible stories of a partner's ``scope``, newest first.

    Only ``Store.visible_articles`` results are used, so drafts, embargoed and retracted
    stories can never reach a partner, whatever its profile.
    """
    return store.visible_articles(scope, now, limit)
