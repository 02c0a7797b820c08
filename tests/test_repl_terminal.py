"""A real ``engql repl --sandbox`` driven through a pseudo-terminal, as a user types."""

from __future__ import annotations

import re
import shutil
import stat
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from run_helpers import terminal_environment

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


def spawn(
    tmp_path: Path,
    *arguments: str,
    answers_cpr: bool = False,
    environment: Mapping[str, str | None] | None = None,
    columns: int = COLUMNS,
) -> pexpect.spawn:
    """``engql ARGUMENTS`` on a terminal; ``environment`` adds variables (None removes one)."""
    env = terminal_environment(tmp_path)
    if answers_cpr:
        del env["PROMPT_TOOLKIT_NO_CPR"]
    for name, value in (environment or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return pexpect.spawn(
        sys.executable,
        ["-m", "engql", *arguments],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(ROWS, columns),
    )


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[pexpect.spawn]:
    child = spawn(tmp_path, "repl", "--sandbox")
    child.expect(r"queries go to the sandbox at http://127\.0\.0\.1:\d+, a local emulator")
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
    kept = tmp_path / "state" / "engql" / "history"
    assert "\\params" in kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


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


def test_one_tab_completes_a_unique_prefix_and_a_second_keeps_it(shell: pexpect.spawn) -> None:
    """However soon Tab follows the typing (before or after the menu shows), ``fav``
    becomes ``favorites`` at once, and another Tab does not take it back."""
    for pause in (0, 0.5):
        shell.send("SELECT fav")
        time.sleep(pause)
        shell.send("\t\t")
        printed = run(shell, f" FROM totals WHERE tweet = {TWEETS[0]};", r"\r\n\d+ +[\d,]+ *\r\n")
        header = next(line for line in printed.splitlines() if line.startswith("tweet_id"))
        assert header.split() == ["tweet_id", "favorites"]


def editor(tmp_path: Path, body: str) -> str:
    """A small real editor: a shell script run on the file to edit."""
    path = tmp_path / "editor"
    path.write_text(f'#!/bin/sh\n{body} "$1" > "$1.new" && mv "$1.new" "$1"\n')
    path.chmod(0o755)
    return str(path)


def test_e_edits_the_statement_being_typed_and_runs_it(tmp_path: Path) -> None:
    fixes = f"sed -e 's/favourites/favorites/; s/totals/totals WHERE tweet = {TWEETS[0]};/'"
    child = spawn(tmp_path, "repl", "--sandbox", environment={"EDITOR": editor(tmp_path, fixes)})
    try:
        child.expect_exact(PROMPT)
        child.send("SELECT favourites\r")
        child.expect(CONTINUATION)
        child.send("FROM totals\r")
        child.expect(CONTINUATION)
        printed = run(child, "\\e", r"\r\n\d+ +[\d,]+ *\r\n")
        assert re.search(r"^tweet_id +favorites *$", printed, re.M), printed
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    kept = (tmp_path / "state" / "engql" / "history").read_text()
    assert f"+FROM totals WHERE tweet = {TWEETS[0]};" in kept


def test_e_leaves_an_unfinished_statement_at_the_prompt(tmp_path: Path) -> None:
    writes = "printf 'SELECT replies FROM totals' >"
    path = tmp_path / "editor"
    path.write_text(f'#!/bin/sh\n{writes} "$1"\n')
    path.chmod(0o755)
    child = spawn(tmp_path, "repl", "--sandbox", environment={"EDITOR": str(path)})
    try:
        child.expect_exact(PROMPT)
        child.send("\\e\r")
        child.expect("totals")  # the edited text, at the prompt (coloured, so word by word)
        printed = run(child, f" WHERE tweet = {TWEETS[0]};", r"\r\n\d+ +[\d,]+ *\r\n")
        assert re.search(r"^tweet_id +replies *$", printed, re.M), printed
    finally:
        child.close(force=True)


def test_keys_typed_while_a_query_runs_are_not_echoed(tmp_path: Path) -> None:
    from engql.sandbox.server import Sandbox

    with Sandbox(latency_ms=1500) as api:
        child = spawn(
            tmp_path,
            "repl",
            environment={
                "ENGQL_BASE_URL": api.base_url,
                "ENGQL_BEARER_TOKEN": api.credentials.bearer_token,
            },
        )
        try:
            child.expect(rf"queries go to {re.escape(api.base_url)} \(credentials from the")
            child.expect_exact(PROMPT)
            child.send(f"SELECT favorites FROM totals WHERE tweet = {TWEETS[0]};\r")
            time.sleep(0.5)
            child.send("\x1b[Azzz")
            child.expect(rf"\r\n{TWEETS[0]} +[\d,]+ *\r\n")
            assert "^[[A" not in child.before and "zzz" not in child.before
            child.expect_exact(PROMPT)
            child.expect("zzz")  # typed ahead: Up recalls the query, then zzz goes on it
            child.sendcontrol("c")
            child.sendcontrol("d")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_a_wide_result_is_paged_in_less_with_chopped_lines(tmp_path: Path) -> None:
    width = 50
    child = spawn(tmp_path, "repl", "--sandbox", environment={"PAGER": None}, columns=width)
    screen = pyte.Screen(width, ROWS)
    stream = pyte.Stream(screen)

    def shows(wanted: str) -> list[str]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                stream.feed(child.read_nonblocking(4096, timeout=0.2))
            except pexpect.TIMEOUT:
                continue
            if any(wanted in line for line in screen.display):
                return [line.rstrip() for line in screen.display]
        raise AssertionError(f"{wanted!r} never showed: {screen.display}")

    try:
        shows(PROMPT)
        metrics = "favorites, replies, retweets, quote_tweets"
        child.send(f"SELECT {metrics} FROM totals WHERE tweet IN ({', '.join(TWEETS)});\r")
        lines = shows("(END)")
        table = lines[lines.index(next(x for x in lines if x.startswith("tweet_id"))) :]
        assert [line.split()[0] for line in table[2:4]] == sorted(TWEETS, key=int)
        assert table[4].strip() in ("", "(END)") and "quote_tweets" not in table[0]
        child.send("q")
        child.expect_exact(PROMPT)
    finally:
        child.close(force=True)
