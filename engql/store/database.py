"""The one small interface every database of a store has, and how to open one.

A store's code speaks this interface only: plain SQL with ``?`` placeholders, written
in the subset SQLite, DuckDB and PostgreSQL share, rows in and out as tuples, and
transactions. Times go in as ``stamp`` makes them (query parameters may be aware UTC
datetimes) and come back as ``timestamp`` makes them; each database keeps them in its
own timestamp type (SQLite, which has none, as ``YYYY-MM-DD HH:MM:SS`` text in UTC, the
form of its own ``datetime()``). A database's driver is imported only when a URL names
it, so a missing extra costs nothing until then.

Whatever the driver raises once the database is open (a full disk, a server gone, a
lock held too long) comes out of every method as a StoreError of exit 3, one line
naming the store: a run reports it and stops, never with a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from engql.exits import Exit
from engql.redact import scrub
from engql.store.url import StoreError, StoreURL

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

    @property
    def indexed(self) -> bool:
        """Whether the schema's indexes are made (not in DuckDB, which finds rows about
        as fast without them: engql/store/duckdb.py says what was measured)."""

    def epoch_hour(self, column: str) -> str:
        """SQL for the hours since 1970-01-01T00Z of a timestamp ``column`` (on the hour),
        as an integer: what a reader of millions of hours asks for, not timestamps."""

    def day_of(self, column: str) -> str:
        """SQL for the UTC day of a timestamp ``column``, cheap for every row, as a value
        ``epoch_hour`` reads (its midnight)."""

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


def reason(error: BaseException) -> str:
    """A driver's error as one line, scrubbed of any secret this process knows."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return scrub(lines[0] if lines else type(error).__name__)


@contextlib.contextmanager
def failures(
    errors: type[BaseException] | tuple[type[BaseException], ...], where: str
) -> Iterator[None]:
    """The driver's ``errors`` as StoreError (exit 3) naming the store ``where``."""
    try:
        yield
    except errors as error:
        raise StoreError(f"{where}: {reason(error)}", Exit.CONFIG) from None


SIGNATURES = {"SQLite": (0, b"SQLite format 3\0"), "DuckDB": (8, b"DUCK")}
"""Where each embedded database's files say what they are: offset and bytes."""
URL_SCHEMES = {"SQLite": "sqlite", "DuckDB": "duckdb"}


def check_file(url: StoreURL, database: str) -> str:
    """The file of a sqlite or duckdb URL, refused (StoreError, exit 2) when it is a
    folder or no file at all (a device, a pipe), is in a folder that does not exist, or
    is the other database's file: no driver is given a file it would fail on, or read
    with an extension of its own."""
    path = url.path or ""
    if os.path.isdir(path):
        raise StoreError(f"{url.shown}: {path} is a folder, not a database file")
    if os.path.exists(path) and not os.path.isfile(path):
        raise StoreError(f"{url.shown}: {path} is not a file")
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise StoreError(f"{url.shown}: there is no folder {folder} to keep {path} in")
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except FileNotFoundError:
        return path
    except OSError as error:
        raise StoreError(
            f"{url.shown}: cannot read {path} ({error.strerror})", Exit.CONFIG
        ) from None
    for other, (offset, signature) in SIGNATURES.items():
        if other != database and head[offset : offset + len(signature)] == signature:
            raise StoreError(
                f"{url.shown}: {path} is a {other} database, not a {database} one; "
                f"use {URL_SCHEMES[other]}:///{path}"
            )
    return path


def placeholders(count: int) -> str:
    return ", ".join(["?"] * count)


def chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for at in range(0, len(rows), size):
        yield rows[at : at + size]
