"""The tables of a store, their version, and how an older store is brought up to date.

docs/storage.md documents every column (a test holds the two together). The version is
one row of ``engql_schema``; opening a store creates the tables in a new database,
applies the upgrades an older one needs, and refuses a database whose tables engql did
not make or a newer engql did: nothing is written to it.
"""

from __future__ import annotations

from collections.abc import Callable

from engql.store.database import Database
from engql.store.url import StoreError

VERSION = 1
VERSION_TABLE = "engql_schema"

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "runs": (
        ("run_id", "id"),
        ("command", "text"),
        ("query_text", "text"),
        ("plan_hash", "text"),
        ("started_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("requests_planned", "integer"),
        ("requests_sent", "integer"),
        ("outcome", "text"),
    ),
    "facts": (
        ("query_id", "text"),
        ("grouping", "text"),
        ("endpoint", "text"),
        ("tweet_id", "bigint"),
        ("metric", "text"),
        ("grain", "text"),
        ("bucket_start", "timestamp"),
        ("value", "bigint"),
        ("fetched_at", "timestamp"),
        ("run_id", "bigint"),
    ),
    "missing": (
        ("run_id", "bigint"),
        ("statement", "integer"),
        ("tweet_id", "bigint"),
        ("kind", "text"),
        ("detail", "text"),
    ),
    "coverage": (
        ("tweet_id", "bigint"),
        ("metric", "text"),
        ("settled_from", "timestamp"),
        ("settled_until", "timestamp"),
    ),
}
"""Each table's columns and their kinds (``Database.types`` names them per database)."""
NULLABLE = {("runs", "ended_at"), ("runs", "requests_sent")} | {
    ("facts", column) for column in ("tweet_id", "metric", "bucket_start")
}
INDEXES = (
    ("facts_by_query", "facts", ("query_id", "tweet_id", "metric", "bucket_start")),
    ("coverage_by_tweet", "coverage", ("tweet_id", "metric")),
    ("missing_by_run", "missing", ("run_id",)),
)

Upgrade = Callable[[Database], None]
UPGRADES: dict[int, Upgrade] = {}
"""Version N → the function that brings a store of version N to N + 1."""


def ensure_schema(db: Database) -> None:
    """Make ``db`` a store of this version: create, upgrade or refuse (StoreError). The
    tables are made and upgraded in a write transaction that looks again first, since
    another process may be opening the same new store at once."""
    tables = db.tables()
    if VERSION_TABLE not in tables:
        _refuse_foreign(tables)
        with db.transaction():
            tables = db.tables()
            if VERSION_TABLE not in tables:
                _refuse_foreign(tables)
                _create(db)
                return
    version = _version(db)
    if version > VERSION:
        raise StoreError(
            f"the store has schema version {version}, made by a newer engql (this one "
            f"knows up to {VERSION}); upgrade engql to use it"
        )
    if version < VERSION:
        with db.transaction():
            for step in range(_version(db), VERSION):
                UPGRADES[step](db)
            db.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (VERSION,))
    _check_columns(db)


def _refuse_foreign(tables: set[str]) -> None:
    ours = set(COLUMNS) & tables
    if ours:
        names = ", ".join(sorted(ours))
        raise StoreError(
            f"the database already has tables engql did not make ({names}); "
            "use another database or file"
        )


def _create(db: Database) -> None:
    for statement in db.setup:
        db.execute(statement)
    for table, columns in COLUMNS.items():
        defined = ", ".join(
            f"{name} {db.types[kind]}"
            + ("" if kind == "id" or (table, name) in NULLABLE else " NOT NULL")
            for name, kind in columns
        )
        db.execute(f"CREATE TABLE {table} ({defined})")
    for name, table, keys in INDEXES if db.indexed else ():
        db.execute(f"CREATE INDEX {name} ON {table} ({', '.join(keys)})")
    db.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
    db.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", (VERSION,))


def _version(db: Database) -> int:
    try:
        rows = db.query(f"SELECT version FROM {VERSION_TABLE}")
    except StoreError:
        rows = []
    if len(rows) != 1 or type(rows[0][0]) is not int:
        raise StoreError(f"the store's {VERSION_TABLE} table is damaged: it must hold one version")
    version: int = rows[0][0]
    return version


def _check_columns(db: Database) -> None:
    """Every table and column of this version is there (a table with another schema is
    refused before anything is written)."""
    tables = db.tables()
    for table, columns in COLUMNS.items():
        if table not in tables:
            raise StoreError(f"the store has no {table} table; it is damaged")
        names = ", ".join(name for name, _ in columns)
        try:
            db.query(f"SELECT {names} FROM {table} WHERE 1 = 0")
        except StoreError:
            raise StoreError(
                f"the store's {table} table has other columns than engql's "
                f"({names}); it was changed by hand"
            ) from None
