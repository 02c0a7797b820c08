"""``engql collect`` and ``engql explain --store`` on the command line: /totals
snapshots, what explain says of a store (and that it changes nothing), usage errors and
credentials (engql/store/collect.py, engql/store/explain.py, engql/run_command.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from collect_harness import (
    Engql,
    collection,
    hour_rows_are_unique,
    query_file,
    same_answer,
    statement,
    store_url,
    tweets_before,
    utc,
)
from store_helpers import sql

from engql import facts
from engql.exits import Exit
from engql.store.store import Store

T0 = utc(2024, 7, 1, 12, 17)
TWEET_TYPE = (facts.TWEET_ID, facts.ENGAGEMENT_TYPE)
IDS = tweets_before(T0, [timedelta(days=70, hours=3), timedelta(days=65, minutes=9)])
HISTORICAL = statement(
    "historical", ["impressions", "favorites"], IDS, [TWEET_TYPE], ("'2024-05-01'", "'2024-06-12'")
)
"""Two Tweets over 42 days, settled long ago: two windows each."""
TOTALS = statement(
    "totals", ["impressions", "favorites"], IDS, [TWEET_TYPE, (facts.ENGAGEMENT_TYPE,)]
)
JSON = ["--format", "json"]


@pytest.fixture
def engql(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Engql]:
    yield from collection(monkeypatch, capsys, T0)


# /totals: a snapshot each time -------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_each_collection_of_totals_stores_a_new_snapshot(
    engql: Engql, tmp_path: Path, kind: str
) -> None:
    url = store_url(kind, tmp_path)
    query = query_file(TOTALS + HISTORICAL)
    for day in range(3):
        if day:
            engql.clock.advance(timedelta(days=1, hours=2))
        collected = engql.collect(query, url, *JSON)
        assert collected.code == Exit.OK
        same_answer(collected, engql.run(query, *JSON), "json")
    with Store.open(url) as store:
        snapshots = store.query(
            "SELECT query_id, fetched_at, count(*) FROM facts WHERE query_id LIKE 'snapshot-%' "
            "AND grain = 'total' GROUP BY query_id, fetched_at ORDER BY fetched_at"
        )
        other = store.query(
            "SELECT count(*) FROM facts WHERE query_id NOT IN ('collection') "
            "AND query_id NOT LIKE 'snapshot-%'"
        )
    assert len({key for key, _, _ in snapshots}) == 1
    assert len({at for _, at, _ in snapshots}) == 3
    assert [rows for _, _, rows in snapshots] == [2 * 2 + 2] * 3  # per Tweet, and per metric
    assert other == [(0,)]
    hour_rows_are_unique(url)


# explain --store --------------------------------------------------------------------


def described(engql: Engql, query: str, url: str) -> str:
    """What ``engql explain --store`` adds to the plan's explanation; it sends nothing."""
    before = engql.last_number()
    plain = engql.main("explain", query, *engql.clock.flag)
    explained = engql.explain(query, url)
    assert explained.code == Exit.OK, explained.err
    assert explained.out.startswith(plain.out)
    assert engql.last_number() == before
    return explained.out[len(plain.out) :]


def test_explain_says_what_is_stored_and_what_is_left(engql: Engql, tmp_path: Path) -> None:
    url = store_url("sqlite", tmp_path)
    query = query_file(HISTORICAL + TOTALS)
    first_only = query_file(HISTORICAL.replace(f"{IDS[0]}, {IDS[1]}", IDS[0]))
    assert described(engql, query, url) == (
        f"collecting into {url}:\n"
        "  statement 1: 2 Tweets × 42 days: 0 of 4 Tweet-windows stored\n"
        "  statement 2: /totals, a new snapshot each time\n"
        "  3 requests to send; at 60 requests/minute: under a minute\n"
    )
    assert engql.collect(first_only, url, *JSON).code == Exit.OK
    assert described(engql, query, url) == (
        f"collecting into {url}:\n"
        "  statement 1: 2 Tweets × 42 days: 2 of 4 Tweet-windows stored\n"
        "  statement 2: /totals, a new snapshot each time\n"
        "  3 requests to send; at 60 requests/minute: under a minute\n"
    )
    assert engql.collect(query, url, *JSON).code == Exit.OK
    assert described(engql, query, url) == (
        f"collecting into {url}:\n"
        "  statement 1: 2 Tweets × 42 days: 4 of 4 Tweet-windows stored\n"
        "  statement 2: /totals, a new snapshot each time\n"
        "  1 request to send; at 60 requests/minute: under a minute\n"
    )
    historical = query_file(HISTORICAL)
    assert described(engql, historical, url).endswith(
        "  statement 1: 2 Tweets × 42 days: 4 of 4 Tweet-windows stored\n  0 requests to send\n"
    )
    before = engql.last_number()
    assert engql.collect(historical, url, *JSON).code == Exit.OK
    assert engql.last_number() == before


def test_explain_changes_no_store(engql: Engql, tmp_path: Path) -> None:
    """Explaining creates no store file, and writes nothing into one that exists."""
    query = query_file(HISTORICAL)
    for kind in ("sqlite", "duckdb"):
        url = store_url(kind, tmp_path)
        path = Path(url.split(":///", 1)[1])
        described(engql, query, url)
        assert not path.exists()
        assert engql.collect(query, url, *JSON).code == Exit.OK
        with Store.open(url) as store:
            runs = store.query("SELECT count(*) FROM runs")
        stamp = path.stat().st_mtime_ns, path.stat().st_size
        described(engql, query, url)
        with Store.open(url) as store:
            assert store.query("SELECT count(*) FROM runs") == runs
        assert (path.stat().st_mtime_ns, path.stat().st_size) == stamp


# usage errors and credentials ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "the following arguments are required: --store"),
        (["--store", "sqlite:///s.db", "--settle", "5x"], "'5x' is not a duration"),
        (["--store", "sqlite:///s.db", "--settle", "12"], "'12' is not a duration"),
        (["--store", "mysql://localhost/db"], "is not a store URL"),
        (["--store", "sqlite://s.db"], "names a file after three slashes"),
        (["--store", "sqlite:///."], "is a folder, not a database file"),
    ],
)
def test_bad_arguments_are_usage_errors_and_send_nothing(
    engql: Engql, tmp_path: Path, args: list[str], says: str
) -> None:
    query = query_file(HISTORICAL)
    done = engql.main("collect", query, *args, "--base-url", engql.api.base_url, *engql.clock.flag)
    assert done.code == Exit.USAGE
    assert says in done.err
    assert done.out == ""
    assert engql.api.log.entries() == []
    assert not (tmp_path / "s.db").exists()
    if args and "--settle" not in args:
        assert done.err.count("\n") == 1  # one line


def test_credentials_are_needed_only_when_something_must_be_sent(
    engql: Engql, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = store_url("sqlite", tmp_path)
    query = query_file(HISTORICAL)
    collected = engql.collect(query, url, *JSON)
    assert collected.code == Exit.OK
    for name in list(os.environ):
        if name.startswith("ENGQL_"):
            monkeypatch.delenv(name)
    before = engql.last_number()
    again = engql.main("collect", query, "--store", url, *engql.clock.flag, *JSON)
    assert again.code == Exit.OK, again.err
    assert again.out == collected.out
    more = query_file(HISTORICAL + TOTALS)
    refused = engql.main("collect", more, "--store", url, *engql.clock.flag, *JSON)
    assert refused.code == Exit.CONFIG
    assert "credentials missing for this query: set ENGQL_" in refused.err
    assert refused.out == ""
    assert engql.last_number() == before


def test_collect_with_the_builtin_sandbox_at_a_fixed_time(engql: Engql, tmp_path: Path) -> None:
    """``--now`` sets the clock of ``--sandbox`` too, so a collection against it is what
    a run against it prints, and the second collection sends nothing new."""
    url = store_url("sqlite", tmp_path)
    query = query_file(HISTORICAL + TOTALS)
    now = ["--now", "2024-07-01T12:17:00Z", "--sandbox", *JSON]
    ran = engql.main("run", query, *now)
    for _ in range(2):
        collected = engql.main("collect", query, "--store", url, *now)
        same_answer(collected, ran, "json")
    assert "1 request, 1 sent" in collected.err


def test_raw_shows_what_the_collection_sent(engql: Engql, tmp_path: Path) -> None:
    """A collection's answer comes from the store; ``--format raw``, the attempts as
    they went over the wire, shows the ones it sent (none when nothing was lacking)."""
    url = store_url("sqlite", tmp_path)
    query = query_file(HISTORICAL)
    first = engql.collect(query, url, "--format", "raw")
    assert first.code == Exit.OK
    lines = [json.loads(line) for line in first.out.splitlines()]
    bodies = sorted(json.dumps(line["request"]["body"]) for line in lines)
    assert bodies == sorted(json.dumps(e.body) for e in engql.sent())
    assert {line["status"] for line in lines} == {200}
    assert all(set(line["request"]["body"]["groupings"]) == {"hours"} for line in lines)
    again = engql.collect(query, url, "--format", "raw")
    assert (again.code, again.out) == (Exit.OK, "")


# a store that fails during a collection -----------------------------------------------

REFUSING = "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
"""A trigger's body that refuses a write as a full disk does."""


@pytest.mark.parametrize(
    ("table", "query"),
    [("facts", HISTORICAL), ("coverage", HISTORICAL), ("missing", HISTORICAL + TOTALS)],
)
def test_a_store_that_fails_during_a_collection_stops_it_in_one_line(
    engql: Engql, tmp_path: Path, table: str, query: str
) -> None:
    """A write refused while the hours are stored, or after them (the missing Tweets of
    the answer): exit 3, one line naming the store, no data, ``runs`` says failed."""
    url = store_url("sqlite", tmp_path)
    Store.open(url).close()
    sql(url, f"CREATE TRIGGER refuse BEFORE INSERT ON {table} {REFUSING}")
    old = tweets_before(T0, [timedelta(days=200)])[0]  # too old for /totals' impressions
    done = engql.collect(query_file(query.replace(IDS[1], old)), url, *JSON)
    assert done.code == Exit.CONFIG, done.err
    assert done.out == ""
    assert done.err.endswith(f"engql: --store: {url}: database or disk is full\n")
    assert "Traceback" not in done.err and "internal error" not in done.err
    assert sql(url, "SELECT command, outcome FROM runs") == [("collect", "failed")]
