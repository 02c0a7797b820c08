"""A store: a database holding engql's schema, and what runs write into it.

Every write is one transaction that leaves whole answers: a batch of Tweets' answer
replaces that batch's rows of its query in the same transaction that deletes them, so
a reader, a crash or a second writer never sees a Tweet's rows twice or half of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from engql.check import Query
from engql.executor.missing import Missing
from engql.store.database import Database, chunks, placeholders
from engql.store.fact_rows import fact_rows
from engql.store.schema import COLUMNS, ensure_schema
from engql.store.url import DUCKDB, POSTGRESQL, SQLITE, StoreError, StoreURL, parse_store_url

FACT_COLUMNS = tuple(name for name, _ in COLUMNS["facts"])
MISSING_COLUMNS = tuple(name for name, _ in COLUMNS["missing"])
DELETE_CHUNK = 500
"""Tweet IDs one DELETE names at once."""
RUNNING = "running"
"""A run's outcome until it ends; a run that crashed keeps it."""


class Store:
    """An open store; not thread-safe (the run writes from the thread that merges)."""

    def __init__(self, db: Database, url: StoreURL) -> None:
        self.db = db
        self.url = url

    @classmethod
    def open(cls, text: str) -> Store:
        """The store at URL ``text``, its schema created or upgraded; raises StoreError."""
        url = parse_store_url(text)
        db = connect(url)
        try:
            ensure_schema(db)
        except StoreError:
            db.close()
            raise
        return cls(db, url)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin_run(self, command: str, query_text: str, plan_hash: str, requests: int) -> int:
        """A new row of ``runs``; returns its run_id."""
        with self.db.transaction():
            rows = self.db.query(
                "INSERT INTO runs (command, query_text, plan_hash, started_at, "
                "requests_planned, outcome) VALUES (?, ?, ?, ?, ?, ?) RETURNING run_id",
                (command, query_text, plan_hash, _now(), requests, RUNNING),
            )
        run_id: int = rows[0][0]
        return run_id

    def end_run(self, run_id: int, outcome: str, requests_sent: int | None) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE runs SET ended_at = ?, requests_sent = ?, outcome = ? WHERE run_id = ?",
                (_now(), requests_sent, outcome, run_id),
            )

    def replace_answer(
        self,
        run_id: int,
        key: str,
        query: Query,
        answer: dict[str, Any],
        tweets: Sequence[str] | None,
        fetched_at: datetime,
    ) -> None:
        """Store ``answer`` as the rows of query ``key`` for ``tweets`` (None: all of the
        query's rows), replacing the rows it had for them, in one transaction."""
        db = self.db
        rows = fact_rows(query, answer, db.stamp, (key,), (db.stamp(fetched_at), run_id))
        with db.transaction():
            if tweets is None:
                db.execute("DELETE FROM facts WHERE query_id = ?", (key,))
            else:
                ids = [int(t) for t in tweets]
                among = placeholders(len(ids))
                db.execute(
                    f"DELETE FROM facts WHERE query_id = ? AND tweet_id IN ({among})", (key, *ids)
                )
            if rows:
                db.insert("facts", FACT_COLUMNS, rows)

    def drop_other_runs(self, key: str, run_id: int, named: Sequence[str]) -> None:
        """Rows of query ``key`` that other runs stored for Tweets not in ``named``: Tweets
        the query no longer names. Rows of the Tweets it names are left to the batches
        that replace them, so two runs of one query at once never drop each other's."""
        keep = {int(tweet) for tweet in named}
        with self.db.transaction():
            stored = self.db.query(
                "SELECT DISTINCT tweet_id FROM facts WHERE query_id = ? AND run_id <> ?",
                (key, run_id),
            )
            gone = [(tweet,) for (tweet,) in stored if tweet is not None and tweet not in keep]
            for part in chunks(gone, DELETE_CHUNK):
                ids = [tweet for (tweet,) in part]
                self.db.execute(
                    f"DELETE FROM facts WHERE query_id = ? AND run_id <> ? "
                    f"AND tweet_id IN ({placeholders(len(ids))})",
                    (key, run_id, *ids),
                )

    def record_missing(self, run_id: int, statement: int, missing: Mapping[str, Missing]) -> None:
        rows = [
            (run_id, statement, int(tweet), reason.kind.value, reason.text)
            for tweet, reason in missing.items()
        ]
        if rows:
            with self.db.transaction():
                self.db.insert("missing", MISSING_COLUMNS, rows)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of any SQL, for tests and tools reading the store."""
        return self.db.query(sql, tuple(params))


def connect(url: StoreURL) -> Database:
    """Open the database ``url`` names; raises StoreError (exit 2 or 3, the message says
    why) for a missing extra, a file that is not a database, one that cannot be reached."""
    if url.database == SQLITE:
        from engql.store.sqlite import SqliteDatabase

        return SqliteDatabase.open(url)
    if url.database == DUCKDB:
        from engql.store.duckdb import DuckDatabase

        return DuckDatabase.open(url)
    if url.database == POSTGRESQL:
        from engql.store.postgres import PostgresDatabase

        return PostgresDatabase.open(url)
    raise StoreError(f"no database for {url.shown}")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
