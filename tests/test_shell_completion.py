"""``engql completion bash|zsh|fish``: each script completes engql in its real shell.

bash is loaded and its completion function called as bash calls it on Tab (COMP_WORDS,
COMP_CWORD), zsh is given Tab on a terminal, fish is asked with ``complete -C``. .ci/run
installs zsh and fish; on a machine without them, their tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

from engql.cli import build_parser, main
from engql.completion import SHELLS
from engql.output import format_names

BASH_COMPLETE = r"""
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_shtab_engql
printf '%s\n' "${COMPREPLY[@]}"
"""
"""Calls the script's completion function on the words given, the last one being
completed, and prints what it offers, one a line."""


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    written = {}
    for shell in SHELLS:
        path = folder / f"engql.{shell}"
        with open(path, "w", encoding="utf-8") as out, pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdout", out)
            assert main(["completion", shell]) == 0
        written[shell] = path
    return written


def bash_offers(script: Path, *words: str, cwd: Path | None = None) -> list[str]:
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_COMPLETE, "bash", str(script), *words],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=cwd,
    )
    assert done.stderr == ""
    return done.stdout.splitlines()


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")


@needs_bash
@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (["engql", "ru"], ["run"]),
        (["engql", "run", "--for"], ["--format"]),
        (["engql", "run", "q.engql", "--format", "js"], ["json", "jsonl"]),
        (["engql", "profiles", "de"], ["default", "delete"]),
        (["engql", "help", "col"], ["collect"]),
        (["engql", "completion", "f"], ["fish"]),
        (["engql", "debug", ""], ["ast", "query", "plan"]),
        (["engql", "-"], ["-h", "--help", "-V", "--version"]),
    ],
)
def test_bash_completes_commands_flags_and_choices(
    scripts: dict[str, Path], words: list[str], offered: list[str]
) -> None:
    assert bash_offers(scripts["bash"], *words) == offered


@needs_bash
def test_bash_completes_the_query_file_and_every_format(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "daily.engql").write_text("")
    (tmp_path / "runs").mkdir()
    assert bash_offers(scripts["bash"], "engql", "run", "dai", cwd=tmp_path) == ["daily.engql"]
    assert bash_offers(scripts["bash"], "engql", "run", "x", "--resume", "r", cwd=tmp_path) == [
        "runs"
    ]
    offered = bash_offers(scripts["bash"], "engql", "run", "x", "--format", "")
    assert offered == list(format_names())


@pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh here")
def test_zsh_completes_commands_and_flags_on_tab(scripts: dict[str, Path], tmp_path: Path) -> None:
    """zsh's completion runs only in its line editor: an interactive zsh on a terminal,
    the script installed as fpath's ``_engql``, and Tab pressed after each prefix."""
    (tmp_path / "_engql").write_text(scripts["zsh"].read_text(encoding="utf-8"))
    zsh = pexpect.spawn(
        "zsh",
        ["-f", "-i"],
        env={"PATH": os.environ["PATH"], "TERM": "dumb", "HOME": str(tmp_path)},
        encoding="utf-8",
        timeout=20,
        dimensions=(24, 200),
    )
    try:
        zsh.sendline(f"PS1='> '; fpath=({tmp_path} $fpath); autoload -U compinit; compinit -u -D")
        zsh.sendline("print READY")
        zsh.expect("READY")
        zsh.send("engql ru\t")
        zsh.expect("engql run ")
        zsh.send("--for\t")
        zsh.expect("--format ")
        zsh.sendcontrol("u")
        zsh.sendline("exit")
        zsh.expect(pexpect.EOF)
    finally:
        zsh.close(force=True)


@pytest.mark.skipif(shutil.which("fish") is None, reason="no fish here")
@pytest.mark.parametrize(
    ("line", "offered"), [("engql ru", "run"), ("engql run --for", "--format")]
)
def test_fish_completes_commands_and_flags(
    scripts: dict[str, Path], line: str, offered: str
) -> None:
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {scripts['fish']}; complete -C '{line}'"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert offered in [candidate.split("\t")[0] for candidate in done.stdout.splitlines()]


def test_each_script_is_made_for_its_shell_from_the_whole_parser(
    scripts: dict[str, Path],
) -> None:
    """Where the shells are missing, at least each script names every command."""
    texts = {shell: path.read_text(encoding="utf-8") for shell, path in scripts.items()}
    assert texts["zsh"].startswith("#compdef engql\n")
    assert "complete -c engql" in texts["fish"]
    assert "complete -o bashdefault -F _shtab_engql engql" in texts["bash"]
    (commands,) = (a for a in build_parser()._actions if a.dest == "command")
    for shell, text in texts.items():
        missing = [name for name in commands.choices if name not in text]  # type: ignore[union-attr]
        assert missing == [], shell


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err
