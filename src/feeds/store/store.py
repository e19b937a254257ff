"""``Store``: the one door to the database, for the web layer, the CLI, the importers and
the aggregator. Nothing outside ``feeds.store`` opens a connection."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from feeds.articlerows import article_row
from feeds.feedkeys import FeedScope
from feeds.model import Article, Status, is_site_path
from feeds.searchtext import Query
from feeds.store import archive, clusters, counts, headlines, images, search, tombstones
from feeds.store import articles as queries
from feeds.store.activity import Activity, changed_fields, record_ingest
from feeds.store.backup import Backup, backup_sqlite
from feeds.store.console import Console
from feeds.store.engine import Database, StoreError, create_store_engine
from feeds.store.gauges import Gauges, read_gauges
from feeds.store.limits import Limits
from feeds.store.migrate import current_revision, downgrade, head_revision, revisions, upgrade
from feeds.store.operators import Operators
from feeds.store.outage import Outage
from feeds.store.partners import Partners
from feeds.store.pollhistory import PollHistory
from feeds.store.scopes import Scope, read_scopes
from feeds.store.search import Cursor
from feeds.store.sources import Sources
from feeds.store.websub import Outbox
from feeds.store.writes import write_rows


@dataclasses.dataclass(frozen=True)
class Revision:
    """The store's write counter and the time of the last write, for cache validation;
    ``scopes``: per scope, the counter of the last write that changed it
    (``feeds.store.scopes``)."""

    number: int
    changed_at: datetime
    scopes: Mapping[Scope, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ArchivePage:
    """One page of a month's archive as read at one moment (``feeds.store.archive``).

    ``stories``: its visible stories, newest first; ``retracted``: ``(story,
    retracted_at)`` of its public retractions; ``older_page``: whether an older page of
    the same month follows; ``months``: every month of the language that has an archive;
    ``newer_pages``: on a month's newest page, how many pages the next archive month has
    when that month is over at ``now`` (its oldest page is this page's newer neighbour),
    else None.
    """

    months: list[archive.Month]
    stories: list[Article]
    retracted: list[tuple[Article, datetime]]
    older_page: bool
    newer_pages: int | None


class Store:
    """Articles in SQLite or PostgreSQL. Every write is one transaction and one revision.

    Stored documents may name the site's own pages and images by path (``/en/articles/x``,
    ``/static/images/x.jpg``). A store opened ``for_site(base_url)`` returns articles with
    those made absolute (``Article.on_site``); the documents themselves never depend on
    ``base_url``.

    ``clock`` dates the store's writes (``Database``); the wall clock unless a test gives one.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        site_url: str | None = None,
        outage: Outage | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._db = Database(engine, outage, clock)
        self.site_url = site_url
        self.sources = Sources(self._db)
        self.partners = Partners(self._db)
        self.outbox = Outbox(self._db)
        self.limits = Limits(self._db)  # rate-limit buckets and host pauses, shared
        # The operator console's (feeds.web.admin): accounts and audit, the sources as it
        # lists and edits them, each source's recent polls, partner usage and ingests.
        self.operators = Operators(self._db)
        self.console = Console(self._db)
        self.polls = PollHistory(self._db)
        self.activity = Activity(self._db)

    def for_site(self, base_url: str) -> Store:
        """The same database, its articles read as the site at ``base_url`` serves them."""
        return Store(self._db.engine, site_url=base_url, outage=self.outage, clock=self._db.now)

    def on_site(self, article: Article) -> Article:
        """``article`` as this store's site serves it (unchanged without a site)."""
        return article.on_site(self.site_url) if self.site_url is not None else article

    def _on_site_dated(
        self, found: list[tuple[Article, datetime]]
    ) -> list[tuple[Article, datetime]]:
        return [(self.on_site(article), when) for article, when in found]

    @property
    def outage(self) -> Outage:
        """This process's record of database incidents (``feeds.store.outage``): shared by
        every ``Store`` made from this one, so the web layer and the aggregator of one
        process log an incident once."""
        return self._db.outage

    @property
    def backend(self) -> str:
        return self._db.engine.dialect.name

    @property
    def url(self) -> str:
        """The database's URL, password included: for another process of this program
        that opens the same database (``feeds serve``'s aggregator process)."""
        return self._db.engine.url.render_as_string(hide_password=False)

    def close(self) -> None:
        self._db.engine.dispose()

    def backup(self, target: Path) -> Backup:
        """A consistent copy of this SQLite store at ``target`` while it serves
        (``store.backup``); PostgreSQL is refused with a word on ``pg_dump``."""
        return backup_sqlite(self._db.engine.url, target)

    # --- writes -------------------------------------------------------------------------

    def upsert_article(self, article: Article, *, by: str | None = None) -> bool:
        """Create or replace one article; True when it was new. With ``by`` (who sent it:
        the ingest API's caller) the write is a line of the ingest log, in its transaction:
        created, updated or unchanged, and which fields changed."""
        row = article_row(article)
        with self._db.transaction() as conn:
            now = self._db.now()  # taken in the transaction: a later write is never dated earlier
            before = queries.load_document(conn, article.id) if by is not None else None
            revision = queries.bump_revision(conn, now)
            created = write_rows(conn, [row], revision, now)[0]
            if by is not None:
                changed = changed_fields(before, json.loads(row.document))
                action = "created" if created else "updated" if changed else "unchanged"
                record_ingest(conn, now, by, article.id, action, changed)
            return created

    def upsert_articles(self, batch: Sequence[Article]) -> int:
        """Create or replace all of ``batch`` in one transaction: all are written or none.
        Returns the revision they were written under."""
        rows = [article_row(a) for a in batch]
        with self._db.transaction() as conn:
            now = self._db.now()  # taken in the transaction: a later write is never dated earlier
            revision = queries.bump_revision(conn, now)
            write_rows(conn, rows, revision, now)
            return revision

    def retract_article(self, article_id: str, *, by: str | None = None) -> Article | None:
        """Mark a story retracted (it leaves every feed); None when there is no such story.
        With ``by``, a line of the ingest log ("retracted", or "unchanged" when it was)."""
        with self._db.transaction() as conn:
            current = queries.load_article(conn, article_id)
            if current is None:
                return None
            now = self._db.now()
            if current.status is Status.RETRACTED:
                if by is not None:
                    record_ingest(conn, now, by, article_id, "unchanged", ())
                return current
            retracted = dataclasses.replace(current, status=Status.RETRACTED, updated=now)
            write_rows(conn, [article_row(retracted)], queries.bump_revision(conn, now), now)
            if by is not None:
                record_ingest(conn, now, by, article_id, "retracted", ("status",))
            return retracted

    # --- reads --------------------------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        with self._db.reading() as conn:
            found = queries.load_article(conn, article_id)
        return self.on_site(found) if found is not None else None

    def gauges(self, now: datetime) -> Gauges:
        """Sources by health, poll lag and outbox depth at ``now`` (for ``/metrics``)."""
        with self._db.reading() as conn:
            return read_gauges(conn, now)

    def revision(self) -> Revision:
        with self._db.reading() as conn:
            number, changed_at, scopes = read_scopes(conn)
        return Revision(number, changed_at, scopes)

    def visible_articles(
        self, scope: FeedScope, now: datetime, limit: int = 50, since: datetime | None = None
    ) -> list[Article]:
        """The stories of ``scope`` the public may see at ``now``, newest first; only
        those published at or after ``since`` when it is given."""
        with self._db.reading() as conn:
            found = queries.list_visible(conn, scope, now, limit, since)
        return [self.on_site(a) for a in found]

    def headlines(
        self, lang: str, now: datetime, since: datetime, limit: int
    ) -> list[headlines.Headline]:
        """Title, URL and dates in ``lang`` of the stories of ``lang`` visible at ``now``
        and published at or after ``since``, newest first (the news sitemap's read: no
        document is decoded)."""
        with self._db.reading() as conn:
            found = headlines.recent_headlines(conn, lang, now, since, limit)
        root = self.site_url.rstrip("/") if self.site_url is not None else None
        if root is None:
            return found
        return [
            dataclasses.replace(h, url=root + h.url) if is_site_path(h.url) else h for h in found
        ]

    def search(
        self,
        query: Query,
        scope: FeedScope,
        now: datetime,
        limit: int = 50,
        after: Cursor | None = None,
    ) -> list[Article]:
        """The stories of ``scope`` visible at ``now`` matching ``query`` in the scope's
        language, newest first (``store.search``)."""
        with self._db.reading() as conn:
            found = search.search_visible(conn, query, scope, now, limit, after)
        return [self.on_site(a) for a in found]

    def stories(
        self,
        scope: FeedScope,
        now: datetime,
        limit: int = 50,
        after: Cursor | None = None,
        *,
        collapse: bool = True,
    ) -> list[tuple[Article, list[Article]]]:
        """The stories of ``scope`` visible at ``now``, newest first, each with the other
        visible reports of the same story in the scope's language, first report first.
        With ``collapse`` a story appears once, as its first visible report; without, every
        report of ``scope`` appears (``store.clusters``)."""
        lang = scope.lang
        if lang is None:
            raise ValueError("stories: a scope with a language")
        with self._db.reading() as conn:
            found = clusters.leads(conn, scope, now, limit, after, collapse=collapse)
            reports = clusters.members(conn, lang, [c for _, c in found], now)
        return [
            (
                self.on_site(story),
                [self.on_site(o) for o in reports.get(cluster, []) if o.id != story.id],
            )
            for story, cluster in found
        ]

    def first_reports(
        self, lang: str, stories: Sequence[Article], now: datetime
    ) -> dict[str, Article]:
        """For each of ``stories`` reported first by another story (visible at ``now``, in
        ``lang``): that first report, by the story's id."""
        with self._db.reading() as conn:
            found = clusters.first_reports(conn, lang, stories, now)
        return {key: self.on_site(a) for key, a in found.items()}

    def next_publication(self, now: datetime) -> datetime | None:
        with self._db.reading() as conn:
            return queries.next_publication(conn, now)

    def facets(self, lang: str, now: datetime) -> dict[str, list[counts.Facet]]:
        """Sections, tags and authors with visible own stories in ``lang``, with their
        counts (``store.counts``)."""
        with self._db.reading(snapshot=True) as conn:
            return counts.facets(conn, lang, now)

    def facet(self, lang: str, kind: str, slug: str, now: datetime) -> counts.Facet | None:
        """One section (``kind`` "section"), tag or author of ``facets``, read alone."""
        with self._db.reading(snapshot=True) as conn:
            return counts.facet(conn, lang, kind, slug, now)

    def all_articles(self, limit: int = 1000) -> list[Article]:
        """Every stored article (any status), newest first: for operators, never for feeds."""
        with self._db.reading() as conn:
            found = queries.list_articles(conn, limit=limit)
        return [self.on_site(a) for a in found]

    def source_languages(self, now: datetime) -> dict[int, dict[str, int]]:
        """For each source with visible aggregated stories: how many there are per language."""
        with self._db.reading(snapshot=True) as conn:
            return counts.source_languages(conn, now)

    def retracted_since(self, since: datetime) -> list[tuple[Article, datetime]]:
        """``(story, retracted_at)`` of public retractions at or after ``since``, newest
        first (the live feeds' recent tombstones)."""
        with self._db.reading() as conn:
            found = tombstones.retracted_since(conn, since)
        return self._on_site_dated(found)

    def archive_months(self, lang: str, now: datetime) -> list[archive.Month]:
        """Every month of ``lang`` that has (or had) an archive, oldest first."""
        with self._db.reading() as conn:
            return archive.archive_months(conn, lang, now)

    def archive_page(
        self, lang: str, month: archive.Month, page: int, size: int, now: datetime
    ) -> ArchivePage | None:
        """Page ``page`` (1: the newest) of ``month``'s archive in ``lang``, ``size`` stories
        and retractions a page; None when the month has no archive or no such page."""
        with self._db.reading() as conn:
            months = archive.archive_months(conn, lang, now)
            if month not in months:
                return None
            slots, older_page = archive.page_slots(conn, lang, month, page, size, now)
            if not slots and page > 1:
                return None
            newer = [m for m in months if month < m < archive.month_of(now)]
            newer_pages = None
            if page == 1 and newer:
                newer_pages = archive.page_count(conn, lang, newer[0], size, now)
        stories = [self.on_site(s.article) for s in slots if s.retracted_at is None]
        retracted = [
            (self.on_site(s.article), s.retracted_at) for s in slots if s.retracted_at is not None
        ]
        return ArchivePage(months, stories, retracted, older_page, newer_pages)

    def hidden_images(self, now: datetime) -> list[images.HiddenImage]:
        """The lead images of every story not visible at ``now`` (see ``images``)."""
        with self._db.reading() as conn:
            return images.hidden_images(conn, now)

    def visible_own_images(self, now: datetime) -> set[str]:
        """The lead image URLs of the newsroom's own stories visible at ``now``."""
        with self._db.reading() as conn:
            return images.visible_own_images(conn, now)


def open_store(
    url: str, *, migrate: bool = True, clock: Callable[[], datetime] | None = None
) -> Store:
    """Connect to ``url``; apply pending migrations unless ``migrate`` is False.
    ``clock`` dates the store's writes (the wall clock unless a test gives one).

    Without migrating, a database that is behind the code is an error that says what to run.
    """
    engine = create_store_engine(url)
    try:
        if migrate:
            upgrade(engine)
        elif current_revision(engine) != head_revision():
            raise StoreError(
                f"database {engine.url.render_as_string(hide_password=True)} is not at the "
                "latest schema: run `feeds db upgrade`"
            )
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot use database {where}: {reason}") from None
    return Store(engine, clock=clock)


def downgrade_database(url: str, revision: str) -> tuple[str | None, str | None]:
    """Take the database at ``url`` back to schema ``revision`` (``feeds db downgrade``),
    with the migrations of the version installed now; the revisions before and after."""
    engine = create_store_engine(url)
    try:
        known = revisions()
        if revision not in known:
            raise StoreError(f"no schema revision {revision!r} (one of: {', '.join(known)})")
        return downgrade(engine, revision)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot downgrade: {reason}") from None
    finally:
        engine.dispose()
