"""A store in DuckDB (the ``engql[duckdb]`` extra).

DuckDB lets one process at a time open a file for writing: a second writer waits for
the first to close it (up to ``LOCK_WAIT`` seconds) before it sends anything, so two
runs take turns, whole. Rows go in a column at a time as typed lists (``unnest``),
DuckDB's fastest path from Python values; times as epoch seconds.

The schema's indexes are not made (``indexed``): on a 2-core machine, storing 1.7 million
hourly facts batch by batch and then replacing them took 113 s with the index and 40 s
without, the file was 145 MB instead of 10 MB, and finding one Tweet's rows took 2 ms
either way (DuckDB skips row groups by their min/max). Extensions are never installed or
loaded: DuckDB would fetch one from the internet to read a SQLite file.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from engql.exits import Exit
from engql.store.database import Row, check_file, failures, reason, require
from engql.store.url import StoreError, StoreURL
from engql.times import as_utc

LOCK_WAIT = 60.0
"""Seconds to wait for another process to let go of the file."""
LOCK_POLL = 0.2
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_SQL_TYPES = {"bigint": "BIGINT", "integer": "INTEGER", "text": "TEXT", "timestamp": "BIGINT"}
"""The list type each column kind is handed over as (timestamps as epoch seconds)."""


class DuckDatabase:
    name = "DuckDB"
    types: ClassVar[Mapping[str, str]] = {
        "id": "BIGINT PRIMARY KEY DEFAULT nextval('engql_run_ids')",
        "bigint": "BIGINT",
        "integer": "INTEGER",
        "text": "TEXT",
        "timestamp": "TIMESTAMPTZ",
    }
    setup = ("CREATE SEQUENCE engql_run_ids",)
    indexed = False

    def __init__(self, connection: Any, errors: type[BaseException], where: str) -> None:
        self._connection = connection
        self._errors = errors
        self._where = where

    @classmethod
    def open(cls, url: StoreURL) -> DuckDatabase:
        duckdb = require("duckdb", "duckdb", cls.name)
        path = check_file(url, cls.name)
        waited_until = time.monotonic() + LOCK_WAIT
        while True:
            try:
                connection = duckdb.connect(path, config=CONFIG)
                break
            except duckdb.Error as error:
                if not _locked(error):
                    raise StoreError(
                        f"{url.shown}: {path} cannot be opened as a DuckDB database "
                        f"({_without_prefix(reason(error))})"
                    ) from None
                if time.monotonic() >= waited_until:
                    raise StoreError(
                        f"{url.shown}: {path} is in use by another process "
                        f"(waited {LOCK_WAIT:g} s)",
                        Exit.CONFIG,
                    ) from None
                time.sleep(LOCK_POLL)
        db = cls(connection, duckdb.Error, url.shown)
        try:
            db.execute("SET TimeZone = 'UTC'")
        except StoreError:
            db.close()
            raise
        return db

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with failures(self._errors, self._where):
            rows: list[Row] = self._connection.execute(sql, list(params)).fetchall()
            return rows

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with failures(self._errors, self._where):
            self._connection.execute(sql, list(params))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        from engql.store.schema import COLUMNS

        if not rows:
            return
        kinds = dict(COLUMNS[table])
        selected = []
        for name in columns:
            kind = kinds[name]
            listed = f"unnest(?::{_SQL_TYPES[kind]}[])"
            selected.append(f"to_timestamp({listed})" if kind == "timestamp" else listed)
        values = [list(column) for column in zip(*rows, strict=True)]
        self.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)}", values
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            with contextlib.suppress(self._errors):  # a failed transaction may be gone
                self._connection.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def epoch_hour(self, column: str) -> str:
        return f"(CAST(epoch({column}) AS BIGINT) // 3600)"

    def day_of(self, column: str) -> str:
        return f"date_trunc('day', {column})"

    def stamp(self, moment: datetime) -> Any:
        return int(moment.timestamp())

    def timestamp(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return as_utc(value)
        return datetime.fromtimestamp(value, UTC)

    def tables(self) -> set[str]:
        rows = self.query(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = current_schema()"
        )
        return {name for (name,) in rows}

    def close(self) -> None:
        with contextlib.suppress(self._errors):
            self._connection.close()


def _locked(error: BaseException) -> bool:
    """DuckDB's refusal of a file another process holds (it has no error code for it)."""
    text = str(error).lower()
    return "could not set lock" in text or "conflicting lock" in text


def _without_prefix(text: str) -> str:
    """DuckDB's message without its ``IO Error: `` kind."""
    kind, colon, rest = text.partition(": ")
    return rest if colon and kind.endswith("Error") else text
