"""The parse worker's half of a poll: read a new body, decide, build the rows to write.

Runs in a worker process (``feeds.aggregate.workerpool``), never on the event loop.
Everything in and out is plain, picklable data: a ``ParseJob`` in, a ``PollResult`` out,
whose ``SourceUpdate`` carries the new and changed articles as ``ArticleRow`` tuples (cheap to send
between processes). The pipeline builds the same ``PollResult`` itself for a poll with
nothing to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from feeds.aggregate.decide import (
    EntryIntent,
    PollPlan,
    PollState,
    decide,
    source_update,
)
from feeds.aggregate.entrycap import refusal_reason
from feeds.aggregate.fetchresult import FetchResult
from feeds.aggregate.lang import UNDETERMINED, EntryLanguages
from feeds.aggregate.parse import FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from feeds.aggregate.sanitize import html_to_text, sanitize_html
from feeds.aggregate.xmlguard import UnsafeXMLError
from feeds.articlerows import ArticleRow, article_row
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
from feeds.pollrecords import EntryRecord, SourceUpdate

__all__ = ["ParseJob", "PollResult", "prepare"]

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
    """A poll whose body is new (``decide.must_parse``), sent to a parse worker."""

    source: PollState
    fetched: FetchResult  # with its body and the headers the parsers honour
    known: Mapping[str, EntryRecord]  # the source's stored entries, by key
    jitter: float  # for the next poll time, in [0, 1)
    max_entries: int | None = None  # read only this many, the newest ([aggregator] max_entries)


@dataclass(frozen=True)
class PollResult:
    """What one poll writes, and what its report says."""

    plan: PollPlan
    update: SourceUpdate  # what the store writes: the source's state, entries and articles
    unchanged: int = 0
    # New or changed entries stored under ``und``: no language could be determined.
    undetermined: int = 0
    charset_note: str | None = None  # the declared charset was overridden: why

    @property
    def new(self) -> Sequence[ArticleRow]:
        """The new entries' articles, as the rows to write."""
        return self.update.new_articles

    @property
    def changed(self) -> Sequence[ArticleRow]:
        """The changed entries' articles (rows), each replacing the stored one."""
        return self.update.changed_articles

    @property
    def skipped(self) -> int:
        """Entries this poll refused (not stored); 0 when it read nothing."""
        return self.update.skipped or 0

    @property
    def skip_reasons(self) -> tuple[str, ...]:
        return tuple(self.update.skip_reasons)


def unread_result(plan: PollPlan, state: PollState, fetched: FetchResult) -> PollResult:
    """The result of a poll whose body was not read (a 304, the same bytes, an error)."""
    return PollResult(plan, source_update(plan, state, fetched.fetched_at))


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
    state: PollState, intent: EntryIntent, lang: str, summary_text: str, source_title: str
) -> Article:
    entry = intent.entry
    link = _entry_link(entry.link, state.url)
    summary = _line(summary_text, "summary")
    title = _line(entry.title, "title") or cut(summary, 80) or "(untitled)"
    return Article(
        id=intent.record.article_id,
        status=Status.PUBLISHED,
        published=intent.published,
        updated=intent.record.updated,
        translations=(
            Translation(
                lang=lang,
                title=title,
                url=link,
                summary=summary,
                body_html=_body(entry.content or entry.summary),
            ),
        ),
        section=state.section,
        tags=_tags(entry.tags),
        authors=_authors(entry.authors),
        source=SourceRef(
            title=source_title,
            feed_url=state.url,
            link=link,
            lang=lang,
            source_id=state.id,
        ),
    )


def _refusal(what: str, why: object) -> str:
    return f"entry {what[:200]}: {why}"[:MAX_SKIP_REASON_CHARS]


def _parse(job: ParseJob) -> ParsedFeed | str:
    """The body as a feed, or why it is not one we can read."""
    fetched, url = job.fetched, job.source.url
    assert fetched.body is not None
    try:
        return parse_feed(
            fetched.body,
            url,
            fetched.content_type,
            content_language=fetched.content_language,
            content_location=fetched.content_location,
            max_entries=job.max_entries,
        )
    except (FeedParseError, UnsafeXMLError) as exc:
        return str(exc)
    except Exception as exc:  # a document no reader handles: one readable error, no crash
        return f"{url}: unreadable feed ({type(exc).__name__}: {exc})"


def prepare(job: ParseJob) -> PollResult:
    """Parse the new body, decide the poll, and build the new and changed entries' rows.

    Only a document that is not a feed fails the poll. Each entry is stored or refused
    on its own: whatever goes wrong with one entry (an invalid article, a link that is not
    a URL) becomes a refusal with its reason, and the other entries are stored.
    """
    state, fetched = job.source, job.fetched
    feed = _parse(job)
    if isinstance(feed, str):
        return unread_result(
            decide(state, fetched, job.jitter, unreadable=feed).source, state, fetched
        )
    decision = decide(state, fetched, job.jitter, feed, job.known)
    plan = decision.entries
    languages = EntryLanguages(
        state.lang,
        feed.lang,
        state.feed_lang,
        lambda: (_detection_text(e.title, _summary_text(e)) for e in feed.entries),
    )
    feed_title = _line(feed.title, "feed_title")
    source_title = _line(state.title or "", "source_title") or feed_title or state.url
    records: list[EntryRecord] = []
    new: list[ArticleRow] = []
    changed: list[ArticleRow] = []
    refused = list(plan.refused)
    undetermined = 0
    for intents, is_new in ((plan.new, True), (plan.changed, False)):
        for intent in intents:
            try:
                summary_text = _summary_text(intent.entry)
                text = _detection_text(intent.entry.title, summary_text)
                lang = languages.of(intent.entry.lang, text)
                article = _article(state, intent, lang, summary_text, source_title)
                (new if is_new else changed).append(article_row(article))
            except Exception as exc:  # hostile input must cost one entry, never the poll
                why = exc if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
                refused.append(_refusal(intent.record.key, why))
                continue
            records.append(intent.record)
            if lang == UNDETERMINED:
                undetermined += 1
    update = source_update(
        decision.source,
        state,
        fetched.fetched_at,
        entries=tuple(records),
        refused=feed.left_out + len(plan.duplicates) + len(refused),
        refusals=tuple(
            (_cap_reasons(feed, job) + _duplicate_reasons(plan.duplicates) + refused)[
                :MAX_SKIP_REASONS
            ]
        ),
        feed_title=feed_title or None,
        feed_lang=languages.feed_language(),
        new_articles=tuple(new),
        changed_articles=tuple(changed),
    )
    return PollResult(
        decision.source,
        update,
        unchanged=plan.unchanged,
        undetermined=undetermined,
        charset_note=feed.charset_note,
    )


def _cap_reasons(feed: ParsedFeed, job: ParseJob) -> list[str]:
    """The one reason for the entries past ``max_entries`` (first: it explains the most)."""
    if not feed.left_out or job.max_entries is None:
        return []
    return [refusal_reason(feed.left_out, job.max_entries)]


def _duplicate_reasons(duplicates: tuple[str, ...]) -> list[str]:
    """The one reason for entries whose id an earlier entry of the document already has:
    the first of each is stored, the repeats are counted and said, never dropped silently."""
    if not duplicates:
        return []
    return [
        _refusal(
            duplicates[0],
            f"{len(duplicates)} entries repeat the id of an earlier entry in the document; "
            "the first of each is kept",
        )
    ]


def _detection_text(title: str, summary_text: str) -> str:
    return f"{title[:_SAMPLE_TITLE_CHARS]}. {summary_text[:_SAMPLE_SUMMARY_CHARS]}"
