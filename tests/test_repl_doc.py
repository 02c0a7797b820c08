"""docs/repl.md stays true: its session transcript is replayed and its command table is
the shell's."""

from __future__ import annotations

import io
import re
from pathlib import Path

from engql.repl.commands import COMMANDS
from engql.repl.session import BANNER, PROMPT, run_script
from engql.repl.shell import SANDBOX_ON, Shell

DOC = (Path(__file__).resolve().parent.parent / "docs" / "repl.md").read_text()
CONTINUATION = "  ...> "


def transcript() -> list[str]:
    section = DOC[DOC.index("## A session") :]
    return section.split("```")[1].strip("\n").splitlines()


def test_the_session_transcript_is_what_the_shell_prints() -> None:
    command, banner, sandbox_line, *session = transcript()
    assert command == "$ engql repl --sandbox"
    assert banner == BANNER
    assert sandbox_line == SANDBOX_ON
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
        assert run_script(shell, inputs) == 0
    finally:
        shell.close()
    assert screen.getvalue().splitlines() == expected


def test_the_command_table_lists_every_command_with_its_usage() -> None:
    rows = re.findall(r"^\| `(\\[^`]+)` \| (.+) \|$", DOC, re.M)
    usages = [usage.replace("\\|", "|") for usage, _ in rows]
    assert usages == [c.usage for c in COMMANDS]
