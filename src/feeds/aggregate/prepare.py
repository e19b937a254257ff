"""The CPU half of a poll: parse a body, decide its entries, build the Articles.

Runs in a worker (a process or thread pool), never on the event loop. Everything in and
out is plain, picklable data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from feeds.aggregate.decide import (
    EntryIntent,
    FeedHints,
    KnownEntry,
    feed_hints,
    plan_entries,
)
from feeds.aggregate.entrycap import refusal_reason
from feeds.aggregate.lang import UNDETERMINED, EntryLanguages
from feeds.aggregate.parse import FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from feeds.aggregate.sanitize import html_to_text, sanitize_html
from feeds.aggregate.xmlguard import UnsafeXMLError
from feeds.articlerows import NewArticle, new_article
from feeds.errors import FeedsError
from feeds.hygiene import CAPS, MAX_AUTHORS, MAX_TAGS, clean_text, cut
from feeds.model import (
    Article,
    Author,
    SourceRef,
    Status,
    Translation,
    slugify,
)

__all__ = ["ParseJob", "Prepared", "article_id_for", "prepare"]

# The reasons a poll keeps for its refused entries (the store keeps as many), and their length.
MAX_SKIP_REASONS = 5
MAX_SKIP_REASON_CHARS = 300
# A summary's plain text comes from at most this much of its HTML.
_TEXT_SOURCE_CHARS = 20_000
# What language detection reads of an entry.
_SAMPLE_TITLE_CHARS = 500
_SAMPLE_SUMMARY_CHARS = 1_500


@dataclass(frozen=True)
class ParseJob:
    source_id: int
    source_url: str
    source_title: str | None
    declared_lang: str | None
    known_lang: str | None  # detected or declared by the feed in an earlier poll
    section: str | None
    body: bytes
    content_type: str | None
    known: Mapping[str, KnownEntry]
    now: datetime
    content_language: str | None = None  # HTTP headers the parsers honour
    content_location: str | None = None
    max_entries: int | None = None  # read only this many, the newest ([aggregator] max_entries)


class PreparedEntry(NamedTuple):
    """One new or changed entry, ready to write. A tuple: thousands cross processes."""

    key: str
    article_id: str
    content_hash: str
    updated: datetime
    first_seen: datetime
    hash_updates: int
    # A new entry comes as its rows, ready to insert; a changed one as the Article that
    # replaces the stored one.
    new: NewArticle | None
    changed: Article | None

    @property
    def is_new(self) -> bool:
        return self.new is not None


@dataclass(frozen=True)
class Prepared:
    feed_title: str | None = None
    feed_lang: str | None = None
    hints: FeedHints | None = None
    entries: tuple[PreparedEntry, ...] = ()
    unchanged: int = 0
    # Entries refused (not stored): how many, and why for the first few.
    skipped: int = 0
    skip_reasons: tuple[str, ...] = ()
    # New or changed entries stored under ``und``: no language could be determined.
    undetermined: int = 0
    error: str | None = None
    parser: str | None = None
    charset_note: str | None = None  # the declared charset was overridden: why

    @property
    def parsed(self) -> bool:
        """The body was read as a feed (its refusals, even none, are this poll's)."""
        return self.parser is not None


def article_id_for(source_id: int, key: str) -> str:
    """Stable across polls and processes: the same entry always lands on the same row."""
    return f"src-{source_id}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}"


class _EntryRefusedError(FeedsError, ValueError):
    """This entry cannot be stored; the message says why."""


def _entry_link(link: str | None, fallback: str) -> str:
    """The entry's own http(s) link, else ``fallback`` (the feed URL). A link that is not
    even a URL (``http://[bad``: urlsplit raises) refuses the entry: it is the entry's
    identity in many feeds, and its readers would follow it."""
    if not link:
        return fallback
    link = clean_text(link).strip()
    try:
        parts = urlsplit(link)
    except ValueError as exc:
        raise _EntryRefusedError(f"its link {link[:200]!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
        return fallback
    return link


def _line(value: str, field: str) -> str:
    """One line of outside text: no control characters, at most its cap."""
    return cut(clean_text(value).strip(), CAPS[field])


def _body(fragment: str) -> str:
    """Sanitised HTML, cleaned and capped. A cut falls between tags, and the cut fragment
    is sanitised again, which closes the elements the cut left open."""
    fragment = clean_text(fragment)
    limit = CAPS["body_html"]
    if len(fragment) <= limit:
        return fragment
    head = fragment[: limit - 1]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    return sanitize_html(head + "…")


def _tags(values: tuple[str, ...]) -> tuple[str, ...]:
    """Cleaned, capped categories, each slug once; one with no letter or digit is dropped
    (it would have no feed), not the entry."""
    kept: dict[str, str] = {}
    for value in values:
        tag = _line(value, "tag")
        slug = slugify(tag)
        if slug and slug not in kept:
            kept[slug] = tag
            if len(kept) == MAX_TAGS:
                break
    return tuple(kept.values())


def _authors(values: tuple[str, ...]) -> tuple[Author, ...]:
    names = (_line(a, "author") for a in values)
    return tuple(Author(name=n) for n in names if n)[:MAX_AUTHORS]


def _summary_text(entry: ParsedEntry) -> str:
    # Only the start of a huge summary can end up in 500 characters of text.
    return html_to_text((entry.summary or entry.content)[:_TEXT_SOURCE_CHARS])


def _article(
    job: ParseJob, intent: EntryIntent, lang: str, summary_text: str, source_title: str
) -> Article:
    entry = intent.entry
    link = _entry_link(entry.link, job.source_url)
    summary = _line(summary_text, "summary")
    title = _line(entry.title, "title") or cut(summary, 80) or "(untitled)"
    return Article(
        id=article_id_for(job.source_id, intent.key),
        status=Status.PUBLISHED,
        published=intent.published,
        updated=intent.updated,
        translations=(
            Translation(
                lang=lang,
                title=title,
                url=link,
                summary=summary,
                body_html=_body(entry.content or entry.summary),
            ),
        ),
        section=job.section,
        tags=_tags(entry.tags),
        authors=_authors(entry.authors),
        source=SourceRef(
            title=source_title,
            feed_url=job.source_url,
            link=link,
            lang=lang,
            source_id=job.source_id,
        ),
    )


def _refusal(what: str, why: object) -> str:
    return f"entry {what[:200]}: {why}"[:MAX_SKIP_REASON_CHARS]


def prepare(job: ParseJob) -> Prepared:
    """Parse ``job.body`` and turn its new and changed entries into Articles.

    Only a document that is not a feed fails the poll. Each entry is stored or refused
    on its own: whatever goes wrong with one entry (an invalid article, a link that is not
    a URL) becomes a refusal with its reason, and the other entries are stored.
    """
    try:
        feed = parse_feed(
            job.body,
            job.source_url,
            job.content_type,
            content_language=job.content_language,
            content_location=job.content_location,
            max_entries=job.max_entries,
        )
    except (FeedParseError, UnsafeXMLError) as exc:
        return Prepared(error=str(exc))
    except Exception as exc:  # a document no reader handles: one readable error, no crash
        return Prepared(error=f"{job.source_url}: unreadable feed ({type(exc).__name__}: {exc})")
    plan = plan_entries(feed, job.known, job.now)
    languages = EntryLanguages(
        job.declared_lang,
        feed.lang,
        job.known_lang,
        lambda: (_detection_text(e.title, _summary_text(e)) for e in feed.entries),
    )
    feed_title = _line(feed.title, "feed_title")
    source_title = _line(job.source_title or "", "source_title") or feed_title or job.source_url
    prepared: list[PreparedEntry] = []
    refused = list(plan.refused)
    undetermined = 0
    new_keys = {i.key for i in plan.new}
    for intent in plan.new + plan.changed:
        try:
            summary_text = _summary_text(intent.entry)
            text = _detection_text(intent.entry.title, summary_text)
            lang = languages.of(intent.entry.lang, text)
            article = _article(job, intent, lang, summary_text, source_title)
            if lang == UNDETERMINED:
                undetermined += 1
            is_new = intent.key in new_keys
            prepared.append(
                PreparedEntry(
                    key=intent.key,
                    article_id=article.id,
                    content_hash=intent.content_hash,
                    updated=intent.updated,
                    first_seen=intent.first_seen,
                    hash_updates=intent.hash_updates,
                    new=new_article(article) if is_new else None,
                    changed=None if is_new else article,
                )
            )
        except Exception as exc:  # hostile input must cost one entry, never the poll
            why = exc if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            refused.append(_refusal(intent.key, why))
    return Prepared(
        feed_title=feed_title or None,
        feed_lang=languages.feed_language(),
        hints=feed_hints(feed),
        entries=tuple(prepared),
        unchanged=plan.unchanged,
        skipped=feed.left_out + len(refused),
        skip_reasons=tuple((_cap_reasons(feed, job) + refused)[:MAX_SKIP_REASONS]),
        undetermined=undetermined,
        parser=feed.parser,
        charset_note=feed.charset_note,
    )


def _cap_reasons(feed: ParsedFeed, job: ParseJob) -> list[str]:
    """The one reason for the entries past ``max_entries`` (first: it explains the most)."""
    if not feed.left_out or job.max_entries is None:
        return []
    return [refusal_reason(feed.left_out, job.max_entries)]


def _detection_text(title: str, summary_text: str) -> str:
    return f"{title[:_SAMPLE_TITLE_CHARS]}. {summary_text[:_SAMPLE_SUMMARY_CHARS]}"
