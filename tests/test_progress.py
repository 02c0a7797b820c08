"""Progress and waits on stderr (engql/progress.py): the bar, its countdown, the wait line.

A terminal here is a real pseudo-terminal, read on the other side and drawn with pyte, so
"no stale bar" means what a user would see: the screen after the run.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from run_helpers import (
    EXAMPLES,
    IDS_600,
    NOW,
    NOW_TEXT,
    TOTALS_QUERY,
    Ran,
    credential_env,
    ids_param,
    not_at_a_minute_end,
    terminal_environment,
)

from engql.progress import Progress, resume_time, wait_text
from engql.sandbox.server import Sandbox

pyte = pytest.importorskip("pyte")

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

ROWS, COLUMNS = 12, 120
COUNTDOWN = re.compile(r"rate limited: resuming in (\d+) s")


class Terminal:
    """A pseudo-terminal: ``stream`` is its side a program writes to; ``screen`` what a
    user would see once it is closed."""

    def __init__(self) -> None:
        primary, secondary = pty.openpty()
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.stream: IO[str] = os.fdopen(secondary, "w", encoding="utf-8", buffering=1)
        self._primary = primary
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._primary, 4096)
            except OSError:  # EIO: the other side is closed
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def close(self) -> str:
        """Close the program's side; everything it wrote."""
        self.stream.close()
        self._reader.join(timeout=10)
        os.close(self._primary)
        return b"".join(self._chunks).decode()


def screen_of(written: str) -> list[str]:
    """The screen's lines that hold something, once ``written`` is drawn."""
    screen = pyte.Screen(COLUMNS, ROWS)
    pyte.Stream(screen).feed(written)
    return [line.rstrip() for line in screen.display if line.strip()]


@contextmanager
def terminal() -> Iterator[Terminal]:
    shown = Terminal()
    try:
        yield shown
    finally:
        if not shown.stream.closed:
            shown.close()


# The module ------------------------------------------------------------------------------


def test_a_wait_is_counted_down_in_the_bar_which_leaves_nothing_behind() -> None:
    with terminal() as tty:
        progress = Progress(3, tty.stream)
        progress.on_done()
        progress.on_wait(4.0, time.time() + 2.4)
        time.sleep(1.6)  # the bar is redrawn about once a second while it waits
        progress.on_done()
        progress.on_done()
        progress.close()
        print("engql: 3 requests, 3 sent, 0 retried, 0 rate limited, 1.6 s", file=tty.stream)
        written = tty.close()
    counted_down = {int(n) for n in COUNTDOWN.findall(written)}
    assert len(counted_down) >= 2, written
    assert screen_of(written) == ["engql: 3 requests, 3 sent, 0 retried, 0 rate limited, 1.6 s"]


def test_lines_said_meanwhile_go_above_the_bar() -> None:
    with terminal() as tty:
        progress = Progress(2, tty.stream)
        progress.on_done()
        progress.say("engql: totals batch 0: HTTP 200")
        progress.around(lambda: print("engql: cancelling", file=tty.stream))()
        progress.close()
        written = tty.close()
    assert "1/2" in written
    assert screen_of(written) == ["engql: totals batch 0: HTTP 200", "engql: cancelling"]


def test_a_short_wait_is_not_shown() -> None:
    err = io.StringIO()
    with Progress(5, err) as progress:
        progress.on_wait(2.9, time.time() + 2.9)
    assert err.getvalue() == ""


def test_without_a_terminal_a_wait_is_one_line() -> None:
    err = io.StringIO()
    until = time.time() + 42
    with Progress(5, err) as progress:
        progress.on_wait(42, until)
    assert err.getvalue() == f"engql: rate limited, resuming at {resume_time(until)}\n"


def test_a_run_of_one_request_has_no_bar_and_says_its_wait_in_a_line() -> None:
    with terminal() as tty:
        until = time.time() + 30
        with Progress(1, tty.stream) as progress:
            progress.on_done()
            progress.on_wait(30, until)
        written = tty.close()
    assert screen_of(written) == [f"engql: rate limited, resuming at {resume_time(until)}"]


def test_quiet_shows_no_bar_and_no_wait_but_what_it_is_told_to_say() -> None:
    with terminal() as tty:
        with Progress(4, tty.stream, quiet=True) as progress:
            progress.on_done()
            progress.on_wait(30, time.time() + 30)
            progress.say("engql: cannot connect to http://127.0.0.1:9: connection refused")
        written = tty.close()
    assert written.replace("\r\n", "\n") == (
        "engql: cannot connect to http://127.0.0.1:9: connection refused\n"
    )


def test_past_a_minute_the_countdown_says_when() -> None:
    now = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, -1))
    assert wait_text(now + 42.4, now) == "rate limited: resuming in 42 s"
    assert wait_text(now + 125, now) == "rate limited: resuming at 12:02:05 (in 2 min 05 s)"


# engql run on a terminal -----------------------------------------------------------------


def test_engql_run_counts_a_wait_down_in_its_bar(tmp_path: Path) -> None:
    """The second of two requests waits for the next minute (a limit of 1 a minute): the
    bar counts it down instead of standing still under a line printed across it; Ctrl-C
    then leaves only the interrupted line on the screen."""
    not_at_a_minute_end(8)
    query = tmp_path / "q.engql"
    query.write_text(TOTALS_QUERY, encoding="utf-8")
    with Sandbox(now=NOW, rate_limit=1) as api, terminal() as tty:
        env = {**os.environ, **credential_env(api), "ENGQL_BASE_URL": api.base_url}
        command = [sys.executable, "-m", "engql", "run", str(query), "--concurrency", "1"]
        command += [*ids_param(IDS_600[:300]), "-o", str(tmp_path / "out.json")]
        process = subprocess.Popen(command, env=env, stderr=tty.stream, stdout=subprocess.DEVNULL)
        tty.stream.close()
        time.sleep(3.5)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        written = tty.close()
    assert code == 130, written
    assert len({int(n) for n in COUNTDOWN.findall(written)}) >= 2, written
    assert "engql: rate limited, resuming at" not in written
    assert screen_of(written) == ["engql: interrupted"]


def test_engql_run_quiet_on_a_terminal_draws_nothing(tmp_path: Path) -> None:
    report = str(EXAMPLES / "monthly_report.engql")
    with terminal() as tty:
        command = [sys.executable, "-m", "engql", "run", report, "--sandbox", "--now", NOW_TEXT]
        process = subprocess.Popen(
            [*command, "--quiet"], stderr=tty.stream, stdout=subprocess.DEVNULL
        )
        tty.stream.close()
        code = process.wait(timeout=60)
        written = tty.close()
    assert code == 0
    assert written == ""


def test_quiet_prints_no_summary_but_the_warnings(engql_run: Callable[..., Ran]) -> None:
    report = str(EXAMPLES / "monthly_report.engql")
    ran = engql_run(report, "--sandbox", "--now", NOW_TEXT, "--quiet")
    assert (ran.code, ran.err) == (0, "")
    gone = IDS_600[0]
    query = Path("q.engql")
    query.write_text(f"SELECT favorites FROM totals WHERE tweet IN ({gone}, 20);\n")
    with Sandbox(now=NOW, unavailable=[gone]) as api:
        os.environ.update(credential_env(api))
        try:
            ran = engql_run(str(query), "--base-url", api.base_url, "--quiet")
        finally:
            for name in credential_env(api):
                del os.environ[name]
    assert ran.code == 5
    assert f"warning[W601]: Tweet {gone} is missing: unavailable" in ran.err
    assert "rate limited," not in ran.err and "sent" not in ran.err


def test_quiet_and_verbose_together_are_a_usage_error(engql_run: Callable[..., Ran]) -> None:
    ran = engql_run(str(EXAMPLES / "quickstart.engql"), "--sandbox", "--quiet", "--verbose")
    assert ran.code == 2
    assert ran.err == (
        "engql: --quiet and --verbose ask for opposite things: give one of them "
        "(see 'engql run --help')\n"
    )


def test_verbose_names_each_request_without_a_window_none(engql_run: Callable[..., Ran]) -> None:
    two = "SELECT favorites FROM totals WHERE tweet = 20;\n"
    two += "SELECT replies FROM totals WHERE tweet = 21;\n"
    Path("two.engql").write_text(two, encoding="utf-8")
    ran = engql_run("two.engql", "--sandbox", "--verbose")
    assert ran.code == 0, ran.err
    assert "engql: statement 1, totals batch 0: HTTP 200" in ran.err
    assert "engql: statement 2, totals batch 0: HTTP 200" in ran.err
    assert "None" not in ran.err


# The shell on a terminal -----------------------------------------------------------------


def test_the_shell_counts_a_wait_down_too(tmp_path: Path) -> None:
    """Two statements of one request each against a limit of 1 a minute: the second
    waits, and the shell shows the bar and its countdown where it showed nothing."""
    pexpect = pytest.importorskip("pexpect")
    not_at_a_minute_end(10)
    with Sandbox(rate_limit=1) as api:
        env = {
            **terminal_environment(tmp_path),
            **credential_env(api),
            "ENGQL_BASE_URL": api.base_url,
        }
        child = pexpect.spawn(
            sys.executable,
            ["-m", "engql", "repl"],
            env=env,
            cwd=str(tmp_path),
            encoding="utf-8",
            timeout=30,
            dimensions=(ROWS, COLUMNS),
        )
        shown = io.StringIO()
        child.logfile_read = shown
        try:
            child.expect_exact("engql>")
            child.send(
                "SELECT favorites FROM totals WHERE tweet = 1260294888811347969; "
                "SELECT favorites FROM totals WHERE tweet = 850006245121695744;\r"
            )
            child.expect(COUNTDOWN)
            first = int(child.match.group(1))
            child.expect(COUNTDOWN)
            while int(child.match.group(1)) == first:
                child.expect(COUNTDOWN)
            child.sendintr()
            child.expect_exact("engql>")
            child.sendcontrol("d")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    written = shown.getvalue()
    assert "1/2" in written
    assert not any(COUNTDOWN.search(line) for line in screen_of(written)), screen_of(written)
