"""The store's tables: the articles and what is derived from them, and the operator
console's. The sources, partners, WebSub outbox and shared limits keep theirs beside
their queries (``sources.py``, ``partners.py``, ``websub.py``, ``limits.py``), in the same
``metadata``.

An article is kept as its JSON document (the shape of ``feeds.model.article_to_dict``) plus
the columns feeds select on: status, publication time, section, language, tag and author
slugs. Rendering needs the whole article anyway, so one row read is one article.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from feeds.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row. ``revision`` goes up by one in every write transaction, ``changed_at`` is its time:
# a web process in another process compares one integer to know whether its cache is stale.
store_state = Table(
    "store_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# One row per scope of what the web layer caches (``feeds.store.scopes.Scope``): the
# store's revision of the last write that changed something in that scope. A web process
# keeps what depends on one scope while writes change only others (migration 0011).
store_scopes = Table(
    "store_scopes",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("revision", BigInteger, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("section_slug", String(200), nullable=True),
    Column("aggregated", Boolean, nullable=False),
    Column("source_id", Integer, nullable=True),
    Column("document", Text, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retracted_at", UTCDateTime, nullable=True),
    Index("ix_articles_visible", "aggregated", "status", "published"),
    Index("ix_articles_published", "published", "id"),
    # Feeds read newest first within a scope: these let a read walk its scope's stories
    # in that order and stop at its limit, instead of sorting the whole scope (migration
    # 0008; the plans are in docs/benchmarks.md, "Store size").
    Index("ix_articles_scope", "aggregated", "published", "id"),
    Index("ix_articles_section", "section_slug", "published", "id"),
    Index("ix_articles_retracted_at", "retracted_at"),
)

article_languages = Table(
    "article_languages",
    metadata,
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("lang", String(35), primary_key=True),
    Index("ix_article_languages_lang", "lang", "article_id"),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("slug", String(200), primary_key=True),
    Column("label", Text, nullable=False),
    # The story's publication time, copied by the write path: a tag's feed walks
    # this index newest first and reads only the stories it shows.
    Column("published", UTCDateTime, nullable=True),
    Index("ix_article_tags_slug", "slug", "published", "article_id"),
)

article_authors = Table(
    "article_authors",
    metadata,
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("slug", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    # The story's publication time, copied by the write path: a author's feed walks
    # this index newest first and reads only the stories it shows.
    Column("published", UTCDateTime, nullable=True),
    Index("ix_article_authors_slug", "slug", "published", "article_id"),
)

# Public stories counted per facet and language, kept by the write path in each write's
# transaction (``feeds.store.counts``): a section, tag or author of the newsroom's own
# stories, or a source of aggregated ones (``slug`` its id). ``label`` is the tag's label
# or the author's name as each story gives it ("" for sections and sources). A story counts
# from its write while its status is public, whatever its time: a read takes away the
# stories whose embargo has not ended yet, so no count waits for a write (migration 0010).
story_counts = Table(
    "story_counts",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("lang", String(35), primary_key=True),
    Column("slug", String(200), primary_key=True),
    Column("label", Text, primary_key=True),
    Column("stories", BigInteger, nullable=False),
)

# Search text, one row per story and language (``feeds.store.search``): the words of its
# title, summary and body, normalised by ``feeds.searchtext``. The full-text index over
# ``terms`` is the database's own: an FTS5 table kept in step by triggers on SQLite, a
# generated ``tsvector`` column with a GIN index on PostgreSQL (migration 0006).
article_search = Table(
    "article_search",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
    ),
    Column("lang", String(35), nullable=False),
    Column("terms", Text, nullable=False),
    Index("ix_article_search_article_id", "article_id"),
)

# Where the search rows' publication times lie, on SQLite (``feeds.store.search``; kept
# empty on PostgreSQL, whose search needs none): per zone of consecutive ``article_search``
# ids (``id >> search.ZONE_BITS``) and UTC day of publication, the earliest and latest
# publication time of the rows written there. A search for a common word reads FTS5's
# matches zone by zone, latest first, instead of all of them (migration 0012).
search_zones = Table(
    "search_zones",
    metadata,
    Column("zone", Integer, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True),
    Column("low", UTCDateTime, nullable=False),
    Column("high", UTCDateTime, nullable=False),
    Index("ix_search_zones_high", "high"),
)

# One story across outlets (``feeds.store.clusters``): per story and language its headline
# key (``feeds.dedupe.story_key``) and the cluster it joined when it was written, named by
# the first story of the cluster; and the key's MinHash LSH bands, to find candidates.
story_keys = Table(
    "story_keys",
    metadata,
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("lang", String(35), primary_key=True),
    Column("key", Text, nullable=False),
    Column("cluster", String(200), nullable=False),
    Index("ix_story_keys_cluster", "lang", "cluster"),
)

story_bands = Table(
    "story_bands",
    metadata,
    Column(
        "article_id", String(200), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("lang", String(35), primary_key=True),
    Column("band", BigInteger, primary_key=True),
    # The story's publication time, copied by the write path: a band's candidates are
    # an index range read of its newest stories in the window (migration 0009), the
    # index alone (migration 0013: ``lang`` in it too).
    Column("published", UTCDateTime, nullable=True),
    Index("ix_story_bands_band", "band", "published", "article_id", "lang"),
)


# --- the operator console (feeds.web.admin; migration 0007) ------------------------------

# Operators' accounts (argon2id hashes), their sessions (the SHA-256 of the cookie's token)
# and the audit log of what each did: ``feeds.store.operators``.
operators = Table(
    "operators",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)

operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "operator",
        String(64),
        ForeignKey("operators.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_operator_sessions_operator", "operator"),
)

admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("operator", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_admin_audit_at", "at"),
)

# Each source's recent polls, the newest ``pollhistory.KEEP`` per source.
source_polls = Table(
    "source_polls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("polled_at", UTCDateTime, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("health", String(16), nullable=False),
    Column("new", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("refused_reasons", Text, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_source_polls_source", "source_id", "id"),
)

# Partners' requests per UTC day, the last ingests and the WebSub deliveries:
# ``feeds.store.activity``.
partner_usage = Table(
    "partner_usage",
    metadata,
    Column("partner", String(100), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("requests", Integer, nullable=False),
    Column("throttled", Integer, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
)

ingest_log = Table(
    "ingest_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("who", String(100), nullable=False),
    Column("article_id", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("changed", Text, nullable=False),
    Index("ix_ingest_log_at", "at"),
)

websub_delivered = Table(
    "websub_delivered",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_key", String(500), nullable=False),
    Column("delivered_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
)
