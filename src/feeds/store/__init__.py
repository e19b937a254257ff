"""Persistence: one ``Store`` API over SQLite (default) and PostgreSQL (scale-out)."""

from feeds.store.counts import Facet
from feeds.store.errors import StorageFullError, StoreError, StoreUnavailableError
from feeds.store.headlines import Headline
from feeds.store.outage import Incident, Outage
from feeds.store.scopes import EVERY, Scope
from feeds.store.store import Revision, Store, downgrade_database, open_store

__all__ = [
    "EVERY",
    "Facet",
    "Headline",
    "Incident",
    "Outage",
    "Revision",
    "Scope",
    "StorageFullError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "downgrade_database",
    "open_store",
]
