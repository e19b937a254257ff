"""What a partner may read: its languages, sections, tags and formats.

One rule for every door: the feed route refuses a request outside the scope
(``scope_refusal``), and the stories of a feed are the visible ones the scope admits
(``candidates``, ``in_scope``), so a partner restricted to sections never sees others.
"""

from __future__ import annotations

from datetime import datetime

from feeds.model import Article
from feeds.publish.profiles import get_profile
from feeds.publish.selection import Format
from feeds.store import FeedQuery, Store
from feeds.store.partners import PartnerRecord

__all__ = ["allowed_formats", "candidates", "in_scope", "scope_refusal"]


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


def in_scope(record: PartnerRecord, article: Article) -> bool:
    """Whether ``record``'s sections/tags allow ``article`` (no restriction: all do)."""
    if not record.sections and not record.tags:
        return True
    if article.section_slug is not None and article.section_slug in record.sections:
        return True
    return any(slug in record.tags for slug in article.tag_slugs)


def candidates(
    store: Store, record: PartnerRecord, lang: str, section: str | None, now: datetime, limit: int
) -> list[Article]:
    """Visible stories of ``lang`` (and ``section``) that ``record`` may read, newest first.

    Only ``FeedQuery`` results are used, so drafts, embargoed and retracted stories can
    never reach a partner, whatever its profile.
    """
    restricted = bool(record.sections or record.tags)
    query = FeedQuery(lang=lang, section=section, limit=limit * 4 if restricted else limit)
    stories = store.visible_articles(query, now)
    return [a for a in stories if in_scope(record, a)][:limit]
