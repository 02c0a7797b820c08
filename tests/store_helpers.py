"""What the stores' tests (tests/test_store_*.py) share: reading a store with plain SQL
through each database's own driver, not through engql's code, so a test sees what a
user's SQL sees.

SQL here is written with ``?`` placeholders, as engql's is; psycopg's ``%s`` is made
from them. Timestamps come back as aware UTC datetimes from all three databases
(SQLite keeps them as ``YYYY-MM-DD HH:MM:SS`` text in UTC).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from engql.store.url import parse_store_url

QUERY = """\
SELECT impressions, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-06-01T00:00:00Z' AND '2024-06-03T00:00:00Z'
GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour AS hourly;
"""
"""Two days of two metrics, hourly: 96 rows a Tweet, one window, 25 Tweets a batch."""
ROWS_PER_TWEET = 2 * 48


@contextlib.contextmanager
def connected(url: str) -> Iterator[Any]:
    """A plain DB-API connection of the store ``url`` names (DuckDB's in UTC)."""
    parsed = parse_store_url(url)
    if parsed.database == "sqlite":
        connection: Any = sqlite3.connect(parsed.path or "", timeout=30)
    elif parsed.database == "duckdb":
        import duckdb

        connection = duckdb.connect(parsed.path or "")
        connection.execute("SET TimeZone = 'UTC'")
    else:
        import psycopg

        connection = psycopg.connect(url, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


def sql(url: str, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of one statement; a statement without rows gives []."""
    with connected(url) as connection:
        if parse_store_url(url).database == "postgresql":
            text = text.replace("?", "%s")
        # Without parameters the text goes as it is: psycopg reads a % as a placeholder.
        cursor = connection.execute(text, tuple(params)) if params else connection.execute(text)
        found = cursor.fetchall() if cursor.description else []
        if parse_store_url(url).database == "sqlite":
            connection.commit()
        return [tuple(row) for row in found]


def utc(value: Any) -> datetime:
    """A timestamp column's value as an aware UTC datetime, whichever database gave it."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def last_run(url: str) -> int:
    found: int = sql(url, "SELECT max(run_id) FROM runs")[0][0]
    return found
