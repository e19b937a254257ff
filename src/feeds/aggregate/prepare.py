"""The CPU half of a poll: parse a body, decide its entries, build the Articles.

Runs in a worker (a process or thread pool), never on the event loop. Everything in and
out is plain, picklable data.
"""

from __future__ import annotations

import hashlib
import re
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
from feeds.aggregate.lang import choose_language
from feeds.aggregate.parse import FeedParseError, parse_feed
from feeds.aggregate.sanitize import html_to_text
from feeds.aggregate.xmlguard import UnsafeXMLError
from feeds.articlerows import NewArticle, new_article
from feeds.model import (
    Article,
    Author,
    SourceRef,
    Status,
    Translation,
)

__all__ = ["ParseJob", "Prepared", "article_id_for", "prepare"]

_SUMMARY_CHARS = 500
# The reasons a poll keeps for its refused entries (the store keeps as many).
MAX_SKIP_REASONS = 5


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
    error: str | None = None
    parser: str | None = None

    @property
    def parsed(self) -> bool:
        """The body was read as a feed (its refusals, even none, are this poll's)."""
        return self.parser is not None


def article_id_for(source_id: int, key: str) -> str:
    """Stable across polls and processes: the same entry always lands on the same row."""
    return f"src-{source_id}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}"


def _is_web_url(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


# XML 1.0 forbids most C0 controls (and U+FFFE/U+FFFF); the model refuses them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


def _article(job: ParseJob, intent: EntryIntent, lang: str, feed_title: str) -> Article:
    entry = intent.entry
    link = entry.link if _is_web_url(entry.link) else None
    link = link or job.source_url
    summary_text = html_to_text(entry.summary or entry.content)
    title = entry.title or summary_text[:80] or "(untitled)"
    body_html = entry.content or entry.summary
    source_title = job.source_title or feed_title or job.source_url
    return Article(
        id=article_id_for(job.source_id, intent.key),
        status=Status.PUBLISHED,
        published=intent.published,
        updated=intent.updated,
        translations=(
            Translation(
                lang=lang,
                title=_clean_text(title),
                url=link,
                summary=_clean_text(summary_text[:_SUMMARY_CHARS]),
                body_html=_clean_text(body_html),
            ),
        ),
        section=job.section,
        tags=tuple(_clean_text(t) for t in entry.tags if _clean_text(t).strip()),
        authors=tuple(Author(name=_clean_text(a)) for a in entry.authors if a.strip()),
        source=SourceRef(
            title=_clean_text(source_title),
            feed_url=job.source_url,
            link=link,
            lang=lang,
            source_id=job.source_id,
        ),
    )


def prepare(job: ParseJob) -> Prepared:
    """Parse ``job.body`` and turn its new and changed entries into Articles."""
    try:
        feed = parse_feed(job.body, job.source_url, job.content_type)
    except (FeedParseError, UnsafeXMLError) as exc:
        return Prepared(error=str(exc))
    plan = plan_entries(feed, job.known, job.now)
    intents = plan.new + plan.changed
    lang = choose_language(
        job.declared_lang,
        feed.lang or job.known_lang,
        (html_to_text(f"{e.title}. {e.summary or e.content}") for e in feed.entries[:20])
        if not (job.declared_lang or feed.lang or job.known_lang)
        else (),
    )
    prepared: list[PreparedEntry] = []
    skipped: list[str] = []
    new_keys = {i.key for i in plan.new}
    for intent in intents:
        try:
            article = _article(job, intent, lang, feed.title)
        except ValueError as exc:  # InvalidArticleError, or a link urlsplit cannot read
            skipped.append(f"entry {intent.key[:200]}: {exc}"[:300])
            continue
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
    return Prepared(
        feed_title=feed.title or None,
        feed_lang=lang if lang != "und" else None,
        hints=feed_hints(feed),
        entries=tuple(prepared),
        unchanged=plan.unchanged,
        skipped=len(skipped),
        skip_reasons=tuple(skipped[:MAX_SKIP_REASONS]),
        parser=feed.parser,
    )
