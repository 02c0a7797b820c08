"""A store in PostgreSQL (psycopg 3, the ``engql[postgres]`` extra).

The URL is libpq's, so a password the URL does not name comes from the ``PG*``
variables or ``~/.pgpass`` as for psql; libpq never puts it in a message, and a
password in the URL is scrubbed from any. Writers take turns through a
transaction-level advisory lock, so two runs never interleave the delete and insert of
the same rows. Rows go in with ``COPY``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from engql.exits import Exit
from engql.store.database import Row, failures, reason, require
from engql.store.url import StoreError, StoreURL
from engql.times import as_utc

CONNECT_TIMEOUT = 10
WRITE_LOCK = 0x656E67716C
"""The advisory lock a store's writers take in turn ("engql" in ASCII)."""


class PostgresDatabase:
    name = "PostgreSQL"
    types: ClassVar[Mapping[str, str]] = {
        "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "bigint": "BIGINT",
        "integer": "INTEGER",
        "text": "TEXT",
        "timestamp": "TIMESTAMPTZ",
    }
    setup = ()
    indexed = True

    def __init__(self, connection: Any, errors: type[BaseException], where: str) -> None:
        self._connection = connection
        self._errors = errors
        self._where = where

    @classmethod
    def open(cls, url: StoreURL) -> PostgresDatabase:
        psycopg = require("psycopg", "postgres", cls.name)
        scheme, _, rest = url.text.partition("://")
        dsn = f"{scheme.lower()}://{rest}"  # libpq knows the schemes in lower case only
        try:
            connection = psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as error:
            raise StoreError(
                f"{url.shown}: cannot connect ({_without_prefix(reason(error))})", Exit.CONFIG
            ) from None
        except ValueError as error:  # libpq could not read the URL's options
            raise StoreError(f"{url.shown}: {reason(error)}") from None
        db = cls(connection, psycopg.Error, url.shown)
        try:
            db.execute("SET TIME ZONE 'UTC'")
        except StoreError:
            db.close()
            raise
        return db

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with failures(self._errors, self._where):
            cursor = self._connection.execute(_pyformat(sql), tuple(params))
            rows: list[Row] = cursor.fetchall() if cursor.description else []
            return rows

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with failures(self._errors, self._where):
            self._connection.execute(_pyformat(sql), tuple(params))

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        with (
            failures(self._errors, self._where),
            self._connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with failures(self._errors, self._where), self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield

    def epoch_hour(self, column: str) -> str:
        return f"(CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT) / 3600)"

    def day_of(self, column: str) -> str:
        return f"date_trunc('day', {column})"

    def stamp(self, moment: datetime) -> Any:
        return moment

    def timestamp(self, value: Any) -> datetime:
        return as_utc(value)

    def tables(self) -> set[str]:
        rows = self.query(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
        return {name for (name,) in rows}

    def close(self) -> None:
        with contextlib.suppress(self._errors):
            self._connection.close()


def _pyformat(sql: str) -> str:
    """engql's ``?`` placeholders as psycopg's ``%s``, and a ``%`` of the SQL itself (the
    modulo operator) as ``%%``; engql's SQL has no ``?`` but its placeholders."""
    return sql.replace("%", "%%").replace("?", "%s")


def _without_prefix(text: str) -> str:
    """libpq's message without psycopg's ``connection failed: `` before it."""
    return text.removeprefix("connection failed: ")
