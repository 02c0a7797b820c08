"""docs/repl.md stays true: its session transcript is replayed, its command table is the
shell's, and its examples without a terminal are run."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from engql.repl.commands import COMMANDS
from engql.repl.session import BANNER, PROMPT, run_script
from engql.repl.shell import Shell

DOC = (Path(__file__).resolve().parent.parent / "docs" / "repl.md").read_text()
CONTINUATION = "  ...> "
PORT = re.compile(r"127\.0\.0\.1:\d+")


def blocks(section: str) -> list[list[str]]:
    """The lines of each fenced block of the section headed ``section``."""
    start = DOC.index(section)
    end = DOC.find("\n## ", start + len(section))
    text = DOC[start : end if end >= 0 else len(DOC)]
    return [block.strip("\n").splitlines() for block in text.split("```")[1::2]]


def test_the_session_transcript_is_what_the_shell_prints() -> None:
    command, banner, destination, *session = blocks("## A session")[0]
    assert command == "$ engql repl --sandbox"
    assert banner == BANNER
    inputs: list[str] = []
    expected: list[str] = []
    for line in session:
        if line.startswith(PROMPT):
            inputs.append(line.removeprefix(PROMPT) + "\n")
        elif line.startswith(CONTINUATION):
            inputs.append(line.removeprefix(CONTINUATION) + "\n")
        else:
            expected.append(line)
    screen = io.StringIO()
    shell = Shell(screen, screen, sandbox=True, environ={"HOME": "/nonexistent"})
    try:
        shown = shell.destination()
        assert shown is not None and PORT.sub("PORT", destination) == PORT.sub("PORT", shown)
        assert run_script(shell, inputs) == 0
    finally:
        shell.close()
    assert screen.getvalue().splitlines() == expected


def test_the_command_table_lists_every_command_with_its_names() -> None:
    rows = re.findall(r"^\| ((?:`\\[^`]+`(?:, )?)+) \| (.+) \|$", DOC, re.M)
    assert [names for names, _ in rows] == [
        ", ".join(f"`{name}`" for name in c.names.split(", ")).replace("|", "\\|") for c in COMMANDS
    ]


def shell_command(line: str) -> str:
    """A documented command line with ``engql`` run by this Python."""
    return line.removeprefix("$ ").replace("| engql ", f"| {sys.executable} -m engql ")


def run_documented(line: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    return subprocess.run(
        ["sh", "-c", shell_command(line)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_replayed_session_prints_csv(tmp_path: Path) -> None:
    (replay,), _ = blocks("## Without a terminal")
    done = run_documented(replay, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == "tweet_id,favorites"


def test_on_error_stop_ends_at_the_first_error_with_its_exit_code(tmp_path: Path) -> None:
    _, (command, *said, echo, code) = blocks("## Without a terminal")
    assert "--on-error-stop" in command and echo == "$ echo $?"
    done = run_documented(command, tmp_path)
    assert done.returncode == int(code)
    assert done.stdout == ""
    assert done.stderr.splitlines() == said


def test_missing_lists_what_the_doc_shows() -> None:
    (listed,) = blocks("## Results")
    screen = io.StringIO()
    shell = Shell(screen, io.StringIO(), sandbox=True, environ={"HOME": "/nonexistent"})
    try:
        tweets = ", ".join(line.split()[0] for line in listed[2:])
        shell.handle(f"SELECT impressions FROM totals WHERE tweet IN ({tweets});")
        screen.seek(0), screen.truncate()
        shell.handle("\\missing")
    finally:
        shell.close()
    assert screen.getvalue().splitlines() == listed
