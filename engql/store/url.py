"""Where a store is: the database URL given to ``--into`` and ``--store``.

Three schemes, each a database engql writes the same schema into:
``sqlite:///path/to/file.db`` (Python's own sqlite3), ``duckdb:///path/to/file.duckdb``
(the ``engql[duckdb]`` extra) and ``postgresql://user@host:port/db`` (psycopg 3, the
``engql[postgres]`` extra). A file path after ``sqlite://`` or ``duckdb://`` is relative
to the current folder (``sqlite:///stats.db``) or absolute (``sqlite:////srv/stats.db``),
as SQLAlchemy reads them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import attrs

from engql.exits import Exit
from engql.record import Record
from engql.redact import REDACTED, remember, remember_url, shown_url

SQLITE, DUCKDB, POSTGRESQL = "sqlite", "duckdb", "postgresql"
SCHEMES = {SQLITE: SQLITE, DUCKDB: DUCKDB, POSTGRESQL: POSTGRESQL, "postgres": POSTGRESQL}
"""Scheme → the database it names (``postgres://`` is libpq's other spelling)."""
FILE_SCHEMES = (SQLITE, DUCKDB)
_PASSWORD_OPTION = re.compile(r"([?&]password=)([^&#]*)", re.IGNORECASE)
"""libpq's ``password`` option in a URL's query, which may hold the password instead."""


class StoreError(Exception):
    """A store that cannot be used; the message says which and why, and ``exit`` is the
    documented exit code: 2 for what the URL or the file is, 3 for a database that
    cannot be reached or refuses the connection."""

    def __init__(self, message: str, exit: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit = exit


@attrs.frozen(repr=False)
class StoreURL(Record):
    """A parsed store URL: the database it names and where."""

    database: str
    """sqlite, duckdb or postgresql."""
    text: str = attrs.field(repr=False)
    """The URL as given; it may hold a password, so it is never shown (``shown`` is)."""
    path: str | None = None
    """The file of sqlite and duckdb."""

    @property
    def shown(self) -> str:
        """The URL as messages show it: any user name and password (before the ``@`` or
        as the ``password`` option) as ``<redacted>``."""
        return shown_store_url(self.text)


def shown_store_url(text: str) -> str:
    """``text`` as messages show it: user name, password and password option redacted."""
    return _PASSWORD_OPTION.sub(rf"\g<1>{REDACTED}", shown_url(text))


def parse_store_url(text: str) -> StoreURL:
    """The store ``text`` names; raises StoreError (exit 2) for anything else."""
    remember_url(text)
    for _, password in _PASSWORD_OPTION.findall(text):
        remember(unquote(password))
        remember(password)
    scheme, _, rest = text.partition("://")
    database = SCHEMES.get(scheme.lower()) if rest or scheme else None
    if not rest or database is None:
        raise StoreError(
            f"{shown_store_url(text)!r} is not a store URL; use sqlite:///FILE.db, "
            "duckdb:///FILE.duckdb or postgresql://USER@HOST:PORT/DATABASE"
        )
    if database in FILE_SCHEMES:
        if not rest.startswith("/") or rest == "/":
            raise StoreError(
                f"{shown_store_url(text)!r}: a {database} URL names a file after three slashes, "
                f"as {database}:///stats.db (relative) or {database}:////srv/stats.db (absolute)"
            )
        path = unquote(rest[1:].split("?", 1)[0])
        if "\0" in path:
            raise StoreError(f"{shown_store_url(text)!r}: the file name holds a NUL character")
        return StoreURL(database, text, path)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # reading it checks it
    except ValueError as error:
        raise StoreError(f"{shown_store_url(text)!r} is not a PostgreSQL URL: {error}") from None
    return StoreURL(database, text)
