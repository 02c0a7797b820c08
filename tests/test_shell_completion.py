"""``engql completion bash|zsh|fish``: each script completes engql in its real shell.

bash is loaded and its completion function called as bash calls it on Tab (COMP_WORDS,
COMP_CWORD); zsh and fish run where they are installed, and their tests are skipped
elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
def test_zsh_loads_the_script(scripts: dict[str, Path]) -> None:
    """zsh compiles the function (its completion system is interactive)."""
    done = subprocess.run(
        ["zsh", "-f", "-c", f"autoload -U compinit && compinit -u && source {scripts['zsh']}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")


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
