"""A server that cannot be reached, or that breaks the connection: said once, in words.

Real loopback sockets throughout: a closed port is one found free and never listened
on; a server that resets or stops mid-answer is a plain socket doing just that.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import urllib3
from run_helpers import (
    EXAMPLES,
    FAST,
    IDS_600,
    NOW,
    TOTALS_QUERY,
    Ran,
    compile_for,
    reasons,
    shortened_backoff,
)

from engql.credentials import Credentials
from engql.executor.result import Result
from engql.executor.runner import Executor, RunOptions
from engql.executor.transport import send
from engql.plan.planner import Plan, Request
from engql.repl.shell import Shell
from engql.running import cannot_connect
from engql.sandbox import auth
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

QUICKSTART = str(EXAMPLES / "quickstart.engql")
CLASS_NAMES = ("NewConnectionError", "ProtocolError", "Errno", "Error(")
REFUSED = "connection refused (is `engql sandbox` running?)"


def closed_port() -> int:
    """A loopback port that nothing listens on: bound to find it free, never listened on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> str:
    """The base URL of a closed port (in ENGQL_BASE_URL too), credentials set, the
    backoff short."""
    url = f"http://127.0.0.1:{closed_port()}"
    for name in ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(f"ENGQL_{name}", "x" * 30)
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", "A" * 40)
    monkeypatch.setenv("ENGQL_BASE_URL", url)
    shortened_backoff(monkeypatch)
    return url


# engql run, collect and the shell ----------------------------------------------------


def test_nothing_listening_is_said_once_and_its_tweets_are_counted(
    nowhere: str, engql_run: Callable[..., Ran]
) -> None:
    ran = engql_run(QUICKSTART, "--format", "json")
    assert ran.code == 6
    lines = ran.err.splitlines()
    assert lines[:2] == [
        f"engql: cannot connect to {nowhere}: {REFUSED}",
        "engql: 3 Tweets are missing: the server could not be reached "
        "(--format json lists them all)",
    ]
    assert lines[2].startswith("engql: 1 request, 5 sent, 4 retried, 0 rate limited, ")
    assert len(lines) == 3
    missing = json.loads(ran.out)["missing"]
    assert list(missing.values()) == ["could not connect after 5 attempts (connection refused)"] * 3


def test_quiet_keeps_the_failure_and_drops_the_summary(
    nowhere: str, engql_run: Callable[..., Ran]
) -> None:
    ran = engql_run(QUICKSTART, "--format", "json", "--quiet")
    assert ran.code == 6
    assert ran.err == (
        f"engql: cannot connect to {nowhere}: {REFUSED}\n"
        "engql: 3 Tweets are missing: the server could not be reached "
        "(--format json lists them all)\n"
    )


def test_verbose_says_each_attempt_in_words(nowhere: str, engql_run: Callable[..., Ran]) -> None:
    ran = engql_run(QUICKSTART, "--format", "json", "--verbose")
    attempts = [line for line in ran.err.splitlines() if " batch " in line]
    assert attempts == ["engql: totals batch 0: connection refused"] * 5
    assert ran.err.index("engql: cannot connect to") < ran.err.index(attempts[0])
    assert not any(name in ran.err for name in CLASS_NAMES)


def test_collect_says_it_once_too(nowhere: str, capsys: pytest.CaptureFixture[str]) -> None:
    from engql.cli import main

    code = main(["collect", QUICKSTART, "--store", "sqlite:///c.db", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 6
    assert err.count("cannot connect to") == 1
    assert err.startswith(f"engql: cannot connect to {nowhere}: {REFUSED}\n")


def test_the_shell_says_it_once_too(nowhere: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "engql.repl.shell.RunOptions",
        lambda **given: RunOptions(**given, base_delay=FAST.base_delay),
    )
    err = io.StringIO()
    shell = Shell(io.StringIO(), err)
    shell.handle("SELECT favorites FROM totals WHERE tweet IN (1260294888811347969, 20);")
    said = err.getvalue()
    assert said.count("cannot connect to") == 1, said
    assert f"engql: cannot connect to {nowhere}: {REFUSED}\n" in said
    assert "W601" not in said and not any(name in said for name in CLASS_NAMES)
    counted = "engql: 2 Tweets are missing: the server could not be reached; \\missing lists them"
    assert counted in said
    listed = io.StringIO()
    shell.out = listed
    shell.handle("\\missing")
    assert listed.getvalue().count("could not connect after") == 2, listed.getvalue()


def test_on_another_machine_it_does_not_ask_for_the_sandbox() -> None:
    assert cannot_connect("https://data-api.twitter.com", "name not found") == (
        "cannot connect to https://data-api.twitter.com: name not found"
    )
    for url in ("http://localhost:8000", "http://[::1]:8000", "http://127.0.0.2:9"):
        assert cannot_connect(url, "connection refused").endswith(REFUSED), url
    assert cannot_connect("https://me:hunter22@api.example", "timed out connecting") == (
        "cannot connect to https://<redacted>@api.example: timed out connecting"
    )


# The executor: retried, said once, and a server known to be down --------------------


def executor_at(url: str, credentials: Credentials, said: list[str], **hooks: object) -> Executor:
    return Executor(
        credentials,
        url,
        RunOptions(concurrency=1, base_delay=0.01, max_delay=0.05),
        on_unreachable=said.append,
        **hooks,  # type: ignore[arg-type]
    )


def sandbox_credentials(seed: int = 0) -> Credentials:
    """The credentials a Sandbox of this seed will accept, known before it starts."""
    made = auth.Credentials.generate(seed)
    return Credentials(bearer_token=made.bearer_token)


def test_a_server_known_to_be_down_gets_one_attempt_a_request() -> None:
    """Once a request used its 5 attempts without connecting, the others get one each:
    a wrong base URL does not cost every request its backoff."""
    said: list[str] = []
    plan = compile_for(TOTALS_QUERY, IDS_600)  # 3 requests
    executor = executor_at(f"http://127.0.0.1:{closed_port()}", sandbox_credentials(), said)
    result = executor.run(plan)
    assert said == ["connection refused"]
    assert result.stats.sent == 5 + 1 + 1
    texts = reasons(result.statements[0].missing)
    assert {texts[t] for t in IDS_600[:250]} == {
        "could not connect after 5 attempts (connection refused)"
    }
    assert {texts[t] for t in IDS_600[250:]} == {
        "could not connect after 1 attempt (connection refused)"
    }


def run_then_stop(executor: Executor, plan: Plan, started: list[Sandbox]) -> Result:
    """Run ``plan``, then stop the sandboxes a hook started while it ran."""
    try:
        return executor.run(plan)
    finally:
        for api in started:
            api.stop()


def test_a_server_that_comes_up_while_retrying_answers() -> None:
    """A server restarting: the refused request is retried, and answered once it is up."""
    port = closed_port()
    said: list[str] = []
    started: list[Sandbox] = []

    def start_after_two(request: Request, body: object, reply: object) -> None:
        if len(said) == 1 and not started and request.index == 0:
            started.append(Sandbox(port=port, now=NOW).start())

    plan = compile_for(TOTALS_QUERY, IDS_600[:30])
    executor = executor_at(
        f"http://127.0.0.1:{port}", sandbox_credentials(), said, on_response=start_after_two
    )
    result = run_then_stop(executor, plan, started)
    assert said == ["connection refused"]
    assert result.missing == {}
    assert result.stats.sent == 2


def test_a_server_back_up_clears_what_was_known() -> None:
    """The first request gives up; the server comes up; the next requests connect (one
    attempt each while it was known to be down) and are answered in full."""
    port = closed_port()
    said: list[str] = []
    started: list[Sandbox] = []
    attempts: list[int] = []

    def start_after_the_first_gives_up(request: Request, body: object, reply: object) -> None:
        attempts.append(request.index)
        if attempts.count(0) == 5 and not started:
            started.append(Sandbox(port=port, now=NOW, rate_limit=100_000).start())

    plan = compile_for(TOTALS_QUERY, IDS_600)
    executor = executor_at(
        f"http://127.0.0.1:{port}",
        sandbox_credentials(),
        said,
        on_response=start_after_the_first_gives_up,
    )
    result = run_then_stop(executor, plan, started)
    assert said == ["connection refused"]
    assert set(result.statements[0].missing) == set(IDS_600[:250])
    assert attempts == [0, 0, 0, 0, 0, 1, 2]


# The words of a broken connection ------------------------------------------------------


@contextmanager
def one_connection_server(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback server that takes one connection, reads the request whole, then does
    ``behave`` with it; its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            _read_request(connection)
            behave(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(timeout=10)
        listener.close()


def _read_request(connection: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += connection.recv(65536)


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _half_an_answer(connection: socket.socket) -> None:
    connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"per_tweet"')


def _silence(connection: socket.socket) -> None:
    connection.recv(1)  # until the client gives up and closes


@pytest.mark.parametrize(
    ("behave", "words"),
    [
        (_reset, "connection reset by the server"),
        (_half_an_answer, "the server closed the connection mid-answer"),
        (_silence, "timed out waiting for the answer"),
        (lambda connection: None, "the server closed the connection without answering"),
    ],
    ids=["reset", "mid-answer", "silent", "closed"],
)
def test_a_broken_connection_is_said_in_words(
    behave: Callable[[socket.socket], None], words: str
) -> None:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=0.5))
    with one_connection_server(behave) as url:
        reply = send(pool, url + "/insights/engagement/totals", b"{}", "Bearer x")
    assert (reply.broken, reply.connected) == (words, True)


def test_a_refused_connection_did_not_connect() -> None:
    pool = urllib3.PoolManager(retries=False)
    reply = send(pool, f"http://127.0.0.1:{closed_port()}/x", b"{}", "Bearer x")
    assert (reply.status, reply.broken, reply.connected) == (0, "connection refused", False)


def test_https_to_a_plain_http_server_says_so() -> None:
    with Sandbox() as api:
        url = api.base_url.replace("http://", "https://") + "/insights/engagement/totals"
        reply = send(urllib3.PoolManager(retries=False), url, b"{}", "Bearer x")
    assert reply.broken == (
        "TLS handshake failed: the server does not speak TLS (is the URL http://?)"
    )
    assert not reply.connected
