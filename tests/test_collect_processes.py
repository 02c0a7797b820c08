"""Collections that stop half-way and collections at the same time, as real processes
(engql/store/collect.py): ``engql collect`` killed with SIGKILL at random moments or
stopped with Ctrl-C, a request that keeps failing, and two collections writing one store
at once. After each, the next collection finishes, the store holds no hour twice, what
it says is settled is stored, and the answer is what a run prints."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from collect_harness import (
    DATABASES,
    Engql,
    collection,
    consistent,
    new_stores,
    query_file,
    quoted,
    same_answer,
    sandboxed,
    statement,
    store_url,
    utc,
    windows,
)
from run_helpers import credential_env, credentials_of, shortened_backoff, tweet_at, tweets

from engql import compile as engql_compile
from engql import facts
from engql.executor.runner import RunOptions
from engql.exits import Exit
from engql.running import RunHooks
from engql.sandbox.faults import Fault, FaultPlan
from engql.store.collect import collect, planned
from engql.store.store import Store
from engql.times import ceil_hour, floor_hour, iso

T0 = utc(2024, 7, 1, 12, 17)
IDS = tweets(30, T0 - timedelta(days=60), timedelta(hours=17))
"""30 Tweets of the last 60 days: two batches."""
TWEET_TYPE_DAY = (facts.TWEET_ID, facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_DAY)
SCRIPT = statement(
    "historical",
    ["impressions"],
    IDS,
    [TWEET_TYPE_DAY, (facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_HOUR)],
    (quoted(T0 - timedelta(days=57, minutes=20)), "now"),
) + statement("28hr", ["impressions", "favorites"], IDS, [TWEET_TYPE_DAY])
"""Three 28-day cells of two batches, and two batches of /28hr: 8 requests."""
REQUESTS = 8
JSON = ["--format", "json"]
LATENCY_MS = 60


@pytest.fixture
def engql(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Engql]:
    yield from collection(monkeypatch, capsys, T0, latency_ms=LATENCY_MS)


class Collecting:
    """``engql collect`` in a process of its own against the test's sandbox, its output
    going to files (a pipe nobody reads would stop it writing, holding the store)."""

    def __init__(self, engql: Engql, query: str, url: str, *args: str) -> None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ENGQL_")}
        env.update(credential_env(engql.api), ENGQL_BASE_URL=engql.api.base_url)
        command = [sys.executable, "-m", "engql", "collect", query, "--store", url]
        command += [*engql.clock.flag, "--no-progress", *JSON, *args]
        self._out, self._err = Path(f"{query}.{id(self)}.out"), Path(f"{query}.{id(self)}.err")
        with self._out.open("w") as out, self._err.open("w") as err:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)

    def finished(self, timeout: float = 120) -> tuple[int, str, str]:
        """The exit code, stdout and stderr, once it has exited."""
        code = self.process.wait(timeout=timeout)
        return code, self._out.read_text(), self._err.read_text()


def wait_for_requests(engql: Engql, count: int, collecting: Collecting) -> None:
    deadline = time.monotonic() + 30
    while engql.last_number() < count and collecting.process.poll() is None:
        assert time.monotonic() < deadline, "the collection sent nothing"
        time.sleep(0.005)


def finishes(engql: Engql, query: str, url: str) -> None:
    """The next collection exits 0 with what a run prints, and leaves the store whole."""
    collected = engql.collect(query, url, *JSON)
    same_answer(collected, engql.run(query, *JSON), "json")
    assert collected.code == Exit.OK
    consistent(url)


@pytest.mark.parametrize(
    ("seed", "kind"), [(0, "sqlite"), (1, "duckdb"), (2, "postgresql"), (3, "sqlite")]
)
def test_a_collection_killed_at_any_moment_is_finished_by_the_next(
    engql: Engql, tmp_path: Path, request: pytest.FixtureRequest, seed: int, kind: str
) -> None:
    draw = random.Random(seed)
    url = new_stores(kind, request, tmp_path)()
    query = query_file(SCRIPT)
    collecting = Collecting(engql, query, url)
    wait_for_requests(engql, draw.randint(1, REQUESTS), collecting)
    time.sleep(draw.uniform(0, 2 * LATENCY_MS / 1000))
    collecting.process.kill()
    assert collecting.finished()[0] in (-signal.SIGKILL, Exit.OK)
    finishes(engql, query, url)


def test_ctrl_c_stops_a_collection_that_the_next_finishes(engql: Engql, tmp_path: Path) -> None:
    url = store_url("sqlite", tmp_path)
    query = query_file(SCRIPT)
    collecting = Collecting(engql, query, url, "--concurrency", "1")
    wait_for_requests(engql, 3, collecting)
    collecting.process.send_signal(signal.SIGINT)
    code, out, err = collecting.finished()
    assert code == Exit.INTERRUPTED
    assert "engql: interrupted; collect again to finish (what was stored is kept)" in err
    assert out == ""
    with Store.open(url) as store:
        assert store.query("SELECT command, outcome FROM runs") == [("collect", "interrupted")]
    finishes(engql, query, url)


def test_a_request_that_keeps_failing_is_sent_again_next_time(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Requests 2 to 6 get a 503: the second request of the collection fails its five
    attempts, and its Tweets are missing (exit 6); the next collection sends only that
    request again."""
    shortened_backoff(monkeypatch)
    failing = FaultPlan(dict.fromkeys(range(2, 7), Fault.UNAVAILABLE))
    settled = statement(
        "historical",
        ["impressions"],
        IDS,
        [TWEET_TYPE_DAY],
        (quoted(T0 - timedelta(days=20)), quoted(T0 - timedelta(days=3))),
    )
    with sandboxed(monkeypatch, capsys, T0, faults=failing) as engql:
        url = store_url("sqlite", tmp_path)
        query = query_file(settled)
        first = engql.collect(query, url, *JSON, "--concurrency", "1")
        assert first.code == Exit.GAVE_UP
        lost = engql.sent()[1].body["tweet_ids"]
        assert [e.status for e in engql.sent()] == [200, *[503] * 5]
        reason = "failed after 5 attempts (HTTP 503)"
        assert f"Tweet {lost[0]} is missing: {reason}" in first.err
        assert first.out.count(reason) == len(lost) == 5
        before = engql.last_number()
        finishes(engql, query, url)
        again = windows(engql.sent(before))
        start = iso(floor_hour(T0 - timedelta(days=20)))
        assert again[0] == (start, iso(ceil_hour(T0 - timedelta(days=3))), 5)
        assert engql.sent(before)[0].body["tweet_ids"] == lost
        assert len(again) == 1 + 2  # the collection's, then the run's two batches


@pytest.mark.parametrize("kind", DATABASES)
def test_two_collections_at_once_share_a_store(
    engql: Engql, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    """The same query twice and an overlapping one, all at once, into a new store: each
    exits 0 with the answer a run gives, the store is whole, and a third collection
    sends nothing."""
    url = new_stores(kind, request, tmp_path)()
    past = (quoted(T0 - timedelta(days=31, minutes=7)), quoted(T0 - timedelta(days=2)))
    same = query_file(statement("historical", ["impressions"], IDS, [TWEET_TYPE_DAY], past))
    overlapping = query_file(
        statement("historical", ["impressions", "favorites"], IDS[10:], [TWEET_TYPE_DAY], past)
    )
    queries = (same, same, overlapping)
    done = [c.finished() for c in [Collecting(engql, name, url) for name in queries]]
    assert [code for code, _, _ in done] == [Exit.OK] * 3, done
    for (_, out, _), name in zip(done, queries, strict=True):
        assert out == engql.run(name, *JSON).out
    consistent(url)
    before = engql.last_number()
    for name in (same, overlapping):
        third = engql.collect(name, url, *JSON)
        assert third.code == Exit.OK
    assert engql.last_number() == before


def test_a_collection_the_shell_cancels_keeps_what_came_and_says_cancelled(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Ctrl-C in the shell cancels a collection (``RunHooks.on_interrupt``): requests in
    flight finish, the Tweets never answered are missing as cancelled, ``runs`` says
    cancelled, and the next collection sends only what is left."""
    with sandboxed(monkeypatch, capsys, T0, latency_ms=300) as engql:
        url = store_url("sqlite", tmp_path)
        plan = engql_compile(SCRIPT, now=T0)
        said: list[str] = []
        hooks = RunHooks(on_interrupt=lambda: said.append("cancelling"))
        interrupt = threading.Timer(0.45, os.kill, (os.getpid(), signal.SIGINT))
        with Store.open(url) as store:
            interrupt.start()
            try:
                report = collect(
                    plan,
                    planned(plan, store),
                    store,
                    credentials_of(engql.api),
                    engql.api.base_url,
                    RunOptions(concurrency=2),
                    hooks=hooks,
                )
            finally:
                interrupt.cancel()
            assert said == ["cancelling"]
            assert report.result is not None and report.result.stats.cancelled
            reasons = {r.text for s in report.result.statements for r in s.missing.values()}
            assert reasons == {"cancelled before it was answered"}
            assert store.query("SELECT outcome FROM runs") == [("cancelled",)]
            left = len(planned(plan, store).plan.requests)
        assert 0 < left < REQUESTS
        before = engql.last_number()
        finishes(engql, query_file(SCRIPT), url)
        assert len(engql.sent(before)) == left + REQUESTS  # the rest, then the run's own


@pytest.mark.parametrize("failing", ["the latest window", "the one before"])
def test_a_tweet_whose_hours_failed_is_missing_for_the_failure(
    failing: str,
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """A Tweet too old for video_views is listed so by the request that answers it, and
    still has its hours; when another of its requests fails, the failure is why it is
    missing (exit 6), whichever request came back last."""
    shortened_backoff(monkeypatch)
    old = tweet_at(utc(2019, 7, 1, 10))
    script = statement(
        "historical",
        ["impressions", "video_views"],
        [old],
        [TWEET_TYPE_DAY],
        ("'2019-06-20'", "'2019-08-10'"),
    )
    first = 1 if failing == "the latest window" else 2
    faults = FaultPlan(dict.fromkeys(range(first, first + 5), Fault.UNAVAILABLE))
    with sandboxed(monkeypatch, capsys, T0, faults=faults) as engql:
        collected = engql.collect(
            query_file(script), store_url("sqlite", tmp_path), *JSON, "--concurrency", "1"
        )
        statuses = [e.status for e in engql.sent()]
        assert statuses == ([*[503] * 5, 200] if first == 1 else [200, *[503] * 5])
        assert collected.code == Exit.GAVE_UP, collected.err
        assert json.loads(collected.out)["missing"] == {old: "failed after 5 attempts (HTTP 503)"}
