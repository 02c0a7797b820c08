"""Stores: engagement data kept in a real database (SQLite, DuckDB, PostgreSQL).

``engql run --into URL`` writes a run's answer into one (``sink``); ``engql collect``
keeps a collection there and sends only the requests for what it lacks.
docs/storage.md is the user's account of the schema and the rules.
"""

from engql.store.store import Store
from engql.store.url import StoreError

__all__ = ["Store", "StoreError"]
