"""A real ``engql repl --sandbox`` driven through a pseudo-terminal, as a user types."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engql import facts

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

PROMPT = "engql>"
CONTINUATION = r"\.\.\.>"
TIMEOUT = 30
ROWS, COLUMNS = 40, 200
CURSOR_POSITION_REQUEST = "\x1b[6n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[>=]|\r")
TWEETS = ("1260294888811347969", "850006245121695744")


def plain(text: str) -> str:
    """Terminal output without escape sequences and carriage returns."""
    return ANSI.sub("", text)


def terminal_environment(tmp_path: Path) -> dict[str, str]:
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


def spawn(tmp_path: Path, *arguments: str, answers_cpr: bool = False) -> pexpect.spawn:
    env = terminal_environment(tmp_path)
    if answers_cpr:
        del env["PROMPT_TOOLKIT_NO_CPR"]
    return pexpect.spawn(
        sys.executable,
        ["-m", "engql", *arguments],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(ROWS, COLUMNS),
    )


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[pexpect.spawn]:
    child = spawn(tmp_path, "repl", "--sandbox")
    child.expect_exact(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def run(child: pexpect.spawn, line: str, last: str) -> str:
    """Type ``line`` and Enter; the screen's text up to ``last`` (a regular expression
    for the end of the answer: prompt_toolkit redraws the prompt as the line is typed,
    so the prompt alone does not mark the end) and the next prompt."""
    child.send(line + "\r")
    child.expect(last)
    shown = child.before + child.after
    child.expect_exact(PROMPT)
    return plain(shown)


def test_a_multi_line_query_prints_a_table(shell: pexpect.spawn) -> None:
    shell.send("SELECT favorites, replies\r")
    shell.expect(CONTINUATION)
    shell.send("FROM totals\r")
    shell.expect(CONTINUATION)
    two_rows = r"(\r\n\d+ +[\d,]+ +[\d,]+ *){2}"
    printed = run(shell, f"WHERE tweet IN ({TWEETS[0]}, {TWEETS[1]});", two_rows)
    header = next(line for line in printed.splitlines() if line.startswith("tweet_id"))
    assert header.split() == ["tweet_id", "favorites", "replies"]
    for tweet in TWEETS:
        assert re.search(rf"^{tweet}\s+[\d,]+\s+[\d,]+\s*$", printed, re.M), printed


def test_metrics_of_totals_lists_exactly_them(shell: pexpect.spawn) -> None:
    last = facts.ENDPOINTS["totals"].metrics[-1]
    printed = run(shell, "\\metrics totals", rf"\r\n{last} .*\r\n")
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("metric "))
    rows = [line.split()[0] for line in lines[start + 2 :] if line.strip()]
    assert rows == list(facts.ENDPOINTS["totals"].metrics)


def test_a_bad_statement_shows_a_caret_and_the_shell_goes_on(shell: pexpect.spawn) -> None:
    printed = run(shell, "SELECT favourites FROM totals WHERE tweet = 20;", r"\^{10}")
    assert "<repl>:1:8: error[E102]: unknown metric 'favourites'" in printed
    assert "\\quit" in run(shell, "\\help", r"Ctrl-D leaves")


def test_tab_completes_a_metric(shell: pexpect.spawn) -> None:
    shell.send("SELECT fav")
    shell.send("\t")
    printed = run(shell, f" FROM totals WHERE tweet = {TWEETS[0]};", r"\r\n\d+ +[\d,]+ *\r\n")
    header = next(line for line in printed.splitlines() if line.startswith("tweet_id"))
    assert header.split() == ["tweet_id", "favorites"]


def test_quit_exits_0_and_keeps_the_history(shell: pexpect.spawn, tmp_path: Path) -> None:
    run(shell, "\\params", "no parameters are set")
    shell.send("\\quit\r")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
    assert "\\params" in (tmp_path / "state" / "engql" / "history").read_text()


def test_bare_engql_on_a_terminal_opens_the_shell(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.expect_exact(PROMPT)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def screen_shows(child: pexpect.spawn, wanted: str, seconds: float = TIMEOUT) -> bool:
    """Whether ``wanted`` appears on the screen a terminal would show, answering cursor
    position requests as a terminal does (prompt_toolkit draws the bottom toolbar only
    once it knows where the cursor is, and redraws only the cells that change)."""
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.Stream(screen)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = child.read_nonblocking(4096, timeout=0.2)
        except pexpect.TIMEOUT:
            continue
        if CURSOR_POSITION_REQUEST in chunk:
            child.send("\x1b[1;1R")
        stream.feed(chunk.replace(CURSOR_POSITION_REQUEST, ""))
        if any(wanted in line for line in screen.display):
            return True
    return False


def test_the_toolbar_shows_the_problem_of_the_statement_being_typed(tmp_path: Path) -> None:
    child = spawn(tmp_path, "repl", answers_cpr=True)
    try:
        assert screen_shows(child, PROMPT)
        child.send("SELECT favs FROM totals WHERE tweet = 1")
        assert screen_shows(child, "1:8 error[E102]: unknown metric 'favs'")
        child.sendcontrol("c")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
