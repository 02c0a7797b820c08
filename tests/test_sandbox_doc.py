"""docs/sandbox.md says what the sandbox does: its tables, quoted errors and examples.

The tables between ``<!-- name-table ... -->`` and ``<!-- /name-table -->`` are written
by hand; these tests hold them to the code. The error strings the 406, 401, 403 and 429
sections quote must be string literals of ``engql/sandbox/*.py`` or ``engql/facts.py``
(``<placeholders>`` stand for the variable parts). The Python example runs in a
subprocess, so a hung socket cannot hang the suite, and prints what the doc shows; each
``<!-- replay ... -->`` request gets the answer shown; ``engql sandbox`` prints the lines
shown.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import urllib3
from child_pipes import read_until
from oauthlib.oauth1 import Client

from engql import facts
from engql.cli import build_parser
from engql.sandbox.auth import Credentials, Reason
from engql.sandbox.faults import STATUS_BODIES, Fault
from engql.sandbox.server import GZIP_REQUIRED, LoggedRequest, Sandbox

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
SANDBOX_SOURCES = [*sorted((ROOT / "engql" / "sandbox").glob("*.py")), ROOT / "engql" / "facts.py"]
"""The sandbox's modules and the facts it reads its wire texts from."""
TIMEOUT = 60
http = urllib3.PoolManager(retries=False, timeout=10)

REPLAY_OPTIONS: dict[str, Any] = {
    "now": datetime(2016, 3, 1, 12, 30, tzinfo=UTC),
    "unowned": ["697506383516729345"],
    "unavailable": ["697506383516729346"],
    "protected": ["697506383516729347"],
}
REPLAY_SETUP = (
    "Sandbox(now=datetime(2016, 3, 1, 12, 30, tzinfo=UTC), "
    'unowned=["697506383516729345"], unavailable=["697506383516729346"], '
    'protected=["697506383516729347"])'
)
"""How the doc states the sandbox its replayed examples ran against."""


def table(name: str) -> list[list[str]]:
    """The body rows of a marked table, each a list of cells."""
    found = re.search(rf"<!-- {name}-table\b.*?-->\n(.*?)<!-- /{name}-table -->", DOC, re.S)
    assert found, f"docs/sandbox.md has no {name} table"
    lines = found.group(1).strip().splitlines()[2:]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


def unquoted(cell: str) -> str:
    return cell.strip("`")


def blocks_after(marker: str, count: int) -> list[str]:
    """The texts of the ``count`` fenced blocks that follow a ``<!-- marker`` comment."""
    start = DOC.index(f"<!-- {marker}")
    found = re.findall(r"^```\w*\n(.*?)^```$", DOC[start:], re.S | re.M)
    assert len(found) >= count, f"fewer than {count} blocks after {marker}"
    return found[:count]


def section(heading: str) -> str:
    """The text under the heading that starts with ``heading``, up to the next heading."""
    found = re.search(rf"^#+ {re.escape(heading)}.*?\n(.*?)(?=^#)", DOC, re.S | re.M)
    assert found, f"docs/sandbox.md has no section {heading!r}"
    return found.group(1)


def sandbox_parser() -> argparse.ArgumentParser:
    (commands,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices["sandbox"]
    return parser


def test_every_flag_of_the_help_is_in_the_table_and_back() -> None:
    in_help = set(re.findall(r"--[a-z][a-z-]*", sandbox_parser().format_help()))
    in_table = {unquoted(row[0]).split()[0] for row in table("flags")}
    assert in_table == in_help - {"--help"}
    assert "--help" in DOC


def test_flag_defaults_are_the_parsers() -> None:
    defaults = {
        option: action.default
        for action in sandbox_parser()._actions
        for option in action.option_strings
    }
    for flag, default, _ in table("flags"):
        value = defaults[unquoted(flag).split()[0]]
        expected = "none" if value in ([], "", None) else f"`{value}`"
        assert default == expected, flag


def _shown(default: Any) -> str:
    """A default as the options table writes it."""
    if isinstance(default, str):
        return f'"{default}"'
    if callable(default):
        return f"{default.__module__}.{default.__name__}"
    return repr(default)


def test_the_options_table_is_the_constructor() -> None:
    parameters = inspect.signature(Sandbox.__init__).parameters
    expected = [(name, _shown(p.default)) for name, p in parameters.items() if name != "self"]
    assert [(unquoted(row[0]), unquoted(row[1])) for row in table("options")] == expected


def test_the_log_table_is_the_logged_request() -> None:
    fields = [field.name for field in attrs.fields(LoggedRequest)]
    assert [unquoted(row[0]) for row in table("log")] == fields


def test_every_fault_is_documented_with_its_answer() -> None:
    rows = {unquoted(row[0]): row[1] for row in table("faults")}
    assert set(rows) == {fault.value for fault in Fault}
    for fault, (status, text) in STATUS_BODIES.items():
        assert rows[fault.value].startswith(str(status)), fault
        assert f'{{"errors": ["{text}"]}}' in rows[fault.value], fault
    assert "Retry-After: 1" in rows[Fault.RATE_LIMITED.value]


def _string_literals() -> set[str]:
    """Every string literal of the sandbox's modules that is not documentation (a string
    standing alone as a statement); an f-string gives its literal parts, joined to the
    ``facts.NAME`` texts it puts between them, and adjacent literals are already joined."""
    found: set[str] = set()
    for path in SANDBOX_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        documentation = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        found |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in documentation
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                found |= set("".join(map(_with_facts, node.values)).split("\0"))
    return found


def _with_facts(part: ast.expr) -> str:
    """An f-string's part as text: a literal, the value of ``facts.NAME``, else a break."""
    if isinstance(part, ast.Constant):
        return str(part.value)
    value = part.value if isinstance(part, ast.FormattedValue) else part
    if (
        isinstance(value, ast.Attribute)
        and isinstance(value.value, ast.Name)
        and value.value.id == "facts"
    ):
        return str(getattr(facts, value.attr))
    return "\0"


LITERALS = _string_literals()
ERROR_SECTIONS = ("406 ", "401 ", "403 ", "429 ")


def quoted_errors(text: str) -> list[str]:
    """The backticked spans of a section that are error strings: capitalised, with a
    space (headers, field names and values are written without one)."""
    return [s for s in re.findall(r"`([^`\n]+)`", text) if s[0].isupper() and " " in s]


@pytest.mark.parametrize("heading", ERROR_SECTIONS)
def test_quoted_errors_are_in_the_code(heading: str) -> None:
    quoted = quoted_errors(section(heading))
    assert quoted, f"the {heading.strip()} section quotes no error string"
    for message in quoted:
        for part in re.split(r"<[^>]+>", message):
            part = part.strip()
            assert not part or any(part in literal for literal in LITERALS), (
                f"{message!r}: {part!r} is in no string of engql/sandbox or engql/facts.py"
            )


def test_the_error_sections_are_complete() -> None:
    assert f"`{GZIP_REQUIRED}`" in section("406 ")
    assert set(quoted_errors(section("401 "))) >= {reason.value for reason in Reason}
    forbidden = section("403 ")
    assert facts.FORBIDDEN_ENDPOINT_ERROR.strip() in forbidden
    assert facts.FORBIDDEN_METRICS_ERROR.strip() in forbidden
    assert "`Exceeded rate limit`" in section("429 ")


def test_the_python_example_runs_and_prints_what_the_doc_shows() -> None:
    code, printed = blocks_after("example", 2)
    assert "with Sandbox(" in code and "port=" not in code, "the example serves on port 0"
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == printed


REPLAYS = re.findall(r"^<!-- replay (\S+) (user|app) (\d{3}) -->$", DOC, re.M)


def post(
    base_url: str, credentials: Credentials, endpoint: str, body: Any, auth: str | None
) -> urllib3.BaseHTTPResponse:
    """A request as a client sends it: signed (``user``), with the bearer (``app``), or
    without credentials (None)."""
    url = f"{base_url}/insights/engagement/{endpoint}"
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
    c = credentials
    if auth == "user":
        signer = Client(
            c.consumer_key,
            client_secret=c.consumer_secret,
            resource_owner_key=c.access_token,
            resource_owner_secret=c.access_token_secret,
        )
        url, headers, _ = signer.sign(url, http_method="POST", headers=headers)
    elif auth == "app":
        headers["Authorization"] = f"Bearer {c.bearer_token}"
    return http.request("POST", url, body=json.dumps(body), headers=headers)


def test_the_replayed_examples_state_their_sandbox() -> None:
    assert len(REPLAYS) >= 4
    assert REPLAY_SETUP in DOC


@pytest.fixture(scope="module")
def replay_sandbox() -> Iterator[Sandbox]:
    """One sandbox for every replay (stopping one takes half a second)."""
    with Sandbox(**REPLAY_OPTIONS) as api:
        yield api


@pytest.mark.parametrize(("endpoint", "auth", "status"), REPLAYS)
def test_replayed_examples_get_the_answer_shown(
    replay_sandbox: Sandbox, endpoint: str, auth: str, status: str
) -> None:
    request, answer = blocks_after(f"replay {endpoint} {auth} {status}", 2)
    api = replay_sandbox
    response = post(api.base_url, api.credentials, endpoint, json.loads(request), auth)
    assert response.status == int(status)
    assert response.json() == json.loads(answer)


def _normal(lines: list[str]) -> list[str]:
    """Lines with the port and the milliseconds, which change from run to run, blanked."""
    lines = [re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", s) for s in lines]
    return [re.sub(r" \d+ ms$", " N ms", s) for s in lines]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_engql_sandbox_prints_the_lines_shown() -> None:
    (exports,) = blocks_after("exports", 1)
    (stderr,) = blocks_after("stderr", 1)
    process = subprocess.Popen(
        [sys.executable, "-m", "engql", "sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        # A background job of a non-interactive shell starts with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        printed = read_until(
            process.stdout, lambda data: data.count(b"\n") >= 6, deadline
        ).splitlines()
        base_url = printed[0].partition("=")[2]
        body = {
            "tweet_ids": ["20"],
            "engagement_types": ["favorites"],
            "groupings": {"g": {"group_by": ["tweet.id"]}},
        }
        statuses = [
            post(base_url, Credentials.generate(0), "totals", body, auth).status
            for auth in ("user", "app", None)
        ]
        process.send_signal(signal.SIGINT)
        _, logged = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait()
    assert statuses == [200, 200, 401]
    assert process.returncode == 0
    assert _normal(printed) == _normal(exports.splitlines())
    assert _normal(logged.decode().splitlines()) == _normal(stderr.splitlines())
