"""A store in DuckDB (the ``engql[duckdb]`` extra).

DuckDB lets one process at a time write a file: a second writer waits for the first to
close it (up to ``LOCK_WAIT`` seconds), so two collections take turns. Rows go in a
column at a time as typed lists (``unnest``), DuckDB's fastest path from Python values;
times as epoch seconds.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from engql.exits import Exit
from engql.store.database import Row, require
from engql.store.url import StoreError, StoreURL
from engql.times import as_utc

LOCK_WAIT = 60.0
"""Seconds to wait for another process to let go of the file."""
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

    def __init__(self, connection: Any, errors: Any) -> None:
        self._connection = connection
        self._errors = errors

    @classmethod
    def open(cls, url: StoreURL) -> DuckDatabase:
        duckdb = require("duckdb", "duckdb", "DuckDB")
        path = url.path or ""
        if os.path.isdir(path):
            raise StoreError(f"{url.shown}: {path} is a folder, not a database file")
        waited_until = time.monotonic() + LOCK_WAIT
        while True:
            try:
                connection = duckdb.connect(path)
                break
            except duckdb.IOException as error:
                text = str(error)
                if "lock" in text.lower() and time.monotonic() < waited_until:
                    time.sleep(0.2)
                    continue
                if "lock" in text.lower():
                    raise StoreError(
                        f"{url.shown}: {path} is in use by another process "
                        f"(waited {LOCK_WAIT:g} s)",
                        Exit.CONFIG,
                    ) from None
                raise StoreError(f"{url.shown}: {path} is not a DuckDB database") from None
            except duckdb.Error as error:
                raise StoreError(f"{url.shown}: cannot open {path} ({error})") from None
        connection.execute("SET TimeZone = 'UTC'")
        return cls(connection, duckdb.Error)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        rows: list[Row] = self._connection.execute(sql, list(params)).fetchall()
        return rows

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, list(params))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        from engql.store.schema import COLUMNS

        kinds = dict(COLUMNS[table])
        selected = []
        for name in columns:
            kind = kinds[name]
            listed = f"unnest(?::{_SQL_TYPES[kind]}[])"
            selected.append(f"to_timestamp({listed})" if kind == "timestamp" else listed)
        values = [list(column) for column in zip(*rows, strict=True)]
        self._connection.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)}", values
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def stamp(self, moment: datetime) -> Any:
        return int(moment.timestamp())

    def timestamp(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return as_utc(value)
        return datetime.fromtimestamp(value, UTC)

    def tables(self) -> set[str]:
        rows = self.query("SELECT lower(table_name) FROM information_schema.tables")
        return {name for (name,) in rows}

    def close(self) -> None:
        self._connection.close()
