"""The engql command on a real pseudo-terminal: colour where a user looks, Ctrl-C in
``engql configure``."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

import engql
from engql.diagnostics import wants_colour

pexpect = pytest.importorskip("pexpect")

TIMEOUT = 30
BAD = "SELECT favorits FROM totals WHERE tweet = 20;\n"
RED = "\x1b[1;31m"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TERM": "xterm",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def spawn(tmp_path: Path, *arguments: str, **extra: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "engql", *arguments],
        env=environment(tmp_path, **extra),
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def on_terminal(tmp_path: Path, *arguments: str, **extra: str) -> tuple[int, str]:
    """Run engql with stdout and stderr on a terminal; its exit code and output."""
    child = spawn(tmp_path, *arguments, **extra)
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.engql"
    path.write_text(BAD)
    return path


def test_diagnostics_are_coloured_on_a_terminal(tmp_path: Path, bad: Path) -> None:
    status, output = on_terminal(tmp_path, "check", bad.name)
    assert status == 1
    assert f"{RED}error[E102]\x1b[0m: unknown metric 'favorits'" in output
    assert f"{RED}^^^^^^^^\x1b[0m" in output
    status, output = on_terminal(tmp_path, "compile", bad.name)
    assert status == 1 and RED in output


@pytest.mark.parametrize(
    ("extra", "arguments"),
    [
        ({"NO_COLOR": "1"}, ()),
        ({"NO_COLOR": "yes please"}, ()),
        ({"TERM": "dumb"}, ()),
        ({}, ("--color", "never")),
    ],
    ids=["NO_COLOR=1", "NO_COLOR-any-value", "TERM=dumb", "--color-never"],
)
def test_colour_is_off_where_the_user_says(
    tmp_path: Path, bad: Path, extra: dict[str, str], arguments: tuple[str, ...]
) -> None:
    status, output = on_terminal(tmp_path, "check", bad.name, *arguments, **extra)
    assert status == 1
    assert "\x1b[" not in output
    assert "error[E102]: unknown metric 'favorits'" in output


def test_an_empty_no_color_is_not_set(tmp_path: Path, bad: Path) -> None:
    assert RED in on_terminal(tmp_path, "check", bad.name, NO_COLOR="")[1]


def test_color_always_wins_over_no_color(tmp_path: Path, bad: Path) -> None:
    assert RED in on_terminal(tmp_path, "check", bad.name, "--color", "always", NO_COLOR="1")[1]


def test_ctrl_c_in_configure_ends_the_line_and_writes_nothing(tmp_path: Path) -> None:
    child = spawn(tmp_path, "configure", "--profile", "work")
    child.expect_exact("consumer_key (API Key) [not set]: ")
    child.send("ck-typed\r")
    child.expect_exact("consumer_secret (API Key Secret) [not set]: ")
    child.sendintr()
    child.expect_exact("engql: configure interrupted; nothing was written")
    before = child.before
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert before.endswith("\r\n"), repr(before)
    assert not (tmp_path / "config").exists()


# Diagnostic.render(colour=True) and the choice of colour

ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT favorits FROM totals WHERE tweet = 20;",
        "SELECT favorites, favorites FROM totals WHERE tweet = 20;",
        "SELECT favorites FROM totals WHERE tweet IN (" + ", ".join(["20"] * 400) + ");",
        "SELECT favorites FROM totals WHERE tweet = 'unterminated;",
    ],
    ids=["error-with-hint", "warning", "long-line-note", "unterminated"],
)
def test_colour_adds_escape_codes_and_nothing_else(text: str) -> None:
    diagnostics = engql.check(text)
    assert diagnostics
    for d in diagnostics:
        coloured = d.render(colour=True)
        assert ESCAPES.sub("", coloured) == d.render()
        style = "\x1b[1;31m" if d.is_error else "\x1b[1;33m"
        assert coloured.count(style) == 2  # the label and the caret
        assert f"{style}{d.severity.value}[{d.code}]\x1b[0m: {d.message}" in coloured


@pytest.fixture
def terminal() -> Iterator[IO[str]]:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as stream:
        yield stream
    os.close(leader)


@pytest.mark.parametrize(
    ("choice", "environ", "on_terminal", "in_a_file"),
    [
        ("auto", {}, True, False),
        ("auto", {"NO_COLOR": "1"}, False, False),
        ("auto", {"NO_COLOR": ""}, True, False),
        ("auto", {"TERM": "dumb"}, False, False),
        ("always", {"NO_COLOR": "1"}, True, True),
        ("never", {}, False, False),
    ],
)
def test_wants_colour(
    terminal: IO[str],
    tmp_path: Path,
    choice: str,
    environ: dict[str, str],
    on_terminal: bool,
    in_a_file: bool,
) -> None:
    with open(tmp_path / "log.txt", "w") as file:
        assert wants_colour(choice, terminal, environ) is on_terminal
        assert wants_colour(choice, file, environ) is in_a_file
    with pytest.raises(ValueError):
        wants_colour("sometimes", terminal, environ)
