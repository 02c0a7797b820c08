"""What the tests of ``engql run``, ``engql.Client`` and the executor share, against the
sandbox on loopback (tests/test_executor.py, test_limiter.py, test_outputs.py,
test_client.py, test_run_cli.py; their fixtures are in conftest.py).

No mocks: every request crosses a real socket to the emulator (engql/sandbox), whose
fault scripts stand in for the network and the server going wrong. Three ways in:

* the command line, ``engql.cli.main(["run", FILE, "--base-url", api.base_url, ...])``,
  with the sandbox's credentials in ``ENGQL_*`` variables, or with ``--sandbox``;
* ``engql.Client(...).run(...)``;
* ``Executor(credentials_of(api), api.base_url, RunOptions(...)).run(plan)``, where a
  test needs a short backoff or a hook.

HOME and XDG_CONFIG_HOME point into tmp_path and every ENGQL_*/TWITTER_* variable is
cleared, so no real profile or credential is read. Answers are checked against the
sandbox's own answer for the whole request, computed without the API's limits
(``unlimited_answer``): the merged answer of a split plan must equal it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

import engql
from engql import facts
from engql.credentials import Credentials
from engql.executor.missing import Missing
from engql.executor.runner import RunOptions
from engql.sandbox.data import SyntheticEngagement
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


def credentials_of(api: Sandbox, bearer: bool = True) -> Credentials:
    c = api.credentials
    return Credentials(
        consumer_key=c.consumer_key,
        consumer_secret=c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token if bearer else None,
    )


def reasons(missing: dict[str, Missing]) -> dict[str, str]:
    """Tweet ID → the reason's text, as W601 and ``--format json`` show it."""
    return {tweet: reason.text for tweet, reason in missing.items()}


@dataclass
class Ran:
    code: int
    out: str
    err: str


def query_file(text: str, name: str = "q.engql") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def ids_param(ids: Sequence[str]) -> list[str]:
    return ["-p", "ids=" + ",".join(ids)]


def compile_for(text: str, ids: Sequence[str]) -> engql.Plan:
    return engql.compile(text, params={"ids": list(ids)}, now=NOW)


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


def not_at_a_minute_end(seconds_left: float) -> None:
    """The sandbox counts calendar minutes: start a minute-limit test with at least
    ``seconds_left`` of the minute to go."""
    into = time.time() % 60
    if into > 60 - seconds_left:
        time.sleep(60.2 - into)


UNOWNED_QUERY = """\
SELECT impressions, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-04-16' AND '2024-05-28'
GROUP BY tweet.id, engagement.type AS per_tweet;
"""


def credential_values(api: Sandbox) -> list[str]:
    c = api.credentials
    return [
        c.consumer_key,
        c.consumer_secret,
        c.access_token,
        c.access_token_secret,
        c.bearer_token,
    ]


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


def terminal_environment(tmp_path: Path) -> dict[str, str]:
    """The environment of engql on a test's pseudo-terminal: its own home, no pager."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TERM": "xterm",
        "PAGER": "cat",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor position requests
        "PYTHONDONTWRITEBYTECODE": "1",
    }
