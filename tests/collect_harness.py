"""What the tests of ``engql collect`` share (tests/test_collect*.py).

A collection is tested against the sandbox on loopback with a clock the test moves
(``Clock``): the same time goes to the sandbox and, as ``--now``, to engql, so "now",
"the last 28 hours" and which hours have settled mean the same on both sides. engql runs
in this process (``engql.cli.main``), its output read with capsys; the store is a real
SQLite or DuckDB file in tmp_path.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from postgres_server import PostgresServer
from run_helpers import Ran, tweet_at, use_credentials

from engql.cli import main
from engql.sandbox.server import LoggedRequest, Sandbox
from engql.store.hours import Run, epoch_hour, normal
from engql.store.store import Store
from engql.times import iso

STORE_KINDS = ("sqlite", "duckdb")
DATABASES = (*STORE_KINDS, "postgresql")
SUMMARY = re.compile(r"engql: [0-9,]+ requests?, [0-9,]+ sent, .*\n")
"""The closing line of a run: how many requests it sent, which is what a collection saves."""
_names = itertools.count()


class Clock:
    """The time of the sandbox and of engql's ``--now``, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by

    @property
    def flag(self) -> list[str]:
        return ["--now", iso(self.now)]


def store_url(kind: str, folder: Path) -> str:
    """A new store file's URL (each call another file)."""
    suffix = "db" if kind == "sqlite" else "duckdb"
    return f"{kind}:///{folder / f'store-{next(_names)}.{suffix}'}"


def new_stores(kind: str, request: pytest.FixtureRequest, folder: Path) -> Callable[[], str]:
    """A maker of new, empty stores in ``kind``'s database: files in ``folder``, or
    stores (roles with schemas of their own) of the session's PostgreSQL server."""
    if kind != "postgresql":
        return lambda: store_url(kind, folder)
    request.getfixturevalue("postgres_url")  # the server, and PGPASSWORD for its stores
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_store


class Engql:
    """``engql run``, ``collect`` and ``explain`` in this process against ``api`` at
    ``clock``; each returns the exit code, stdout and stderr."""

    def __init__(self, api: Sandbox, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
        self.api, self.clock, self._capsys = api, clock, capsys

    def main(self, *args: str) -> Ran:
        self._capsys.readouterr()
        code = main(list(args))
        captured = self._capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    def run(self, query: str, *args: str) -> Ran:
        return self.main("run", query, *self._sending(), *args)

    def collect(self, query: str, store: str, *args: str) -> Ran:
        return self.main("collect", query, "--store", store, *self._sending(), *args)

    def explain(self, query: str, store: str) -> Ran:
        return self.main("explain", query, "--store", store, *self.clock.flag)

    def _sending(self) -> list[str]:
        return ["--base-url", self.api.base_url, *self.clock.flag, "--no-progress"]

    def sent(self, since: int = 0) -> list[LoggedRequest]:
        """The requests the sandbox logged, from number ``since`` + 1 on."""
        return [e for e in self.api.log.entries() if e.number > since]

    def last_number(self) -> int:
        """The highest request number logged (requests are numbered as they arrive and
        logged as they are answered, so the last one logged may not be the highest)."""
        return max((e.number for e in self.api.log.entries()), default=0)


def collection(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    now: datetime,
    **options: Any,
) -> Iterator[Engql]:
    """A sandbox whose clock starts at ``now`` (fixture bodies call this), with the
    credentials in ``ENGQL_*``."""
    clock = Clock(now)
    with Sandbox(now=clock, rate_limit=100_000, **options) as api:
        use_credentials(monkeypatch, api)
        yield Engql(api, clock, capsys)


sandboxed = contextlib.contextmanager(collection)
"""``collection`` as a ``with`` block, for a test that needs a sandbox of its own."""


def query_file(text: str) -> str:
    """A new query file holding ``text``; its name."""
    name = f"q{next(_names)}.engql"
    Path(name).write_text(text, encoding="utf-8")
    return name


def statement(
    endpoint: str,
    metrics: Sequence[str],
    tweets: Sequence[str],
    groupings: Sequence[Sequence[str]],
    time_range: tuple[str, str] | None = None,
) -> str:
    """One statement's text; groupings are named g0, g1, ..."""
    lines = [f"SELECT {', '.join(metrics)}", f"FROM {endpoint}"]
    lines.append(f"WHERE tweet IN ({', '.join(tweets)})")
    if time_range is not None:
        lines.append(f"  AND time BETWEEN {time_range[0]} AND {time_range[1]}")
    lines.extend(f"GROUP BY {', '.join(keys)} AS g{n}" for n, keys in enumerate(groupings))
    return "\n".join(lines) + ";\n"


def quoted(moment: datetime) -> str:
    return f"'{iso(moment)}'"


def tweets_before(now: datetime, ages: Sequence[timedelta]) -> list[str]:
    return [tweet_at(now - age) for age in ages]


def without_summary(err: str) -> str:
    return SUMMARY.sub("", err)


def same_answer(collected: Ran, ran: Ran, fmt: str) -> None:
    """The collection printed what the run printed: the exit code, the data (JSON
    compared parsed) and every warning; only the closing count of requests differs."""
    assert collected.code == ran.code, (collected.err, ran.err)
    if fmt == "json" and ran.out:
        assert json.loads(collected.out) == json.loads(ran.out)
    else:
        assert by_statement(collected.out) == by_statement(ran.out)
    assert without_summary(collected.err) == without_summary(ran.err)


def by_statement(lines: str) -> list[str]:
    """JSON Lines in statement order, each statement's rows in the order written: a run
    writes each statement's batches in order, but the statements' batches interleave as
    their answers arrive."""
    rows = lines.splitlines()
    return sorted(rows, key=lambda row: json.loads(row).get("statement", 0))


def hour_rows_are_unique(url: str) -> None:
    """No (Tweet, metric, hour) is stored twice among the collection's hourly facts, and
    every hour is whole."""
    with Store.open(url) as store:
        rows = store.query(
            "SELECT tweet_id, metric, bucket_start, count(*) FROM facts "
            "WHERE query_id = 'collection' GROUP BY tweet_id, metric, bucket_start "
            "HAVING count(*) > 1"
        )
    assert rows == []


def consistent(url: str) -> None:
    """No hour is stored twice, every hour the coverage calls settled is stored, once,
    for each of its (Tweet, metric), and a key's settled runs neither overlap nor touch."""
    hour_rows_are_unique(url)
    with Store.open(url) as store:
        db = store.db
        covered = store.query("SELECT tweet_id, metric, settled_from, settled_until FROM coverage")
        runs: dict[tuple[int, str], list[Run]] = {}
        for tweet, metric, start, end in covered:
            run = (epoch_hour(db.timestamp(start)), epoch_hour(db.timestamp(end)))
            runs.setdefault((tweet, metric), []).append(run)
            hours = run[1] - run[0]
            stored = store.query(
                "SELECT count(*) FROM facts WHERE query_id = 'collection' AND tweet_id = ? "
                "AND metric = ? AND bucket_start >= ? AND bucket_start < ?",
                (tweet, metric, db.timestamp(start), db.timestamp(end)),
            )
            assert stored == [(hours,)]
    for found in runs.values():  # the runs of a key are joined as they grow
        assert normal(found) == sorted(found)


def windows(entries: Sequence[LoggedRequest]) -> list[tuple[str | None, str | None, int]]:
    """Each logged request's (start, end, number of Tweets)."""
    return [
        (e.body.get("start"), e.body.get("end"), len(e.body["tweet_ids"]))
        for e in entries
        if isinstance(e.body, dict)
    ]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)
