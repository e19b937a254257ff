"""``Store``: the one persistence API the web layer, the CLI and the importers use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from feeds.feedkeys import FeedScope
from feeds.model import Article, Status
from feeds.store import articles as queries
from feeds.store.engine import StoreError, create_store_engine
from feeds.store.migrate import current_revision, head_revision, upgrade


@dataclasses.dataclass(frozen=True)
class Revision:
    """The store's write counter and the time of the last write, for cache validation."""

    number: int
    changed_at: datetime


class Store:
    """Articles in SQLite or PostgreSQL. Every write is one transaction and one revision.

    Stored documents may name the site's own pages and images by path (``/en/articles/x``,
    ``/static/images/x.jpg``). A store opened ``for_site(base_url)`` returns articles with
    those made absolute (``Article.on_site``); the documents themselves never depend on
    ``base_url``.
    """

    def __init__(self, engine: Engine, *, site_url: str | None = None) -> None:
        self.engine = engine
        self.site_url = site_url

    def for_site(self, base_url: str) -> Store:
        """The same database, its articles read as the site at ``base_url`` serves them."""
        return Store(self.engine, site_url=base_url)

    def on_site(self, article: Article) -> Article:
        """``article`` as this store's site serves it (unchanged without a site)."""
        return article.on_site(self.site_url) if self.site_url is not None else article

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite); commits on success, else rolls back."""
        connection = self.engine.connect().execution_options(sqlite_immediate=True)
        with connection as conn, conn.begin():
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # --- writes -------------------------------------------------------------------------

    def upsert_article(self, article: Article) -> bool:
        """Create or replace one article; True when it was new."""
        with self.transaction() as conn:
            revision = queries.bump_revision(conn)
            return queries.write_article(conn, article, revision)

    def upsert_articles(self, batch: Sequence[Article]) -> int:
        """Create or replace all of ``batch`` in one transaction: all are written or none."""
        with self.transaction() as conn:
            return queries.write_articles(conn, batch)

    def retract_article(self, article_id: str) -> Article | None:
        """Mark a story retracted (it leaves every feed); None when there is no such story."""
        with self.transaction() as conn:
            current = queries.load_article(conn, article_id)
            if current is None:
                return None
            if current.status is Status.RETRACTED:
                return current
            retracted = dataclasses.replace(
                current, status=Status.RETRACTED, updated=datetime.now(UTC)
            )
            queries.write_article(conn, retracted, queries.bump_revision(conn))
            return retracted

    # --- reads --------------------------------------------------------------------------

    def get_article(self, article_id: str) -> Article | None:
        with self.reading() as conn:
            found = queries.load_article(conn, article_id)
        return self.on_site(found) if found is not None else None

    def revision(self) -> Revision:
        with self.reading() as conn:
            number, changed_at = queries.read_revision(conn)
        return Revision(number, changed_at)

    def visible_articles(self, scope: FeedScope, now: datetime, limit: int = 50) -> list[Article]:
        """The stories of ``scope`` the public may see at ``now``, newest first."""
        with self.reading() as conn:
            found = queries.list_visible(conn, scope, now, limit)
        return [self.on_site(a) for a in found]

    def next_publication(self, now: datetime) -> datetime | None:
        with self.reading() as conn:
            return queries.next_publication(conn, now)

    def facets(self, lang: str, now: datetime) -> dict[str, list[queries.Facet]]:
        with self.reading() as conn:
            return queries.facets(conn, lang, now)

    def all_articles(self, limit: int = 1000) -> list[Article]:
        with self.reading() as conn:
            found = queries.list_articles(conn, limit=limit)
        return [self.on_site(a) for a in found]


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to ``url``; apply pending migrations unless ``migrate`` is False.

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
    return Store(engine)
