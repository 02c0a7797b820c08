"""The one small interface every database of a store has, and how to open one.

A store's code speaks this interface only: plain SQL with ``?`` placeholders, written
in the subset SQLite, DuckDB and PostgreSQL share, rows in and out as tuples, and
transactions. Times go in as ``stamp`` makes them (query parameters may be aware UTC
datetimes) and come back as ``timestamp`` makes them; each database keeps them in its
own timestamp type (SQLite, which has none, as ``YYYY-MM-DD HH:MM:SS`` text in UTC, the
form of its own ``datetime()``). A database's
driver is imported only when a URL names it, so a missing extra costs nothing until
then.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from engql.store.url import StoreError

Row = tuple[Any, ...]


class Database(Protocol):
    """An open connection to a store's database."""

    name: str
    """How messages name it: SQLite, DuckDB or PostgreSQL."""

    @property
    def types(self) -> Mapping[str, str]:
        """The column types of the schema in this database: ``id`` (a run's number, made
        by the database), ``bigint``, ``integer``, ``text`` and ``timestamp``."""

    @property
    def setup(self) -> Sequence[str]:
        """Statements to run before the tables are made (DuckDB's sequence of run IDs)."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one statement."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, no rows."""

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Many rows at once, the fastest way this database has."""

    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction, committed when the block ends and rolled back on an error.
        Writers of one store take turns: two processes never interleave their writes."""

    def stamp(self, moment: datetime) -> Any:
        """What a row given to ``insert`` holds for the UTC time ``moment``."""

    def timestamp(self, value: Any) -> datetime:
        """A timestamp column's value as an aware UTC datetime."""

    def tables(self) -> set[str]:
        """The names of the tables in the database (lower case)."""

    def close(self) -> None: ...


def require(module: str, extra: str, database: str) -> Any:
    """Import a database's driver, or say in one line what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise StoreError(
            f"a {database} store needs the {module} package: pip install 'engql[{extra}]'"
        ) from None


def placeholders(count: int) -> str:
    return ", ".join(["?"] * count)


def chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for at in range(0, len(rows), size):
        yield rows[at : at + size]
