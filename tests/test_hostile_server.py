"""``engql run`` against servers that answer badly: every Tweet is still accounted for.

Each test runs the command line against a loopback server that misbehaves: the sandbox
with one of its hostile faults (docs/sandbox.md), or, for answers the sandbox cannot
give, a tiny server in this file that replies with fixed bytes. Whatever comes back,
the run must end with a documented exit code (never 70, an internal error), every Tweet
asked for must be in the answer or listed missing with a reason, and nothing the
server made up (a Tweet not asked for, a count that is not a number) may reach the
output.
"""

from __future__ import annotations

import functools
import gzip
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from child_pipes import read_until
from hypothesis import given, settings
from hypothesis import strategies as st

from engql import facts
from engql.cli import main
from engql.executor.limiter import RateGate, WaitTooLong
from engql.executor.merge import merge_answers
from engql.executor.rows import long_rows, wide_rows
from engql.executor.runner import RunOptions
from engql.executor.shape import answer_problem
from engql.executor.transport import ATTEMPT_DEADLINE, MAX_ANSWER_BYTES
from engql.progress import resume_time
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
NOW_TEXT = "2024-07-01T12:00:00Z"
QUERY = """\
SELECT favorites, retweets
FROM totals
WHERE tweet IN :ids
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS total;
"""
COUNT = re.compile(r"-?[0-9]+")


def tweet_at(moment: datetime) -> str:
    ms = round(moment.timestamp() * 1000) - facts.SNOWFLAKE_EPOCH_MS
    return str(ms << 22)


def tweets(count: int) -> list[str]:
    first = datetime(2024, 6, 1, tzinfo=UTC)
    return [tweet_at(first + i * timedelta(minutes=37)) for i in range(count)]


IDS = tweets(3)
"""One /totals request."""
IDS_TWO_BATCHES = tweets(260)
"""Two /totals requests: 250 and 10."""

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture(autouse=True)
def isolated_environment(no_machine_credentials: None) -> None:
    """No credential of the machine; the query file in the working directory."""
    Path("q.engql").write_text(QUERY, encoding="utf-8")


def quick_options(monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    """`engql run` has no flags for the backoff, the deadline or the size cap: give its
    RunOptions short ones, so that retries take milliseconds, not seconds."""
    options = {"base_delay": 0.01, **options}
    monkeypatch.setattr("engql.run_command.RunOptions", functools.partial(RunOptions, **options))


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def answer(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.out)
        return found


@pytest.fixture
def engql_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Ran]:
    """``engql run q.engql`` against ``base_url`` with credentials, in this process."""

    def run(base_url: str, ids: Sequence[str], *args: str) -> Ran:
        for name in ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
            monkeypatch.setenv(f"ENGQL_{name}", "x")
        capsys.readouterr()
        options = ["--now", NOW_TEXT, "--format", "json", "--concurrency", "1"]
        code = main(
            [
                "run",
                "q.engql",
                "-p",
                "ids=" + ",".join(ids),
                *options,
                "--base-url",
                base_url,
                *args,
            ]
        )
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def sandbox_run(
    factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    script: dict[int, Fault],
    ids: Sequence[str] = IDS,
    *args: str,
) -> tuple[Ran, Sandbox]:
    api = factory(now=NOW, faults=FaultPlan(script))
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", api.credentials.bearer_token)
    return engql_run(api.base_url, ids, *args), api


def leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    else:
        yield node


def accounted(ran: Ran, ids: Sequence[str]) -> dict[str, str]:
    """Check that every Tweet is answered or missing with a reason, that the answer holds
    only Tweets asked for and counts that are numbers; the missing Tweets."""
    assert ran.code != 70, ran.err
    assert "Traceback" not in ran.err and "internal error" not in ran.err, ran.err
    answer = ran.answer()
    missing: dict[str, str] = answer["missing"]
    answered = set(answer["per_tweet"])
    assert answered | set(missing) == set(ids)
    assert answered <= set(ids) and set(missing) <= set(ids)
    assert all(reason for reason in missing.values())
    for name in ("per_tweet", "total"):
        assert all(isinstance(n, str) and COUNT.fullmatch(n) for n in leaves(answer[name]))
    for listed in ("unavailable_tweet_ids", "unsupported_for_video_views_tweet_ids"):
        assert set(answer.get(listed, ())) <= set(ids)
    return missing


SHAPE_FAULTS = [
    Fault.NOT_AN_OBJECT,
    Fault.STRING_BODY,
    Fault.STRING_GROUPING,
    Fault.LIST_GROUPING,
    Fault.BAD_COUNTS,
    Fault.EXTRA_IDS,
]
SHAPE_REASONS = {
    Fault.NOT_AN_OBJECT: "the answer is a JSON array, not an object",
    Fault.STRING_BODY: "the answer is a JSON string, not an object",
    Fault.STRING_GROUPING: "grouping 'per_tweet' is a JSON string, not an object",
    Fault.LIST_GROUPING: "grouping 'per_tweet' is a JSON array, not an object",
    Fault.BAD_COUNTS: "'NaN-abc' is not a count",
    Fault.EXTRA_IDS: "Tweet 20, which was not asked for",
}


# Answers of the wrong shape: a failed attempt, retried -----------------------------------


@pytest.mark.parametrize("fault", SHAPE_FAULTS)
def test_an_answer_of_the_wrong_shape_is_retried(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    quick_options(monkeypatch)
    ran, api = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, {1: fault}, IDS)
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS) == {}
    assert "1 retried" in ran.err
    assert [e.fault for e in api.log.entries()] == [fault, None]


@pytest.mark.parametrize("fault", SHAPE_FAULTS)
def test_an_answer_always_of_the_wrong_shape_gives_up_naming_why(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    quick_options(monkeypatch)
    script = dict.fromkeys(range(1, 6), fault)
    ran, _ = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, script, IDS)
    assert ran.code == 6, ran.err
    missing = accounted(ran, IDS)
    assert set(missing) == set(IDS)
    (reason,) = set(missing.values())
    assert reason.startswith("failed after 5 attempts (answer of the wrong shape: ")
    assert SHAPE_REASONS[fault] in reason


# Rate limits that make no sense, and waits too long to be worth it -----------------------


def test_a_zero_limit_is_not_believed(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer said 0 requests a minute, the minute ending in a second: the run waits
    out that second and goes on."""
    script = {1: Fault.ZERO_LIMIT}
    ran, api = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, script, IDS_TWO_BATCHES)
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS_TWO_BATCHES) == {}
    assert [e.status for e in api.log.entries()] == [200, 200]


@pytest.mark.parametrize("fault", [Fault.HUGE_RETRY_AFTER, Fault.FAR_RESET])
def test_a_day_long_wait_gives_up_with_exit_6_at_once(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    started = time.monotonic()
    ids = IDS_TWO_BATCHES
    ran, api = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, {1: fault}, ids)
    assert time.monotonic() - started < 60, "no waiting for the day"
    assert ran.code == 6, ran.err
    missing = accounted(ran, ids)
    lost = ids if fault is Fault.HUGE_RETRY_AFTER else ids[250:]  # one gate per credential
    assert set(missing) == set(lost)
    (reason,) = set(missing.values())
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert re.fullmatch(
        rf"rate limited until {tomorrow}T\d\d:\d\d:\d\dZ, longer than the 600 s --max-wait",
        reason,
    ), reason
    assert len(api.log.entries()) == 1


def test_max_wait_is_the_longest_wait(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 429 with Retry-After: 1 is waited out, unless --max-wait is below a second."""
    script = {1: Fault.RATE_LIMITED}
    ran, _ = sandbox_run(
        engql_sandbox_factory, engql_run, monkeypatch, script, IDS, "--max-wait", "0.5"
    )
    assert ran.code == 6, ran.err
    (reason,) = set(accounted(ran, IDS).values())
    assert reason.startswith("rate limited until ")
    assert reason.endswith(", longer than the 0.5 s --max-wait")
    ran, _ = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, script, IDS)
    assert ran.code == 0, ran.err


@pytest.mark.parametrize("value", ["-1", "nan", "x"])
def test_a_bad_max_wait_is_a_usage_error(engql_run: Callable[..., Ran], value: str) -> None:
    ran = engql_run("http://127.0.0.1:9", IDS, "--max-wait", value)
    assert ran.code == 2
    assert "--max-wait" in ran.err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_a_wait_into_another_day_shows_the_date(tmp_path: Path) -> None:
    faults = FaultPlan({1: Fault.HUGE_RETRY_AFTER})
    with Sandbox(now=NOW, faults=faults) as api:
        env = {**os.environ, "ENGQL_BEARER_TOKEN": api.credentials.bearer_token}
        command = [sys.executable, "-m", "engql", "run", "q.engql", "--max-wait", "100000"]
        command += ["-p", "ids=" + ",".join(IDS), "--base-url", api.base_url]
        process = subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            shown = read_until(
                process.stderr,
                lambda data: (
                    re.search("resuming at", data.decode(errors="replace"), re.M) is not None
                ),
                time.monotonic() + 60,
            )
            process.send_signal(signal.SIGINT)
            _, rest = process.communicate(timeout=30)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == 130
    until = time.localtime(time.time() + 86400)
    date = time.strftime("%Y-%m-%d", until)
    assert re.search(rf"^engql: rate limited, resuming at {date} \d\d:\d\d:\d\d$", shown, re.M)
    assert "Traceback" not in shown + rest.decode()


# Bodies too big or too slow -----------------------------------------------------------


def test_a_gzip_bomb_is_cut_at_the_cap_and_retried(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick_options(monkeypatch)
    script = {1: Fault.GZIP_BOMB}
    ran, _ = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, script, IDS, "--verbose")
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS) == {}
    assert "engql: totals batch 0: answer over 256 MiB once decompressed" in ran.err


def test_a_gzip_bomb_takes_no_more_memory_than_the_cap(tmp_path: Path) -> None:
    """In a child process, so its peak memory is its own: VmHWM, the peak of the memory
    it has since exec. Its ru_maxrss would start from the peak of this test process,
    which forked it, and that passes the cap by itself late in a run of the suite."""
    code = (
        "import re, sys\n"
        "from engql.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "with open('/proc/self/status') as status_file:\n"
        "    print(re.search(r'VmHWM:\\s*(\\d+)', status_file.read())[1], file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    with Sandbox(now=NOW, faults=FaultPlan({1: Fault.GZIP_BOMB})) as api:
        env = {**os.environ, "ENGQL_BEARER_TOKEN": api.credentials.bearer_token}
        command = [sys.executable, "-c", code, "run", "q.engql", "--base-url", api.base_url]
        command += ["-p", "ids=" + ",".join(IDS), "--format", "json"]
        ran = subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
    assert ran.returncode == 0, ran.stderr
    peak_kib = int(ran.stderr.splitlines()[-1])
    assert peak_kib * 1024 < MAX_ANSWER_BYTES * 2.5, f"{peak_kib / 1024:.0f} MiB"
    assert set(json.loads(ran.stdout)["per_tweet"]) == set(IDS)


def test_a_slow_body_meets_the_attempt_deadline_and_is_retried(
    engql_sandbox_factory: SandboxFactory,
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The body drips a byte a second, which no per-read timeout catches; with the
    deadline lowered to 1.5 s the attempt ends then, and the retry gets the answer."""
    quick_options(monkeypatch, attempt_deadline=1.5)
    script = {1: Fault.SLOW_BODY}
    started = time.monotonic()
    ran, _ = sandbox_run(engql_sandbox_factory, engql_run, monkeypatch, script, IDS, "--verbose")
    took = time.monotonic() - started
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS) == {}
    assert "engql: totals batch 0: no whole answer within 1.5 s" in ran.err
    assert took < 30


# Answers the sandbox cannot give: a tiny server of fixed replies --------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    drip: float = 0
    """Seconds between the lines of the headers (0: all at once)."""


class FixedReplies(ThreadingHTTPServer):
    """Answers the n-th POST with ``replies[n]`` (the last one again after the end)."""

    daemon_threads = True

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.count = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _FixedHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _FixedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FixedReplies

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            number = min(self.server.count, len(self.server.replies) - 1)
            self.server.count += 1
        reply = self.server.replies[number]
        self.send_response(reply.status)
        for name, value in {"Content-Encoding": "gzip", **reply.headers}.items():
            if value:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.drip:
            self.close_connection = True
            lines, self._headers_buffer = self._headers_buffer, []  # type: ignore[attr-defined]
            for line in lines:
                try:
                    self.wfile.write(line)
                except OSError:
                    return
                time.sleep(reply.drip)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fixed_server() -> Iterator[Callable[..., FixedReplies]]:
    servers: list[FixedReplies] = []

    def start(*replies: Reply) -> FixedReplies:
        server = FixedReplies(replies)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def gzipped(body: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, gzip.compress(json.dumps(body).encode()), headers)


def good_answer(ids: Sequence[str]) -> dict[str, Any]:
    per_tweet = {t: {"favorites": "1", "retweets": "2"} for t in ids}
    return {"per_tweet": per_tweet, "total": {"favorites": str(len(ids)), "retweets": "0"}}


HOSTILE_ANSWERS = {
    "an unasked Tweet listed unavailable": {
        **good_answer(IDS),
        "unavailable_tweet_ids": ["20"],
    },
    "an ID list that is not a list": {**good_answer(IDS), "unavailable_tweet_ids": "20"},
    "a start that is no time": {**good_answer(IDS), "start": "yesterday"},
    "errors that are not a list": {**good_answer(IDS), "errors": 5},
    "a count of 5000 digits": {**good_answer(IDS), "total": {"favorites": "9" * 5000}},
    "a count that is a float": {**good_answer(IDS), "total": {"favorites": 1.5}},
    "a count that is true": {**good_answer(IDS), "total": {"favorites": True}},
    "a count that is null": {**good_answer(IDS), "total": {"favorites": None}},
    "a count that is Unicode digits": {**good_answer(IDS), "total": {"favorites": "١٢"}},
    "a grouping too deep": {**good_answer(IDS), "total": {"favorites": {"x": "1"}}},
    "a grouping too shallow": {**good_answer(IDS), "per_tweet": {IDS[0]: "1"}},
    "an unasked metric": {**good_answer(IDS), "total": {"media_clicks": "1"}},
}


@pytest.mark.parametrize("answer", HOSTILE_ANSWERS.values(), ids=HOSTILE_ANSWERS)
def test_a_hostile_answer_is_retried_then_given_up(
    fixed_server: Callable[..., FixedReplies],
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    answer: dict[str, Any],
) -> None:
    quick_options(monkeypatch)
    server = fixed_server(gzipped(answer), gzipped(good_answer(IDS)))
    ran = engql_run(server.base_url, IDS)
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS) == {}
    assert server.count == 2
    assert ran.answer() == {**good_answer(IDS), "missing": {}}
    server = fixed_server(gzipped(answer))
    ran = engql_run(server.base_url, IDS)
    assert ran.code == 6, ran.err
    missing = accounted(ran, IDS)
    assert {r.split(" (")[0] for r in missing.values()} == {"failed after 5 attempts"}


@pytest.mark.parametrize("status", [400, 403, 429, 503])
@pytest.mark.parametrize("errors", [5, "text", None, [{"a": 1}]], ids=repr)
def test_error_answers_of_any_shape_are_refusals_or_retries(
    fixed_server: Callable[..., FixedReplies],
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    errors: Any,
) -> None:
    quick_options(monkeypatch)
    server = fixed_server(gzipped({"errors": errors}, status, **{"Retry-After": "0"}))
    ran = engql_run(server.base_url, IDS)
    assert ran.code in (4, 5, 6), ran.err
    if ran.code != 4:
        assert set(accounted(ran, IDS)) == set(IDS)


def test_a_plain_body_over_the_cap_is_cut(
    fixed_server: Callable[..., FixedReplies],
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No gzip, but more bytes than the cap: cut there too (the cap lowered to 1 KiB)."""
    quick_options(monkeypatch, max_answer_bytes=1024)
    padded = json.dumps(good_answer(IDS)).encode() + b" " * 2048
    server = fixed_server(Reply(200, padded, {"Content-Encoding": ""}))
    ran = engql_run(server.base_url, IDS, "--verbose")
    assert ran.code == 6, ran.err
    assert set(accounted(ran, IDS)) == set(IDS)
    assert "answer over 1 KiB" in ran.err


# The parts on their own: the gate, the wait message, the cap, the shape check --------------


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_gate_told_the_limit_is_zero_keeps_its_own() -> None:
    clock = FakeClock(1000.0)
    gate = RateGate(30, clock=clock)
    assert gate.acquire()
    gate.update(
        {"x-per-minute-limit": "0", "x-per-minute-remaining": "0", "x-per-minute-reset": "1001"}
    )
    clock.now = 1020.0  # the next minute
    assert all(gate.acquire() for _ in range(30))  # the configured 30 a minute, not 0
    never = RateGate(0, clock=clock)  # from Python: no limit can mean none a minute
    assert never.acquire(_stopped_after(0.2)) is False


def _stopped_after(seconds: float) -> threading.Event:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    return stop


def test_a_gate_gives_up_on_a_wait_past_max_wait_and_says_until_when() -> None:
    clock = FakeClock(1000.0)
    gate = RateGate(None, clock=clock, max_wait=600)
    gate.refused({"Retry-After": "86400"})
    with pytest.raises(WaitTooLong) as raised:
        gate.acquire()
    assert (raised.value.until, raised.value.max_wait) == (1000.0 + 86400, 600)
    gate.refused({"retry-after": "Fri, 02 Jan 1970 00:16:40 GMT"})  # an HTTP date, a day on
    with pytest.raises(WaitTooLong) as raised:
        gate.acquire()
    assert raised.value.until == 1000.0 + 86400
    clock.now = 1000.0 + 86400 - 600  # now the wait is short enough
    waits: list[float] = []
    gate = RateGate(None, clock=clock, on_wait=lambda s, until: waits.append(s), max_wait=600)
    gate.refused({"Retry-After": "600"})
    assert gate.acquire(_stopped_after(0.2)) is False
    assert waits == [600]


def test_the_resume_time_has_a_date_when_it_is_not_today() -> None:
    noon = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, -1))
    assert resume_time(noon + 3600, noon) == "13:00:00"
    assert resume_time(noon + 86400, noon) == "2026-12-02 12:00:00"
    assert resume_time(noon + 13 * 3600, noon) == "2026-12-02 01:00:00"


def test_the_cap_holds_the_largest_real_answer_with_room() -> None:
    """250 Tweets × 3 groupings × 17 metrics × 28 days × 24 hours of 10-digit counts,
    measured on one Tweet's grouping: the cap is at least 1.25 times that."""
    metrics = facts.ENDPOINTS["historical"].metrics
    assert len(metrics) == 17
    days = [f"2024-05-{day:02}" for day in range(1, 29)]
    hours = [f"{hour:02}" for hour in range(24)]
    one = {tweet_at(NOW): {m: {d: dict.fromkeys(hours, "9" * 10) for d in days} for m in metrics}}
    batch = facts.ENDPOINTS["totals"].max_tweet_ids
    largest = len(json.dumps(one)) * batch * facts.MAX_GROUPINGS
    assert 160 << 20 < largest < MAX_ANSWER_BYTES / 1.25


TWEETS = ["30", "31"]
REQUEST = {
    "tweet_ids": TWEETS,
    "engagement_types": ["favorites", "retweets"],
    "groupings": {
        "per_tweet": {"group_by": ["tweet.id", "engagement.type"]},
        "daily": {"group_by": ["engagement.type", "tweet.id", "engagement.day"]},
        "hourly": {"group_by": ["engagement.type", "engagement.hour"]},
    },
}
GROUPINGS = [(name, tuple(g["group_by"])) for name, g in REQUEST["groupings"].items()]
KEYS = [*TWEETS, "20", "favorites", "retweets", "media_clicks", "2024-05-01", "May 1", "07", "24"]
GOOD_COUNTS = st.sampled_from(["0", "17", "-2", "007"]) | st.integers(-(10**9), 10**9)
BAD_COUNTS = st.sampled_from(["NaN-abc", "١", "9" * 30, "", "1.5"]) | st.integers() | st.floats()
COUNTS = st.one_of(GOOD_COUNTS, GOOD_COUNTS, GOOD_COUNTS, BAD_COUNTS)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | COUNTS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=24,
)
METRIC_KEYS = st.sampled_from(["favorites", "retweets", "retweets", "media_clicks"])
TWEET_KEYS = st.sampled_from([*TWEETS, *TWEETS, "20"])
DAY_KEYS = st.sampled_from(["2024-05-01", "2024-05-02", "May 1"])
HOUR_KEYS = st.sampled_from(["00", "07", "23", "24"])


def nested(*levels: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """A grouping keyed by ``levels`` down to counts, mostly of the right shape, or
    (one time in four) any JSON value."""
    tree: st.SearchStrategy[Any] = COUNTS
    objects: st.SearchStrategy[Any] = COUNTS
    for keys in reversed(levels):
        objects = st.dictionaries(keys, tree, min_size=1, max_size=3)
        tree = st.one_of(objects, objects, objects, COUNTS)
    return st.one_of(objects, objects, objects, JSON_VALUES)


ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "per_tweet": nested(TWEET_KEYS, METRIC_KEYS),
        "daily": nested(METRIC_KEYS, TWEET_KEYS, DAY_KEYS),
        "hourly": nested(METRIC_KEYS, HOUR_KEYS),
        "unavailable_tweet_ids": st.lists(
            st.sampled_from([*TWEETS, *TWEETS, "20", 30]), max_size=2
        ),
        "errors": st.lists(st.text(max_size=4), max_size=2) | JSON_VALUES,
        "start": st.sampled_from(["2024-05-01T00:00:00Z", "2024-05-01", "yesterday", 5]),
    },
)


@settings(max_examples=500)  # one in thirty passes the check with counts in it
@given(ANSWERS)
def test_an_answer_the_shape_check_passes_merges_and_tabulates(answer: dict[str, Any]) -> None:
    """The law the executor relies on: whatever the check accepts, the merger, the rows
    and the missing Tweets read without error, and it names only Tweets asked for."""
    problem = answer_problem(answer, REQUEST)
    if problem is not None:
        assert isinstance(problem, str) and problem
        return
    merged = merge_answers(GROUPINGS, [answer, answer])
    for name, keys in GROUPINGS:
        for row in wide_rows(merged[name], keys, ["favorites", "retweets"]):
            assert row.get("tweet_id", "30") in TWEETS
        list(long_rows(merged[name], keys, ["favorites", "retweets"]))
    assert {str(t) for t in merged.get("unavailable_tweet_ids", [])} <= set(TWEETS)


def test_running_doc_gives_the_limits_the_code_has() -> None:
    doc = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    limits = doc.split("### Limits on an answer")[1].split("\n## ")[0]
    assert f"| {ATTEMPT_DEADLINE:g} s (`ATTEMPT_DEADLINE`) |" in limits
    assert f"| {MAX_ANSWER_BYTES >> 20} MiB (`MAX_ANSWER_BYTES`) |" in limits
    default = f"{facts.MAX_WAIT_SECONDS:g}"
    assert f"`--max-wait SECONDS` | the longest wait for a rate limit (default {default}," in doc


def test_headers_dripped_a_byte_at_a_time_meet_the_deadline_too(
    fixed_server: Callable[..., FixedReplies],
    engql_run: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick_options(monkeypatch, attempt_deadline=1)
    good = gzipped(good_answer(IDS))
    padding = {f"x-pad-{n}": "y" * 20 for n in range(30)}
    server = fixed_server(Reply(good.status, good.body, padding, drip=0.5), good)
    started = time.monotonic()
    ran = engql_run(server.base_url, IDS, "--verbose")
    assert ran.code == 0, ran.err
    assert accounted(ran, IDS) == {}
    assert "engql: totals batch 0: no whole answer within 1 s" in ran.err
    assert time.monotonic() - started < 8, "not the 15 s the headers take"
