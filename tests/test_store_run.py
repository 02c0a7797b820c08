"""``engql run FILE --into URL`` in SQLite, DuckDB and PostgreSQL, against the sandbox.

The facts a run stores, read back with plain SQL, are exactly the rows ``--format jsonl
--long`` prints (a property over random queries); running a query again replaces its
rows; ``runs`` and ``missing`` say what each run did; a run killed with SIGKILL leaves
whole batches only; two runs into one store at once both finish and leave it
consistent. Runs are in-process (``engql.cli.main``) except where a process must be
killed or two must run at once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run_helpers import (
    NOW,
    NOW_TEXT,
    Ran,
    credential_env,
    ids_param,
    tweets,
    use_credentials,
)
from store_helpers import QUERY, ROWS_PER_TWEET, last_run, sql, utc

import engql
from engql import facts
from engql.executor.journal import plan_hash
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

RECENT = tweets(30, NOW - timedelta(days=29), timedelta(hours=23))
"""Tweets created over the four weeks before NOW: engagement in every window drawn."""
UNAVAILABLE = RECENT[7]
"""The one Tweet the module's sandbox says is deleted."""
MANY = tweets(100, datetime(2024, 3, 1, tzinfo=UTC), timedelta(hours=6))
"""Four batches of QUERY (25 Tweets a request, one window each)."""


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """The module's sandbox: the suite's clock, no rate limit to meet, one deleted Tweet."""
    with Sandbox(now=NOW, rate_limit=100_000, unavailable=[UNAVAILABLE]) as api:
        yield api


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[Sandbox]:
    """A sandbox that takes 100 ms over each request: a run of MANY, one request at a
    time, lasts more than half a second."""
    with Sandbox(now=NOW, rate_limit=100_000, latency_ms=100) as api:
        yield api


RunInto = Callable[..., Ran]


@pytest.fixture
def run_into(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran], tmp_path: Path
) -> RunInto:
    """``engql run`` of query ``text`` over ``ids`` into ``url``, against the module's
    sandbox at the suite's clock, with any more flags."""
    use_credentials(monkeypatch, api)

    def run(url: str, text: str, ids: Sequence[str] = (), *flags: str) -> Ran:
        query = tmp_path / "q.engql"
        query.write_text(text, encoding="utf-8")
        params = ids_param(ids) if ids else []
        return engql_run(
            str(query), *params, "--base-url", api.base_url, "--now", NOW_TEXT,
            "--into", url, "--no-progress", *flags,
        )  # fmt: skip

    return run


# The property: what a run stores is what it prints.


def key_orders(endpoint: str) -> list[tuple[str, ...]]:
    keys = facts.ENDPOINTS[endpoint].group_keys
    return [p for size in range(1, min(len(keys), 3) + 1) for p in permutations(keys, size)]


def wire(moment: datetime) -> str:
    return moment.strftime(facts.WIRE_TIME_FORMAT)


@st.composite
def statements(draw: st.DrawFn, number: int) -> str:
    """A statement the API answers, its groupings named ``s<number>_<n>``: any endpoint,
    metrics and Tweets (the deleted one among them at times), any grouping the endpoint
    offers (by Tweet or not, by day, hour, both, or hour of day alone)."""
    endpoint = draw(st.sampled_from(sorted(facts.ENDPOINTS)))
    api = facts.ENDPOINTS[endpoint]
    metrics = draw(st.lists(st.sampled_from(api.metrics), min_size=1, max_size=3, unique=True))
    ids = draw(st.lists(st.sampled_from(RECENT), min_size=1, max_size=30, unique=True))
    orders = draw(st.lists(st.sampled_from(key_orders(endpoint)), min_size=1, max_size=3))
    if len(api.group_keys) == 4 and draw(st.booleans()):
        orders[-1] = draw(st.sampled_from(facts.FOUR_KEY_ORDERS))
    text = f"SELECT {', '.join(metrics)}\nFROM {endpoint}\nWHERE tweet IN ({', '.join(ids)})"
    if api.takes_time_range:
        start = NOW - timedelta(hours=draw(st.integers(24, 24 * 35)))
        end = min(start + timedelta(hours=draw(st.integers(1, 24 * 30))), NOW)
        text += f"\n  AND time BETWEEN '{wire(start)}' AND '{wire(end)}'"
    for n, keys in enumerate(orders):
        text += f"\nGROUP BY {', '.join(keys)} AS s{number}_{n}"
    return text + ";\n"


@st.composite
def scripts(draw: st.DrawFn) -> tuple[str, int]:
    count = draw(st.integers(1, 3))
    return "".join(draw(statements(number)) for number in range(count)), count


def printed_rows(out: str, statements: int) -> dict[int, list[tuple[Any, ...]]]:
    """The jsonl long rows by statement, each as its sorted (column, value) pairs."""
    found: dict[int, list[tuple[Any, ...]]] = {n: [] for n in range(statements)}
    for line in out.splitlines():
        row = json.loads(line)
        number = row.pop("statement", 0)
        found[number].append(tuple(sorted(row.items())))
    return {n: sorted(rows) for n, rows in found.items()}


def stored_rows(url: str, run_id: int, statements: int) -> dict[int, list[tuple[Any, ...]]]:
    """The facts run ``run_id`` stored for each statement's first grouping, as the jsonl
    long rows they stand for (docs/storage.md: tweet_id as digits, the bucket as a day
    and an hour as its grain has them and as bucket_start where it has a day, metric
    when the grouping has engagement.type)."""
    found: dict[int, list[tuple[Any, ...]]] = {n: [] for n in range(statements)}
    rows = sql(
        url,
        "SELECT grouping, tweet_id, metric, grain, bucket_start, value FROM facts WHERE run_id = ?",
        (run_id,),
    )
    for grouping, tweet, metric, grain, bucket, value in rows:
        number, _, nth = grouping[1:].partition("_")
        if nth != "0":
            continue
        row: dict[str, Any] = {"value": value}
        if tweet is not None:
            row["tweet_id"] = str(tweet)
        if grain in ("hour", "day"):
            row["day"] = utc(bucket).strftime("%Y-%m-%d")
            row["bucket_start"] = utc(bucket).strftime("%Y-%m-%dT%H:%M:%SZ")
        if grain in ("hour", "hour_of_day"):
            row["hour"] = utc(bucket).strftime("%H")
        if grain == "total":
            assert bucket is None
        if metric is not None:
            row["metric"] = metric
        found[int(number)].append(tuple(sorted(row.items())))
    return {n: sorted(rows) for n, rows in found.items()}


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=scripts())
def test_the_facts_a_run_stores_are_the_rows_it_prints(
    run_into: RunInto, store_url: str, script: tuple[str, int]
) -> None:
    # One store for every example: earlier runs' rows are there too, replaced or not.
    text, count = script
    ran = run_into(store_url, text, (), "--format", "jsonl", "--long")
    assert ran.code in (0, 5), ran.err
    assert stored_rows(store_url, last_run(store_url), count) == printed_rows(ran.out, count)


# Running again.


def fact_count(url: str) -> int:
    found: int = sql(url, "SELECT count(*) FROM facts")[0][0]
    return found


def test_running_a_query_again_replaces_its_rows(run_into: RunInto, store_url: str) -> None:
    assert run_into(store_url, QUERY, RECENT[:30]).code == 5
    stored = (30 - 1) * ROWS_PER_TWEET  # the deleted Tweet has no rows
    assert fact_count(store_url) == stored
    assert run_into(store_url, QUERY, RECENT[:30]).code == 5
    assert fact_count(store_url) == stored
    assert sql(store_url, "SELECT DISTINCT run_id FROM facts") == [(2,)]
    assert run_into(store_url, QUERY, RECENT[20:23]).code == 0
    assert fact_count(store_url) == 3 * ROWS_PER_TWEET
    held = sql(store_url, "SELECT DISTINCT tweet_id FROM facts ORDER BY tweet_id")
    assert held == [(int(t),) for t in sorted(RECENT[20:23], key=int)]


def test_a_statement_written_whole_is_replaced_whole(run_into: RunInto, store_url: str) -> None:
    text = QUERY.replace("AS hourly;", "AS hourly\nGROUP BY engagement.type AS total;")
    for _ in range(2):
        assert run_into(store_url, text, RECENT[:3]).code == 0
        assert fact_count(store_url) == 3 * ROWS_PER_TWEET + 2
    assert run_into(store_url, text, RECENT[:1]).code == 0
    assert fact_count(store_url) == ROWS_PER_TWEET + 2


def test_other_queries_keep_their_rows(run_into: RunInto, store_url: str) -> None:
    other = QUERY.replace("impressions, favorites", "retweets")
    assert run_into(store_url, QUERY, RECENT[:2]).code == 0
    assert run_into(store_url, other, RECENT[:2]).code == 0
    assert run_into(store_url, QUERY, RECENT[:1]).code == 0
    assert fact_count(store_url) == ROWS_PER_TWEET + 2 * 48  # retweets: 48 hours a Tweet


# What runs and missing say.


def test_a_run_is_recorded_with_its_missing_tweets(
    api: Sandbox, run_into: RunInto, store_url: str
) -> None:
    ids = [*RECENT[:3], UNAVAILABLE]
    before = datetime.now(UTC).replace(microsecond=0)
    ran = run_into(store_url, QUERY, ids)
    after = datetime.now(UTC)
    assert ran.code == 5, ran.err
    (run,) = sql(
        store_url,
        "SELECT run_id, command, query_text, plan_hash, started_at, ended_at, "
        "requests_planned, requests_sent, outcome FROM runs",
    )
    run_id, command, text, hashed, started, ended, planned, sent, outcome = run
    plan = engql.compile(QUERY, params={"ids": ids}, now=NOW)
    assert (command, text, hashed, outcome) == ("run", QUERY, plan_hash(plan), "partial")
    assert before <= utc(started) <= utc(ended) <= after
    assert (planned, sent) == (len(plan.requests), len(api.log.entries())) == (1, 1)
    assert sql(store_url, "SELECT run_id, statement, tweet_id, kind, detail FROM missing") == [
        (run_id, 0, int(UNAVAILABLE), "unavailable", "unavailable (deleted or not public)")
    ]
    assert run_into(store_url, QUERY, RECENT[:3]).code == 0
    outcomes = sql(store_url, "SELECT run_id, outcome FROM runs ORDER BY run_id")
    assert outcomes == [(run_id, "partial"), (run_id + 1, "ok")]
    assert sql(store_url, "SELECT count(*) FROM missing WHERE run_id = ?", (run_id + 1,)) == [(0,)]


def test_a_refused_run_keeps_nothing_new_and_says_so(
    run_into: RunInto, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGQL_ACCESS_TOKEN", "0-not-a-token-the-sandbox-knows")
    ran = run_into(store_url, QUERY, RECENT[:3])
    assert ran.code == 4, ran.err
    assert sql(store_url, "SELECT outcome, ended_at IS NOT NULL FROM runs") == [("refused", True)]
    assert fact_count(store_url) == 0


# Killed, and two at once: real processes.


def engql_process(api: Sandbox, url: str, query: Path, *flags: str) -> subprocess.Popen[str]:
    """``engql run QUERY`` over MANY into ``url`` in a process of its own."""
    env = {**os.environ, **credential_env(api)}
    command = [
        sys.executable, "-m", "engql", "run", str(query), *ids_param(MANY),
        "--base-url", api.base_url, "--now", NOW_TEXT, "--into", url, "--no-progress", *flags,
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def check_whole(url: str) -> dict[int, int]:
    """Every Tweet of MANY has all its rows of QUERY from one run, or none; no row is
    there twice. Returns how many Tweets each run's rows hold."""
    twice = sql(
        url,
        "SELECT count(*) FROM (SELECT query_id, grouping, tweet_id, metric, bucket_start "
        "FROM facts GROUP BY query_id, grouping, tweet_id, metric, bucket_start "
        "HAVING count(*) > 1) AS repeated",
    )
    assert twice == [(0,)]
    per_tweet = sql(
        url, "SELECT tweet_id, count(*), min(run_id), max(run_id) FROM facts GROUP BY tweet_id"
    )
    by_run: dict[int, int] = {}
    for tweet, rows, first, last in per_tweet:
        assert str(tweet) in MANY
        assert (rows, first) == (ROWS_PER_TWEET, last), tweet
        by_run[first] = by_run.get(first, 0) + 1
    return by_run


KILLED_AFTER = {"sqlite": 2, "duckdb": 3, "postgresql": 3}
"""Requests answered before the run is killed, in each database."""


def test_a_run_killed_mid_run_leaves_whole_batches(
    slow_sandbox: Sandbox, run_into: RunInto, store_url: str, tmp_path: Path
) -> None:
    fast = ("--base-url", slow_sandbox.base_url, "--concurrency", "4")
    assert run_into(store_url, QUERY, MANY, *fast).code == 0
    slow_sandbox.log.clear()
    query = tmp_path / "q.engql"
    killed = engql_process(slow_sandbox, store_url, query, "--concurrency", "1")
    after = KILLED_AFTER[store_url.partition(":")[0]]
    deadline = time.monotonic() + 30
    while len(slow_sandbox.log.entries()) < after and time.monotonic() < deadline:
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=30) == -signal.SIGKILL
    killed.communicate()
    by_run = check_whole(store_url)
    assert sum(by_run.values()) == len(MANY)
    assert 0 < by_run.get(2, 0) < len(MANY)
    assert by_run[2] % facts.ENDPOINTS["historical"].max_tweet_ids == 0
    assert sql(store_url, "SELECT run_id, outcome, ended_at FROM runs WHERE run_id = 2") == [
        (2, "running", None)
    ]
    assert run_into(store_url, QUERY, MANY, *fast).code == 0
    assert check_whole(store_url) == {3: len(MANY)}


def test_two_runs_into_one_new_store_at_once_both_finish_and_leave_it_whole(
    slow_sandbox: Sandbox, store_url: str, tmp_path: Path
) -> None:
    query = tmp_path / "q.engql"
    query.write_text(QUERY, encoding="utf-8")
    both = [engql_process(slow_sandbox, store_url, query, "--concurrency", "2") for _ in "ab"]
    for process in both:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert re.fullmatch(r"engql: 4 requests, 4 sent, .*\n", err), err
    by_run = check_whole(store_url)
    assert sum(by_run.values()) == len(MANY)
    runs = sql(store_url, "SELECT outcome, started_at, ended_at FROM runs ORDER BY started_at")
    assert [outcome for outcome, _, _ in runs] == ["ok", "ok"]
    if store_url.startswith("duckdb"):
        # One process at a time has a DuckDB file: the second waited for the first.
        (_, _, first_ended), (_, second_started, _) = runs
        assert utc(second_started) >= utc(first_ended)
