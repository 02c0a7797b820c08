"""``engql run``, ``engql.Client`` and the executor, against the sandbox on loopback.

No mocks: every request crosses a real socket to the emulator (engql/sandbox), whose
fault scripts stand in for the network and the server going wrong. Three ways in:

* the command line, ``engql.cli.main(["run", FILE, "--base-url", api.base_url, ...])``,
  with the sandbox's credentials in ``ENGQL_*`` variables, or with ``--sandbox``;
* ``engql.Client(...).run(...)``;
* ``Executor(settings, RunOptions(...)).run(plan)``, where a test needs a short backoff
  or a hook.

HOME and XDG_CONFIG_HOME point into tmp_path and every ENGQL_*/TWITTER_* variable is
cleared, so no real profile or credential is read. Answers are checked against the
sandbox's own answer for the whole request, computed without the API's limits
(``unlimited_answer``): the merged answer of a split plan must equal it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

import engql
from engql import facts
from engql.cli import main
from engql.client import CredentialsMissing
from engql.config import Settings
from engql.executor.limiter import RateGate
from engql.executor.runner import CANCELLED, Executor, RunFailed, RunOptions
from engql.sandbox.auth import Credentials
from engql.sandbox.data import SyntheticEngagement
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.responses import answer
from engql.sandbox.rules import parse_request
from engql.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
NOW_TEXT = "2024-07-01T12:00:00Z"
FAST = RunOptions(base_delay=0.01, max_delay=0.05)
"""Retries without the default half-second backoff (the command line has no such flag)."""

SandboxFactory = Callable[..., Sandbox]


def tweet_at(moment: datetime) -> str:
    """A Snowflake Tweet ID created at ``moment``."""
    ms = round(moment.timestamp() * 1000) - facts.SNOWFLAKE_EPOCH_MS
    return str(ms << 22)


def tweets(count: int, first: datetime, step: timedelta) -> list[str]:
    return [tweet_at(first + i * step) for i in range(count)]


IDS_600 = tweets(600, datetime(2024, 6, 1, tzinfo=UTC), timedelta(minutes=37))
"""Three /totals batches: 250, 250 and 100."""
IDS_30 = tweets(30, datetime(2024, 4, 10, tzinfo=UTC), timedelta(hours=36))
"""Two /historical batches: 25 and 5."""

TOTALS_QUERY = """\
-- Public counts of many Tweets: 250 a request, then merged.
SELECT favorites, retweets, replies
FROM totals
WHERE tweet IN :ids
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS grand_total;
"""
HISTORICAL_QUERY = """\
-- Six weeks, not on day boundaries: two windows, the day 2024-05-14 cut in two.
SELECT impressions, engagements, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-04-16T05:00:00Z' AND '2024-05-28T17:00:00Z'
GROUP BY tweet.id, engagement.type, engagement.day AS daily
GROUP BY engagement.type, engagement.hour AS hour_of_day
GROUP BY engagement.type AS total;
"""
HISTORICAL_DAYS = 43
"""2024-04-16 to 2024-05-28, both partly covered."""


# Environment, credentials and the command line -----------------------------------------


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for the tests that need no faults or special Tweets (stopping one
    takes up to half a second); a limit high enough never to be met."""
    with Sandbox(now=NOW, rate_limit=100_000) as api:
        yield api


@pytest.fixture
def api(shared_sandbox: Sandbox) -> Sandbox:
    shared_sandbox.log.clear()
    return shared_sandbox


pytestmark = pytest.mark.usefixtures("no_machine_credentials")


def credential_env(
    api: Sandbox, *, bearer: bool = True, oauth: bool = True, prefix: str = "ENGQL"
) -> dict[str, str]:
    c = api.credentials
    found: dict[str, str] = {}
    if oauth:
        found[f"{prefix}_CONSUMER_KEY"] = c.consumer_key
        found[f"{prefix}_CONSUMER_SECRET"] = c.consumer_secret
        found[f"{prefix}_ACCESS_TOKEN"] = c.access_token
        found[f"{prefix}_ACCESS_TOKEN_SECRET"] = c.access_token_secret
    if bearer:
        found[f"{prefix}_BEARER_TOKEN"] = c.bearer_token
    return found


def use_credentials(monkeypatch: pytest.MonkeyPatch, api: Sandbox, **kinds: Any) -> None:
    for name, value in credential_env(api, **kinds).items():
        monkeypatch.setenv(name, value)


def settings_of(api: Sandbox, bearer: bool = True) -> Settings:
    c = api.credentials
    return Settings(
        consumer_key=c.consumer_key,
        consumer_secret=c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token if bearer else None,
        base_url=api.base_url,
    )


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def engql_run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``engql run ARGS...`` in this process; its exit code, stdout and stderr."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(["run", *args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def query_file(text: str, name: str = "q.engql") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def ids_param(ids: Sequence[str]) -> list[str]:
    return ["-p", "ids=" + ",".join(ids)]


def compile_for(api: Sandbox, text: str, ids: Sequence[str]) -> engql.Plan:
    return engql.compile(text, params={"ids": list(ids)}, now=NOW, base_url=api.base_url)


def unlimited_answer(
    plan: engql.Plan, statement: int = 0, unavailable: Sequence[str] = ()
) -> dict[str, Any]:
    """What the sandbox (seed 0, clock NOW) would answer to one request carrying every
    Tweet of the statement over its whole time range, were there no limits."""
    requests = plan.statements[statement].requests
    first = parse_request(requests[0].endpoint, requests[0].body, NOW)
    last = parse_request(requests[-1].endpoint, requests[-1].body, NOW)
    assert not isinstance(first, list) and not isinstance(last, list)
    window = None
    if first.window is not None and last.window is not None:
        window = (first.window[0], last.window[1])
    tweet_ids = tuple(plan.statements[statement].query.tweet_ids)
    whole = attrs.evolve(first, tweet_ids=tweet_ids, window=window, echo_end=last.echo_end)
    return answer(whole, SyntheticEngagement(0), NOW, frozenset(unavailable))


def statuses(api: Sandbox) -> list[int]:
    return [entry.status for entry in api.log.entries()]


def sent_ids(api: Sandbox) -> list[list[str]]:
    return [list(e.body["tweet_ids"]) for e in api.log.entries() if isinstance(e.body, dict)]


def shortened_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """`engql run` has no flag for the backoff: give its RunOptions a short one."""
    monkeypatch.setattr(
        "engql.run_command.RunOptions", functools.partial(RunOptions, base_delay=0.01)
    )


# Merging: batches and windows give the answer of one unlimited request ------------------


def test_600_ids_go_in_three_batches_and_merge_into_one_answer(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file(TOTALS_QUERY), *ids_param(IDS_600), "--base-url", api.base_url, "--now", NOW_TEXT
    )
    assert ran.code == 0, ran.err
    assert sorted(len(ids) for ids in sent_ids(api)) == [100, 250, 250]
    assert sorted(t for ids in sent_ids(api) for t in ids) == sorted(IDS_600)
    assert {e.auth for e in api.log.entries()} == {"app"}  # public metrics: the bearer token
    merged = json.loads(ran.out)
    expected = unlimited_answer(compile_for(api, TOTALS_QUERY, IDS_600))
    assert merged == {**expected, "missing": {}}
    per_tweet = merged["per_tweet"]
    assert len(per_tweet) == 600
    for metric in ("favorites", "retweets", "replies"):
        summed = sum(int(counts[metric]) for counts in per_tweet.values())
        assert int(merged["grand_total"][metric]) == summed > 0
    assert "engql: 3 requests, 3 sent, 0 retried, 0 rate limited" in ran.err


def test_historical_batches_and_windows_merge_into_one_answer(
    api: Sandbox,
) -> None:
    plan = compile_for(api, HISTORICAL_QUERY, IDS_30)
    assert [(r.batch, r.window) for r in plan.requests] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    result = Executor(settings_of(api)).run(plan)
    (statement,) = result.statements
    assert statement.missing == {}
    assert statement.answer == unlimited_answer(plan)
    assert statement.answer["start"] == "2024-04-16T05:00:00Z"
    assert statement.answer["end"] == "2024-05-28T17:00:00Z"
    for tweet, by_metric in statement.answer["daily"].items():
        for metric, days in by_metric.items():
            assert len(days) == HISTORICAL_DAYS, (tweet, metric)
    assert sorted(statement.answer["hour_of_day"]["impressions"]) == [f"{h:02}" for h in range(24)]
    for metric, total in statement.answer["total"].items():
        daily = sum(
            int(n) for days in statement.answer["daily"].values() for n in days[metric].values()
        )
        hourly = sum(int(n) for n in statement.answer["hour_of_day"][metric].values())
        assert int(total) == daily == hourly > 0
    assert {e.auth for e in api.log.entries()} == {"user"}  # /historical: OAuth 1.0a
    assert result.stats.requests == result.stats.sent == 4


def test_unavailable_tweets_in_several_batches_are_counted_once(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    gone = [IDS_600[0], IDS_600[260], IDS_600[599]]
    api = engql_sandbox_factory(now=NOW, unavailable=gone)
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    (statement,) = Executor(settings_of(api)).run(plan).statements
    assert statement.answer == unlimited_answer(plan, unavailable=gone)
    assert statement.answer["errors"] == ["3 Tweet ID(s) are unavailable"]
    assert statement.missing == dict.fromkeys(gone, "unavailable (deleted or not public)")


def test_several_statements_are_answered_in_order(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY + HISTORICAL_QUERY.replace(":ids", "(" + ", ".join(IDS_30[:3]) + ")")
    ran = engql_run(
        query_file(text), *ids_param(IDS_600), "--base-url", api.base_url, "--now", NOW_TEXT
    )
    assert ran.code == 0, ran.err
    first, second = json.loads(ran.out)
    assert set(first) == {"per_tweet", "grand_total", "missing"}
    assert set(second) == {"start", "end", "daily", "hour_of_day", "total", "missing"}
    # Statement by statement, each with the auth it needs: bearer, then OAuth.
    assert [e.auth for e in api.log.entries()].count("app") == 3
    assert [e.auth for e in api.log.entries()].count("user") == 2


# Retries: 5xx, broken connections and bodies --------------------------------------------


@pytest.mark.parametrize("fault", [Fault.UNAVAILABLE, Fault.INTERNAL_ERROR, Fault.PROXY_ERROR])
def test_5xx_are_retried_and_the_answer_is_complete(
    engql_sandbox_factory: SandboxFactory, fault: Fault
) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: fault, 2: fault, 4: fault}))
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    result = Executor(settings_of(api), FAST).run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert (result.stats.requests, result.stats.sent, result.stats.retries) == (3, 6, 3)
    assert statuses(api).count(int(fault.value)) == 3
    assert statuses(api).count(200) == 3


def test_dropped_connections_truncated_gzip_and_malformed_json_are_retried(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    """Over OAuth 1.0a, so each retry must carry a fresh nonce: the sandbox refuses a
    replayed one with 401, which would end the run."""
    faults = FaultPlan({1: Fault.DROP, 2: Fault.TRUNCATE, 3: Fault.MALFORMED, 5: Fault.DROP})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(api, HISTORICAL_QUERY, IDS_30)
    responses: list[str | None] = []
    executor = Executor(
        settings_of(api),
        FAST,
        on_response=lambda request, body, reply: responses.append(reply.broken),
    )
    result = executor.run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert result.stats.retries == 4
    broken = sorted(b for b in responses if b is not None)
    assert broken == sorted(
        [
            "connection failed: ProtocolError",
            "connection failed: ProtocolError",
            "truncated or corrupt gzip body",
            "body is not JSON",
        ]
    )


def test_a_request_that_keeps_failing_loses_only_its_tweets(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    faults = FaultPlan({1: Fault.UNAVAILABLE, 2: Fault.DROP, 3: Fault.UNAVAILABLE})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    options = attrs.evolve(FAST, concurrency=1, max_attempts=3)
    result = Executor(settings_of(api), options).run(plan)
    first_batch = IDS_600[:250]
    assert result.missing == dict.fromkeys(first_batch, "failed after 3 attempts (HTTP 503)")
    assert sent_ids(api)[:3] == [first_batch] * 3
    per_tweet = result.statements[0].answer["per_tweet"]
    assert set(per_tweet) == set(IDS_600[250:])
    assert [w.code for w in result.warnings()] == ["W601"] * 250


def test_a_cancelled_run_keeps_what_came_back_and_lists_the_rest(api: Sandbox) -> None:
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    executor: Executor

    def cancel_after_the_first(request: Any) -> None:
        executor.cancel()

    executor = Executor(settings_of(api), RunOptions(concurrency=1), on_done=cancel_after_the_first)
    result = executor.run(plan)
    assert result.stats.cancelled
    assert sent_ids(api) == [IDS_600[:250]]
    answered = IDS_600[:250]
    assert set(result.statements[0].answer["per_tweet"]) == set(answered)
    assert result.missing == dict.fromkeys(IDS_600[250:], CANCELLED)


def test_cli_gives_up_with_exit_6_naming_the_lost_tweets(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    faults = FaultPlan(dict.fromkeys(range(1, 6), Fault.PROXY_ERROR))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    ran = engql_run(
        query_file(TOTALS_QUERY),
        *ids_param(IDS_600),
        "--base-url",
        api.base_url,
        "--concurrency",
        "1",
    )
    assert ran.code == 6, ran.err
    missing = json.loads(ran.out)["missing"]
    assert missing == dict.fromkeys(IDS_600[:250], "failed after 5 attempts (HTTP 502)")
    assert f"Tweet {IDS_600[0]} is missing: failed after 5 attempts (HTTP 502)" in ran.err
    assert "230 more Tweets are missing (--format json lists them all)" in ran.err
    assert "engql: 3 requests, 7 sent, 4 retried" in ran.err


# Rate limits ----------------------------------------------------------------------------


def test_a_429_burst_is_waited_out(engql_sandbox_factory: SandboxFactory) -> None:
    """Scripted 429s carry Retry-After: 1; the run waits that second, then completes."""
    faults = FaultPlan(dict.fromkeys((1, 2, 3), Fault.RATE_LIMITED))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    waits: list[float] = []
    started = time.monotonic()
    executor = Executor(
        settings_of(api), FAST, on_wait=lambda seconds, until: waits.append(seconds)
    )
    result = executor.run(plan)
    took = time.monotonic() - started
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert result.stats.rate_limited == 3
    assert result.stats.retries == 0  # a 429 is waited out, not counted as a failure
    assert statuses(api).count(429) == 3 and statuses(api).count(200) == 3
    assert waits and max(waits) <= 1.0
    assert took >= 0.9


class _Waiting(Exception):
    """Raised from an on_wait hook: the gate was about to wait (so the test need not)."""


def _not_at_a_minute_end(seconds_left: float) -> None:
    """The sandbox counts calendar minutes: start a minute-limit test with at least
    ``seconds_left`` of the minute to go."""
    into = time.time() % 60
    if into > 60 - seconds_left:
        time.sleep(60.2 - into)


def test_the_servers_minute_limit_holds_requests_back_without_429s(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    _not_at_a_minute_end(2)
    api = engql_sandbox_factory(now=NOW, rate_limit=2)
    waits: list[tuple[float, float]] = []

    def on_wait(seconds: float, until: float) -> None:
        waits.append((seconds, until))
        raise _Waiting

    executor = Executor(settings_of(api), RunOptions(concurrency=1), on_wait=on_wait)
    with pytest.raises(_Waiting):
        executor.run(compile_for(api, TOTALS_QUERY, IDS_600))
    assert statuses(api) == [200, 200]
    next_minute = (int(time.time()) // 60 + 1) * 60
    seconds, until = waits[0]
    assert until == next_minute
    assert 0 < seconds <= 60


@dataclass
class Interrupted:
    code: int
    err: str
    statuses: list[int]
    folder: Path
    """Holds the query, the -o target and the run directory, run/."""


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory: pytest.TempPathFactory) -> Interrupted:
    """`engql run --resume` in a subprocess against a 1-a-minute sandbox: the second of
    its two requests waits for the next minute, and gets SIGINT (Ctrl-C) after 2.5 s."""
    folder = tmp_path_factory.mktemp("interrupted")
    _not_at_a_minute_end(5)
    with Sandbox(now=NOW, rate_limit=1) as api:
        env = {
            **os.environ,
            **credential_env(api),
            "ENGQL_BASE_URL": api.base_url,
            "HOME": str(folder / "home"),
            "XDG_CONFIG_HOME": str(folder / "config"),
        }
        query = folder / "q.engql"
        query.write_text(TOTALS_QUERY, encoding="utf-8")
        command = [sys.executable, "-m", "engql", "run", str(query), "--concurrency", "1"]
        command += [*ids_param(IDS_600[:300]), "-o", str(folder / "out.json")]
        command += ["--resume", str(folder / "run")]
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
        return Interrupted(process.returncode, err, statuses(api), folder)


def test_a_long_wait_is_shown_and_ctrl_c_exits_130(interrupted_run: Interrupted) -> None:
    run = interrupted_run
    assert run.code == 130, run.err
    assert run.statuses == [200]  # the limit was learnt from the first answer: no 429
    assert re.search(r"^engql: rate limited, resuming at \d\d:\d\d:00$", run.err, re.M)
    assert run.err.splitlines()[-1] == (
        f"engql: interrupted; rerun with --resume {run.folder / 'run'} to finish"
    )
    assert "Traceback" not in run.err


def test_a_long_wait_is_shown_once(interrupted_run: Interrupted) -> None:
    assert interrupted_run.err.count("rate limited, resuming at") == 1, interrupted_run.err


def test_an_interrupted_run_writes_no_output_file(interrupted_run: Interrupted) -> None:
    assert not (interrupted_run.folder / "out.json").exists()


def test_an_interrupted_run_resumes_with_only_what_is_left(
    interrupted_run: Interrupted,
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    folder = interrupted_run.folder
    use_credentials(monkeypatch, api)
    query, ids = str(folder / "q.engql"), ids_param(IDS_600[:300])
    ran = engql_run(query, *ids, "--base-url", api.base_url, "--resume", str(folder / "run"))
    assert ran.code == 0, ran.err
    assert sent_ids(api) == [IDS_600[250:300]]  # the first batch came from the journal
    plan = compile_for(api, TOTALS_QUERY, IDS_600[:300])
    assert json.loads(ran.out) == {**unlimited_answer(plan), "missing": {}}
    # The run directory belongs to that plan: another one is refused.
    other = ids_param(IDS_600[:299])
    ran = engql_run(query, *other, "--base-url", api.base_url, "--resume", str(folder / "run"))
    assert ran.code == 2
    assert "holds the journal of another plan" in ran.err
    assert len(api.log.entries()) == 1


def test_a_run_that_gave_up_resumes_with_the_failed_requests(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    tmp_path: Path,
) -> None:
    faults = FaultPlan(dict.fromkeys(range(1, 6), Fault.UNAVAILABLE))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    query = query_file(TOTALS_QUERY)
    options = ["--base-url", api.base_url, "--concurrency", "1", "--resume", str(tmp_path / "run")]
    ran = engql_run(query, *ids_param(IDS_600), *options)
    assert ran.code == 6
    api.log.clear()
    ran = engql_run(query, *ids_param(IDS_600), *options)
    assert ran.code == 0, ran.err
    assert sent_ids(api) == [IDS_600[:250]]
    assert json.loads(ran.out) == {
        **unlimited_answer(compile_for(api, TOTALS_QUERY, IDS_600)),
        "missing": {},
    }


# RateGate: the limiter's rules, on a fake clock -----------------------------------------


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def waiting_gate(per_minute: int | None, clock: FakeClock) -> tuple[RateGate, list[float]]:
    """A gate whose waits raise _Waiting and record the time the wait would end."""
    ends: list[float] = []

    def on_wait(seconds: float, until: float) -> None:
        assert seconds == pytest.approx(until - clock.now)
        ends.append(until)
        raise _Waiting

    return RateGate(per_minute, clock=clock, on_wait=on_wait), ends


def test_gate_without_a_limit_probes_once_then_never_waits() -> None:
    """With no limit known, one request goes first; once any reply is in, no waits."""
    gate, ends = waiting_gate(None, FakeClock(1000.0))
    assert gate.acquire()
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert gate.acquire(stop) is False  # the second waits for the first reply
    gate.update({})
    assert all(gate.acquire() for _ in range(500))
    assert ends == []


def test_gate_with_a_configured_limit_waits_for_the_next_minute() -> None:
    clock = FakeClock(1000.0)  # 16 min 40 s: the minute ends at 1020
    gate, ends = waiting_gate(2, clock)
    assert gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [1020.0]
    clock.now = 1020.0
    assert gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends[-1] == 1080.0


def test_gate_learns_the_limit_from_the_headers() -> None:
    clock = FakeClock(1000.0)
    gate, ends = waiting_gate(None, clock)
    gate.update(
        {"x-per-minute-limit": "3", "x-per-minute-remaining": "1", "x-per-minute-reset": "1020"}
    )
    assert gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [1020.0]
    clock.now = 1021.0  # a new minute: the learnt limit, 3
    assert gate.acquire() and gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()


def test_gate_ignores_missing_or_garbled_headers() -> None:
    gate, ends = waiting_gate(None, FakeClock(1000.0))
    gate.update({})
    gate.update({"x-per-minute-remaining": "0"})  # no reset: nothing learnt
    gate.update({"x-per-minute-remaining": "zero", "x-per-minute-reset": "soon"})
    assert all(gate.acquire() for _ in range(10))
    assert ends == []


@pytest.mark.parametrize(
    ("headers", "until"),
    [
        ({"retry-after": "7"}, 1007.0),
        ({"Retry-After": "7", "x-per-minute-reset": "1020"}, 1007.0),
        ({"x-per-minute-reset": "1030"}, 1030.0),
        ({}, 1020.0),
    ],
    ids=["retry-after", "retry-after-wins", "reset", "next-minute"],
)
def test_gate_after_a_429_waits_until_retry_after_or_the_reset(
    headers: dict[str, str], until: float
) -> None:
    clock = FakeClock(1000.0)
    gate, ends = waiting_gate(None, clock)
    gate.refused(headers)
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [until]
    clock.now = until
    assert gate.acquire()


def test_gate_gives_up_when_the_run_stops() -> None:
    stop = threading.Event()
    stop.set()
    gate, _ = waiting_gate(1, FakeClock(1000.0))
    assert gate.acquire(stop) is False


# Unowned, unavailable and protected Tweets ----------------------------------------------


UNOWNED_QUERY = """\
SELECT impressions, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-04-16' AND '2024-05-28'
GROUP BY tweet.id, engagement.type AS per_tweet;
"""


def test_unowned_tweets_fail_the_run_with_exit_4_by_default(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[3]])
    use_credentials(monkeypatch, api)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 4
    assert ran.err.splitlines()[-1] == (
        f"engql: refused: Tweets not owned by these credentials: {IDS_30[3]}"
    )
    assert ran.out == ""
    assert 403 in statuses(api)


def test_a_refused_run_keeps_the_old_output_file(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[3]])
    use_credentials(monkeypatch, api)
    Path("out.json").write_text("old\n")
    ran = engql_run(
        query_file(UNOWNED_QUERY), *ids_param(IDS_30), "--base-url", api.base_url, "-o", "out.json"
    )
    assert ran.code == 4
    assert Path("out.json").read_text() == "old\n"


def test_on_unowned_drop_resends_the_rest_and_reports_the_dropped(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    dropped = [IDS_30[3], IDS_30[27]]  # one in each batch
    api = engql_sandbox_factory(now=NOW, unowned=dropped)
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file(UNOWNED_QUERY),
        *ids_param(IDS_30),
        "--base-url",
        api.base_url,
        "--on-unowned",
        "drop",
        "--now",
        NOW_TEXT,
    )
    assert ran.code == 5, ran.err
    merged = json.loads(ran.out)
    assert merged["missing"] == dict.fromkeys(dropped, "not owned by these credentials")
    assert set(merged["per_tweet"]) == set(IDS_30) - set(dropped)
    for entry in api.log.entries():
        if entry.status == 403:
            assert entry.errors[0].startswith("Forbidden to access tweets: ")
        else:
            assert entry.status == 200
            assert not set(entry.body["tweet_ids"]) & set(dropped)
    assert statuses(api).count(200) == 4  # every request of the plan answered in the end
    for tweet in dropped:
        assert f"warning[W601]: Tweet {tweet} is missing: not owned by these credentials" in ran.err


def test_client_raises_run_failed_for_unowned_tweets(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[0]])
    client = client_for(api)
    with pytest.raises(RunFailed) as failed:
        client.run(UNOWNED_QUERY, params={"ids": IDS_30}, now=NOW)
    assert failed.value.kind == "unowned"
    assert IDS_30[0] in failed.value.message


def test_unavailable_tweets_are_warnings_at_their_literal(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    gone = "1800610451420572802"
    api = engql_sandbox_factory(now=NOW, unavailable=[gone])
    use_credentials(monkeypatch, api)
    text = (
        "-- Two Tweets, one of them deleted\n"
        "SELECT favorites FROM totals\n"
        "WHERE tweet IN (1797947152269233892,\n"
        f"\t{gone})\n"
        "GROUP BY tweet.id, engagement.type AS per_tweet;\n"
    )
    ran = engql_run(query_file(text), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    lines = ran.err.splitlines()
    at = lines.index(
        f"q.engql:4:2: warning[W601]: Tweet {gone} is missing: unavailable (deleted or not public)"
    )
    source, caret = lines[at + 1], lines[at + 2]
    assert source.startswith("4 | ")
    assert caret.index("^") == source.index(gone)
    assert caret.strip() == "^" * len(gone)
    merged = json.loads(ran.out)
    assert merged["missing"] == {gone: "unavailable (deleted or not public)"}
    assert merged["unavailable_tweet_ids"] == [gone]
    assert merged["errors"] == ["1 Tweet ID(s) are unavailable"]
    assert set(merged["per_tweet"]) == {"1797947152269233892"}


def test_unavailable_tweets_from_an_ids_file_point_at_its_line(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    gone = "1800610451420572802"
    api = engql_sandbox_factory(now=NOW, unavailable=[gone])
    use_credentials(monkeypatch, api)
    Path("ids.txt").write_text(
        f"# launch Tweets\n1797947152269233892\n\nhttps://x.com/a/status/{gone}\n",
        encoding="utf-8",
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';\n"
    ran = engql_run(query_file(text), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    warning = next(line for line in ran.err.splitlines() if "W601" in line)
    assert re.fullmatch(
        rf".*ids\.txt:4:\d+: warning\[W601\]: Tweet {gone} is missing: "
        r"unavailable \(deleted or not public\)",
        warning,
    ), warning
    assert f"4 | https://x.com/a/status/{gone}" in ran.err


def test_a_protected_tweet_is_isolated_and_its_batch_kept(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    """The API refuses a request naming a protected Tweet with 400 "Tweet ID(s) are
    unavailable", without saying which: engql halves the batch until the protected Tweet
    stands alone, so only it is missing."""
    protected = IDS_600[300]
    api = engql_sandbox_factory(now=NOW, protected=[protected])
    use_credentials(monkeypatch, api)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_600), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    merged = json.loads(ran.out)
    assert merged["missing"] == {protected: "protected: the API never returns it"}
    assert set(merged["per_tweet"]) == set(IDS_600) - {protected}
    refused = [s for s in statuses(api) if s == 400]
    assert len(refused) == 9  # 250 -> 125 -> 63 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1, one per level
    assert statuses(api).count(200) == 2 + 8


# Credentials ----------------------------------------------------------------------------


def credential_values(api: Sandbox) -> list[str]:
    c = api.credentials
    return [
        c.consumer_key,
        c.consumer_secret,
        c.access_token,
        c.access_token_secret,
        c.bearer_token,
    ]


def client_for(
    api: Sandbox, options: RunOptions | None = None, consumer_secret: str | None = None
) -> engql.Client:
    """A Client with the sandbox's credentials as arguments, reading no environment."""
    c = api.credentials
    return engql.Client(
        consumer_key=c.consumer_key,
        consumer_secret=consumer_secret or c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token,
        base_url=api.base_url,
        options=options,
        environ={},
    )


def test_wrong_credentials_are_refused_with_exit_4(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", "x" * 50)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 4
    assert "engql: refused: 401: Your account could not be authenticated." in ran.err
    assert ran.out == ""


def test_a_wrong_bearer_token_is_refused_with_exit_4(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", "A" * 21 + "b" * 40 + "%3D" + "c" * 50)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 4
    assert "refused: 401" in ran.err


@pytest.mark.parametrize(
    ("query", "kinds", "named"),
    [
        (
            UNOWNED_QUERY,
            {},
            "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, ENGQL_CONSUMER_KEY, "
            "ENGQL_CONSUMER_SECRET",
        ),
        (
            UNOWNED_QUERY,
            {"oauth": False},  # a bearer token does not open /historical
            "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, ENGQL_CONSUMER_KEY, "
            "ENGQL_CONSUMER_SECRET",
        ),
        (TOTALS_QUERY, {}, "ENGQL_BEARER_TOKEN"),
    ],
    ids=["nothing-set", "bearer-only", "public-totals"],
)
def test_missing_credentials_exit_3_naming_them_before_sending_anything(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    query: str,
    kinds: dict[str, bool],
    named: str,
) -> None:
    if kinds:
        use_credentials(monkeypatch, api, **kinds)
    ran = engql_run(query_file(query), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 3
    assert ran.err.splitlines()[-1] == (
        f"engql: credentials missing for this query: set {named} "
        "(or use a profile: engql configure)"
    )
    assert api.log.entries() == []
    assert ran.out == ""


def test_public_totals_fall_back_to_oauth_without_a_bearer_token(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api, bearer=False)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 0, ran.err
    assert [e.auth for e in api.log.entries()] == ["user"]


def test_twitter_variables_are_the_fallback(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api, prefix="TWITTER")
    monkeypatch.setenv("ENGQL_BASE_URL", api.base_url)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30[:2]))
    assert ran.code == 0, ran.err
    assert [e.auth for e in api.log.entries()] == ["user", "user"]


def test_flags_beat_the_environment_which_beats_the_profile(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    c = api.credentials
    profile = Path(os.environ["XDG_CONFIG_HOME"]) / "engql" / "credentials.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        'default_profile = "work"\n\n[profiles.work]\n'
        f'consumer_key = "{c.consumer_key}"\nconsumer_secret = "{"x" * 50}"\n'
        f'access_token = "{c.access_token}"\naccess_token_secret = "{c.access_token_secret}"\n'
        'base_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    profile.chmod(0o600)
    query = query_file(UNOWNED_QUERY)
    # The profile's secret is wrong and its base_url goes nowhere: ENGQL_* and the flag win.
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", c.consumer_secret)
    monkeypatch.setenv("ENGQL_BASE_URL", "http://127.0.0.1:9")
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url, "--verbose")
    assert ran.code == 0, ran.err
    assert "engql: consumer_secret: set (env ENGQL_CONSUMER_SECRET)" in ran.err
    assert f"engql: access_token: set (profile work in {profile})" in ran.err
    assert "engql: historical batch 0 window 0: 200" in ran.err  # --verbose, per response
    assert "engql: profile: work (default_profile in " in ran.err
    assert f"engql: base_url: {api.base_url} (flag)" in ran.err
    monkeypatch.delenv("ENGQL_CONSUMER_SECRET")
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 4  # now the profile's wrong secret is used
    # A profile others may read is used, with a warning.
    profile.chmod(0o644)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", c.consumer_secret)
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 0
    assert "is open to other users (mode 0644)" in ran.err
    # --profile names a profile that does not exist: a configuration error.
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--profile", "nosuch")
    assert ran.code == 3
    assert "no profile 'nosuch'" in ran.err


# Dry runs, usage and query errors -------------------------------------------------------


def test_dry_run_prints_the_requests_redacted_and_sends_nothing(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY + HISTORICAL_QUERY
    ran = engql_run(
        query_file(text),
        *ids_param(IDS_600[:260]),
        "--base-url",
        api.base_url,
        "--now",
        NOW_TEXT,
        "--dry-run",
    )
    assert ran.code == 0, ran.err
    assert api.log.entries() == []
    printed = [json.loads(line) for line in ran.out.splitlines()]
    plan = engql.compile(text, params={"ids": IDS_600[:260]}, now=NOW, base_url=api.base_url)
    assert [p["body"] for p in printed] == [r.body for r in plan.requests]
    assert [p["url"] for p in printed] == [r.url for r in plan.requests]
    assert [p["headers"]["Authorization"] for p in printed] == (
        ["Bearer <redacted>"] * 2 + ["OAuth 1.0a <redacted>"] * 22
    )
    assert {p["headers"]["Accept-Encoding"] for p in printed} == {"gzip"}
    assert "requests" in ran.err  # the plan's cost, from explain
    for secret in credential_values(api):
        assert secret not in ran.out + ran.err


def test_plain_http_goes_only_to_loopback(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    query = query_file(TOTALS_QUERY)
    ran = engql_run(query, *ids_param(IDS_30), "--base-url", "http://example.invalid")
    assert ran.code == 2
    assert "not HTTPS" in ran.err
    ran = engql_run(query, *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 0


@pytest.mark.parametrize("option", [["--concurrency", "0"], ["--rate-limit", "0"]])
def test_bad_numbers_are_usage_errors(engql_run: Callable[..., Ran], option: list[str]) -> None:
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--sandbox", *option)
    assert ran.code == 2
    assert "must be at least 1" in ran.err


def test_a_query_with_errors_exits_1_and_sends_nothing(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file("SELECT favourites FROM totals WHERE tweet = 1;\n"),
        "--base-url",
        api.base_url,
    )
    assert ran.code == 1
    assert "error[" in ran.err
    assert api.log.entries() == []


# Output formats -------------------------------------------------------------------------


@pytest.fixture
def totals_run(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> Callable[..., Ran]:
    """``engql run`` of TOTALS_QUERY over the first 30 of IDS_600, plus any options."""
    use_credentials(monkeypatch, api)
    query = query_file(TOTALS_QUERY)

    def run(*options: str) -> Ran:
        return engql_run(query, *ids_param(IDS_600[:30]), "--base-url", api.base_url, *options)

    return run


def expected_totals(ids: Sequence[str]) -> dict[str, Any]:
    plan = engql.compile(TOTALS_QUERY, params={"ids": list(ids)}, now=NOW)
    return unlimited_answer(plan)


def test_json_is_the_apis_shape_plus_missing(totals_run: Callable[..., Ran]) -> None:
    ran = totals_run("--format", "json")
    assert ran.code == 0
    assert json.loads(ran.out) == {**expected_totals(IDS_600[:30]), "missing": {}}


def test_json_is_the_default_when_stdout_is_not_a_terminal(
    totals_run: Callable[..., Ran],
) -> None:
    assert json.loads(totals_run().out) == json.loads(totals_run("--format", "json").out)


def test_jsonl_has_one_row_per_key_combination(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["per_tweet"]
    rows = [json.loads(line) for line in totals_run("--format", "jsonl").out.splitlines()]
    assert rows == [
        {"tweet_id": tweet, **{m: int(n) for m, n in expected[tweet].items()}}
        for tweet in sorted(IDS_600[:30], key=int)
    ]


def test_jsonl_grouping_and_long(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["grand_total"]
    ran = totals_run("--format", "jsonl", "--grouping", "grand_total")
    assert [json.loads(line) for line in ran.out.splitlines()] == [
        {m: int(n) for m, n in expected.items()}
    ]
    ran = totals_run("--format", "jsonl", "--grouping", "grand_total", "--long")
    assert [json.loads(line) for line in ran.out.splitlines()] == [
        {"metric": m, "value": int(n)} for m, n in expected.items()
    ]
    ran = totals_run("--format", "jsonl", "--long")
    rows = [json.loads(line) for line in ran.out.splitlines()]
    assert len(rows) == 30 * 3
    assert list(rows[0]) == ["tweet_id", "metric", "value"]


def test_jsonl_and_csv_stream_batch_by_batch(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    """Every grouping starts with tweet.id: rows go out batch by batch, in plan order."""
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY.replace("GROUP BY engagement.type AS grand_total", "")
    query = query_file(text)
    per_tweet = unlimited_answer(compile_for(api, text, IDS_600))["per_tweet"]
    expected = [{"tweet_id": t, **{m: int(n) for m, n in per_tweet[t].items()}} for t in IDS_600]
    ran = engql_run(query, *ids_param(IDS_600), "--base-url", api.base_url, "--format", "jsonl")
    assert ran.code == 0, ran.err
    assert [json.loads(line) for line in ran.out.splitlines()] == expected
    ran = engql_run(query, *ids_param(IDS_600), "--base-url", api.base_url, "--format", "csv")
    rows = list(csv.reader(io.StringIO(ran.out)))
    assert rows[0] == ["tweet_id", "favorites", "retweets", "replies"]
    assert rows[1:] == [[f'="{r["tweet_id"]}"', *map(str, list(r.values())[1:])] for r in expected]


def test_csv_writes_tweet_ids_as_text_for_spreadsheets(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["per_tweet"]
    ran = totals_run("--format", "csv")
    rows = list(csv.reader(io.StringIO(ran.out)))
    assert rows[0] == ["tweet_id", "favorites", "retweets", "replies"]
    first = min(IDS_600[:30], key=int)
    assert rows[1] == [f'="{first}"', *(expected[first][m] for m in rows[0][1:])]
    assert len(rows) == 31
    assert f'"=""{first}"""' in ran.out  # as a spreadsheet reads it: the formula ="…"


def test_csv_long(totals_run: Callable[..., Ran]) -> None:
    rows = list(csv.reader(io.StringIO(totals_run("--format", "csv", "--long").out)))
    assert rows[0] == ["tweet_id", "metric", "value"]
    assert [row[1] for row in rows[1:4]] == ["favorites", "retweets", "replies"]


def test_table_has_a_column_per_metric_and_grouped_digits(
    totals_run: Callable[..., Ran],
) -> None:
    expected = expected_totals(IDS_600[:30])["grand_total"]
    ran = totals_run("--format", "table", "--grouping", "grand_total")
    header, rule, row = ran.out.splitlines()
    assert header.split() == ["favorites", "retweets", "replies"]
    assert set(rule) <= {"-", " "}
    assert row.split() == [f"{int(expected[m]):,}" for m in ("favorites", "retweets", "replies")]
    assert any("," in cell for cell in row.split())
    lines = totals_run("--format", "table").out.splitlines()
    assert lines[0].split() == ["tweet_id", "favorites", "retweets", "replies"]
    assert len(lines) == 2 + 30


def on_a_terminal(stream: str, *args: str) -> tuple[int, bytes, bytes]:
    """``engql run ARGS`` in a subprocess whose ``stream`` ("stdout" or "stderr") is a
    terminal (a pseudo-terminal) and the other a pipe; exit code, stdout, stderr."""
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    # A new pseudo-terminal has 0 columns, where tqdm draws nothing: give it 100.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: secondary}
    command = [sys.executable, "-m", "engql", "run", *args]
    process = subprocess.Popen(command, **piped)  # type: ignore[call-overload]
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    rest = process.stderr if stream == "stdout" else process.stdout
    assert rest is not None
    other = rest.read()
    code = process.wait(timeout=20)
    terminal = b"".join(chunks)
    return (code, terminal, other) if stream == "stdout" else (code, other, terminal)


def test_table_is_the_default_on_a_terminal() -> None:
    code, out, _ = on_a_terminal("stdout", str(EXAMPLES / "quickstart.engql"), "--sandbox")
    assert code == 0
    assert out.split()[:5] == [b"tweet_id", b"favorites", b"retweets", b"quote_tweets", b"replies"]


def test_a_progress_bar_shows_on_a_terminal_unless_asked_not_to() -> None:
    report = str(EXAMPLES / "monthly_report.engql")
    code, out, err = on_a_terminal("stderr", report, "--sandbox", "--now", NOW_TEXT)
    assert code == 0
    assert b"0/4" in err and b"request/s" in err
    assert json.loads(out)  # data still goes to stdout, as JSON (stdout is no terminal)
    code, _, err = on_a_terminal("stderr", report, "--sandbox", "--now", NOW_TEXT, "--no-progress")
    assert code == 0
    assert b"/4" not in err and b"request/s" not in err


def test_no_progress_bar_when_stderr_is_not_a_terminal(engql_run: Callable[..., Ran]) -> None:
    ran = engql_run(str(EXAMPLES / "monthly_report.engql"), "--sandbox", "--now", NOW_TEXT)
    assert "/4" not in ran.err and "request/s" not in ran.err


def test_raw_is_every_response_with_its_request(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    faults = FaultPlan({1: Fault.UNAVAILABLE, 2: Fault.DROP})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    ran = engql_run(
        query_file(TOTALS_QUERY),
        *ids_param(IDS_600),
        "--base-url",
        api.base_url,
        "--format",
        "raw",
        "--concurrency",
        "1",
    )
    assert ran.code == 0, ran.err
    lines = [json.loads(line) for line in ran.out.splitlines()]
    assert len(lines) == 5
    assert [(line["status"], line["broken"]) for line in lines[:2]] == [
        (503, None),
        (0, "connection failed: ProtocolError"),
    ]
    assert lines[0]["response"] == {"errors": ["Service Unavailable"]}
    plan = engql.compile(TOTALS_QUERY, params={"ids": IDS_600}, base_url=api.base_url)
    for line, request in zip(lines[2:], plan.requests, strict=True):
        assert line["status"] == 200
        assert line["request"] == {
            "endpoint": "totals",
            "url": request.url,
            "auth": "app",
            "batch": request.batch,
            "window": None,
            "body": request.body,
        }
        assert set(line["response"]["per_tweet"]) == set(request.tweet_ids)


def test_output_file_replaces_the_old_one(totals_run: Callable[..., Ran], tmp_path: Path) -> None:
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    ran = totals_run("--format", "csv", "-o", str(target))
    assert ran.code == 0
    assert ran.out == ""
    assert target.read_text() == totals_run("--format", "csv").out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".answer")] == []


def test_output_file_is_created(totals_run: Callable[..., Ran], tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    ran = totals_run("--format", "json", "-o", str(target))
    assert ran.code == 0, ran.err
    assert json.loads(target.read_text())["missing"] == {}
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# engql.Client and Result ----------------------------------------------------------------


def test_client_runs_text_and_returns_a_result(engql_sandbox_factory: SandboxFactory) -> None:
    api = engql_sandbox_factory(now=NOW, unavailable=[IDS_600[7]])
    client = client_for(api, FAST)
    assert "secret" not in repr(client).lower()
    for value in credential_values(api):
        assert value not in repr(client) and value not in repr(client.settings)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_600}, now=NOW)
    assert isinstance(result, engql.Result)
    (statement,) = result.statements
    assert statement.grouping_names == ["per_tweet", "grand_total"]
    assert statement.missing == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert result.missing == statement.missing
    rows = list(statement.rows())
    assert len(rows) == 599
    assert statement.columns() == ["tweet_id", "favorites", "retweets", "replies"]
    assert list(statement.rows("grand_total")) == [
        {m: int(n) for m, n in statement.answer["grand_total"].items()}
    ]
    assert statement.to_json()["missing"] == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert (result.stats.requests, result.stats.sent) == (3, 3)
    (warning,) = result.warnings()
    assert warning.code == "W601" and IDS_600[7] in warning.message


def test_client_runs_a_plan(api: Sandbox) -> None:
    plan = compile_for(api, HISTORICAL_QUERY, IDS_30)
    client = client_for(api)
    result = client.run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)


def test_client_reads_the_environment(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, api)
    monkeypatch.setenv("ENGQL_BASE_URL", api.base_url)
    result = engql.Client().run(TOTALS_QUERY, params={"ids": IDS_30})
    assert result.missing == {}


def test_client_without_credentials_raises_before_sending(api: Sandbox) -> None:
    client = engql.Client(base_url=api.base_url, environ={})
    with pytest.raises(CredentialsMissing, match="set ENGQL_BEARER_TOKEN"):
        client.run(TOTALS_QUERY, params={"ids": IDS_30})
    assert api.log.entries() == []


def test_client_with_a_wrong_secret_raises_run_failed(api: Sandbox) -> None:
    client = client_for(api, consumer_secret="y" * 50)
    with pytest.raises(RunFailed) as failed:
        client.run(UNOWNED_QUERY, params={"ids": IDS_30[:1]}, now=NOW)
    assert failed.value.kind == "auth"
    assert "y" * 12 not in str(failed.value)


def test_to_pandas_gives_the_rows(api: Sandbox) -> None:
    pandas = pytest.importorskip("pandas")
    client = client_for(api)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW)
    frame = result.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["tweet_id", "favorites", "retweets", "replies"]
    assert len(frame) == 30


def test_to_pandas_without_pandas_says_so(api: Sandbox) -> None:
    try:
        import pandas  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pandas is installed")
    client = client_for(api)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_30[:2]}, now=NOW)
    with pytest.raises(ImportError, match="pandas"):
        result.to_pandas()


# --sandbox and the examples -------------------------------------------------------------


_PARAMS = re.compile(r"^--\s*params:(.*)$", re.M)
_WARNINGS = re.compile(r"^--\s*warnings:(.*)$", re.M)
LEGITIMATELY_MISSING = (
    "no impressions or engagements: older than 90 days",
    "no video_views: older than 1800 days",
)
"""What the sandbox, on the real clock, says of the examples' 2024 Tweets."""


def example_params(text: str) -> list[str]:
    """The ``-- params:`` header as -p options (see tests/test_examples.py); @paths are
    relative to examples/."""
    options = []
    for word in (w for line in _PARAMS.findall(text) for w in line.split()):
        name, _, value = word.partition("=")
        if value.startswith("@"):
            value = "@" + str(EXAMPLES / value[1:])
        options += ["-p", f"{name}={value}"]
    return options


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.engql")), ids=lambda p: p.name)
def test_every_example_runs_against_the_sandbox(path: Path, engql_run: Callable[..., Ran]) -> None:
    """With the examples' clock (--now) for the query; the sandbox keeps the real one."""
    text = path.read_text(encoding="utf-8")
    ran = engql_run(
        str(path), "--sandbox", "--now", NOW_TEXT, "--format", "json", *example_params(text)
    )
    assert ran.code in (0, 5), ran.err
    answers = json.loads(ran.out)
    answers = answers if isinstance(answers, list) else [answers]
    assert len(answers) == len(re.findall(r"^SELECT\b", text, re.M | re.I))
    expected_warnings = {c for line in _WARNINGS.findall(text) for c in re.findall(r"W\d{3}", line)}
    codes = set(re.findall(r"^\S+: (\w+)\[(\w\d{3})\]", ran.err, re.M))
    assert {code for severity, code in codes if severity == "error"} == set()
    assert {code for _, code in codes} <= expected_warnings | {"W601"}
    for reasons in (a["missing"] for a in answers):
        assert set(reasons.values()) <= set(LEGITIMATELY_MISSING), reasons
    assert (ran.code == 5) == any(a["missing"] for a in answers)
    assert "retried" in ran.err and "0 rate limited" in ran.err


def test_sandbox_ignores_the_environments_credentials(
    monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    other = Credentials.generate(99)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", other.consumer_secret)
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", other.bearer_token)
    monkeypatch.setenv("ENGQL_BASE_URL", "http://127.0.0.1:9")
    ran = engql_run(str(EXAMPLES / "monthly_report.engql"), "--sandbox", "--now", NOW_TEXT)
    assert ran.code == 0, ran.err
    assert len(json.loads(ran.out)) == 3


# docs/running.md ------------------------------------------------------------------------


RUNNING_DOC = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")


def doc_table(name: str) -> list[list[str]]:
    """The rows (cells) of the table between <!-- name --> and <!-- /name -->."""
    body = RUNNING_DOC.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0]
    rows = [line for line in body.strip().splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_running_doc_lists_every_option_of_engql_run() -> None:
    from engql.cli import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command")
    run = subcommands.choices["run"]  # type: ignore[index]
    documented = {
        flag for row in doc_table("run-options") for flag in re.findall(r"`(-?-?[\w-]+)", row[0])
    }
    options = {flag for action in run._actions for flag in action.option_strings} - {"-h", "--help"}
    assert documented == options | {"FILE"}


def test_running_doc_lists_the_exit_codes_engql_run_returns() -> None:
    from engql import run_command as rc
    from engql.exits import Exit

    codes = set(Exit)
    assert [int(row[0]) for row in doc_table("exit-codes")] == [0, 1, 2, 3, 4, 5, 6, 130, 70]
    assert {int(row[0]) for row in doc_table("exit-codes")} == codes
    assert all(reason in RUNNING_DOC for reason in rc.GIVE_UP_REASONS)
