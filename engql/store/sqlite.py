"""A store in SQLite, Python's own: WAL, so readers query while a collection writes, and
``BEGIN IMMEDIATE``, so two writers take turns instead of failing halfway."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from engql.exits import Exit
from engql.store.database import Row, check_file, failures, placeholders, reason
from engql.store.url import StoreError, StoreURL

BUSY_TIMEOUT_MS = 60_000
"""How long a writer waits for another to finish its transaction."""
_TEXT_TIME = "%Y-%m-%d %H:%M:%S"


class SqliteDatabase:
    name = "SQLite"
    types: ClassVar[Mapping[str, str]] = {
        "id": "INTEGER PRIMARY KEY",
        "bigint": "INTEGER",
        "integer": "INTEGER",
        "text": "TEXT",
        "timestamp": "TIMESTAMP",
    }
    setup = ()
    indexed = True

    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self._connection = connection
        self._where = where

    @classmethod
    def open(cls, url: StoreURL) -> SqliteDatabase:
        path = check_file(url, cls.name)
        try:
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"{url.shown}: cannot open {path} ({reason(error)})") from None
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL").fetchall()
            connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            connection.close()
            if _not_a_database(error):
                raise StoreError(f"{url.shown}: {path} is not a SQLite database") from None
            raise StoreError(
                f"{url.shown}: cannot open {path} ({reason(error)})", Exit.CONFIG
            ) from None
        return cls(connection, url.shown)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with failures(sqlite3.Error, self._where):
            return self._connection.execute(sql, _values(params)).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with failures(sqlite3.Error, self._where):
            self._connection.execute(sql, _values(params))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))})"
        with failures(sqlite3.Error, self._where):
            self._connection.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back itself
                self._connection.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def epoch_hour(self, column: str) -> str:
        return f"(CAST(strftime('%s', {column}) AS INTEGER) / 3600)"

    def day_of(self, column: str) -> str:
        return f"substr({column}, 1, 10)"

    def stamp(self, moment: datetime) -> Any:
        return text_time(moment)

    def timestamp(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.strptime(value, _TEXT_TIME).replace(tzinfo=UTC)

    def tables(self) -> set[str]:
        rows = self.query("SELECT lower(name) FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._connection.close()


def text_time(moment: datetime) -> str:
    """A UTC time as SQLite's ``datetime()`` writes it, so text comparisons order it."""
    return moment.astimezone(UTC).strftime(_TEXT_TIME)


def _not_a_database(error: sqlite3.Error) -> bool:
    """SQLite's words for a file that is not one of its databases (or is damaged)."""
    return getattr(error, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def _values(params: Sequence[Any]) -> Sequence[Any]:
    if not any(isinstance(value, datetime) for value in params):
        return params
    return [text_time(v) if isinstance(v, datetime) else v for v in params]
