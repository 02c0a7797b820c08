"""``--help``, ``help COMMAND``, ``--version`` and the usage errors that point at them."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from engql import facts, xdg
from engql.cli import build_parser, main
from engql.command_help import EXAMPLES, EXITS, meaning
from engql.diagnostics import NO_COLOR_VARIABLE
from engql.exits import MEANINGS, Exit


def parsers(
    parser: argparse.ArgumentParser | None = None,
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """engql's parser and every command's, nested ones too, by the command's words."""
    parser = parser or build_parser()
    yield parser.prog.removeprefix("engql").strip(), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from parsers(command)


COMMANDS = [name for name, _ in parsers() if name]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_argument_of_every_command_has_help() -> None:
    missing = [
        f"{name or 'engql'} {action.option_strings or action.dest}"
        for name, parser in parsers()
        for action in parser._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []
    for _, parser in parsers():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(choice.help for choice in action._choices_actions)


def test_every_command_has_examples_and_exit_codes() -> None:
    assert sorted(EXAMPLES) == sorted(["", *COMMANDS])
    assert sorted(EXITS) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help_ends_with_examples_exit_codes_and_variables(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *command.split(), "--help")
    assert code == 0
    examples = out.split("\nexamples:\n")[1]
    for example in EXAMPLES[command]:
        assert f"\n  {example}\n" in f"\n{examples}"
    codes = out.split("\nexit codes:\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(maxsplit=1) for line in codes] == [
        [str(int(code)), meaning(command, code)] for code in EXITS[command]
    ]
    assert Exit.BUG in EXITS[command]


def test_a_code_means_what_engql_exits_says_unless_the_command_narrows_it() -> None:
    assert meaning("run", Exit.QUERY) == MEANINGS[Exit.QUERY]
    assert meaning("fmt", Exit.QUERY) != MEANINGS[Exit.QUERY]
    assert meaning("profiles delete", Exit.CONFIG) == meaning("profiles", Exit.CONFIG)


def test_the_variables_named_are_the_ones_engql_reads(capsys: pytest.CaptureFixture[str]) -> None:
    _, run_help, _ = run(capsys, "run", "--help")
    variables = run_help.split("\nenvironment:\n")[1]
    for names in facts.ENV_NAMES.values():
        assert f"\n  {names[0]} " in f"\n{variables}"
    for name in (facts.PROFILE_VARIABLE, xdg.CONFIG_HOME_VARIABLE, NO_COLOR_VARIABLE):
        assert f"\n  {name} " in f"\n{variables}"
    assert "TWITTER_*" in variables
    _, repl_help, _ = run(capsys, "repl", "--help")
    assert f"\n  {xdg.STATE_HOME_VARIABLE} " in repl_help
    _, check_help, _ = run(capsys, "check", "--help")
    assert check_help.split("\nenvironment:\n")[1].split()[0] == NO_COLOR_VARIABLE


@pytest.mark.parametrize(
    "example", sorted({e for examples in EXAMPLES.values() for e in examples}), ids=str
)
def test_every_example_is_a_command_line_engql_parses(example: str) -> None:
    words = shlex.split(example.split(" > ")[0])
    assert words[0] == "engql"
    build_parser().parse_args(words[1:])


@pytest.mark.parametrize("command", [*COMMANDS, ""])
def test_help_command_is_the_help_flag(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = command.split()
    flagged = run(capsys, *words, "--help")
    if len(words) <= 1:
        assert run(capsys, "help", *words) == flagged
    assert flagged[0] == 0 and flagged[1].startswith("usage: engql")


def test_help_of_a_command_that_does_not_exist_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "help", "frobnicate")
    assert (code, out) == (2, "")
    assert "invalid choice: 'frobnicate'" in err


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, flag) == (0, f"engql {version('engql')}\n", "")


def test_version_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engql", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"engql {version('engql')}\n", "")


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["frobnicate"], "engql"),
        (["run"], "engql run"),
        (["run", "q.engql", "--concurrency", "many"], "engql run"),
        (["check", "-", "--now", "yesterday-ish"], "engql check"),
        (["explain", "-", "--rate-limit", "0"], "engql explain"),
        (["profiles", "delete"], "engql profiles delete"),
        (["completion", "powershell"], "engql completion"),
        (["sandbox", "--port", "x"], "engql sandbox"),
        (["run", "q.engql", "--frmat", "csv"], "engql run"),
        (["profiles", "delete", "acme", "--force"], "engql profiles delete"),
    ],
)
def test_usage_errors_point_at_the_command_help(
    argv: list[str], prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith("engql: ") and line.endswith(f" (see '{prog} --help')")
