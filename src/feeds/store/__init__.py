"""Persistence: one ``Store`` API over SQLite (default) and PostgreSQL (scale-out)."""

from feeds.store.articles import Facet
from feeds.store.engine import StoreError
from feeds.store.store import Revision, Store, open_store

__all__ = [
    "Facet",
    "Revision",
    "Store",
    "StoreError",
    "open_store",
]
