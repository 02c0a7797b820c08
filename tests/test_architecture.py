"""ARCHITECTURE.md matches the code: its stage table names folders and commands that
exist, and it names every package under engql/, so it cannot drift from the layout."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from engql.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "ARCHITECTURE.md").read_text()
QUOTED = re.compile(r"`([^`]+)`")


def stage_table() -> list[list[str]]:
    """The rows of the table whose header starts with ``| stage |``, as lists of cells."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| stage |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_stage_table_has_the_pipeline_in_order() -> None:
    assert [row[0] for row in stage_table()] == ["syntax", "check", "plan", "execute", "output"]


@pytest.mark.parametrize("row", stage_table(), ids=lambda row: row[0])
def test_each_stage_folder_is_a_module_of_engql(row: list[str]) -> None:
    (folder,) = QUOTED.findall(row[1])
    assert folder.startswith("engql/") and folder.endswith("/")
    assert (ROOT / folder / "__init__.py").is_file(), f"{folder} is not a package"


def _commands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize(
    "command", [c for row in stage_table() for c in QUOTED.findall(row[4])], ids=str
)
def test_each_command_in_the_stage_table_is_one_engql_has(command: str) -> None:
    """The command parses with a FILE after it; one that ends in an option names an
    option of that command (whichever value it takes)."""
    engql, name, *rest = command.split()
    assert engql == "engql"
    parser = _commands()[name]
    if rest and rest[-1].startswith("--"):
        assert rest[-1] in parser._option_string_actions
    else:
        parser.parse_args([*rest, "FILE"])


def test_every_package_under_engql_is_named() -> None:
    packages = sorted(
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for init in (ROOT / "engql").rglob("*/__init__.py")
    )
    assert packages
    named = set(QUOTED.findall(DOC))
    assert [p for p in packages if p not in named] == []


def test_every_path_it_names_exists() -> None:
    """Every quoted ``engql/...``, ``grammar/...``, ``tests/...`` or ``bench/...`` path."""
    paths = [
        q for q in QUOTED.findall(DOC) if re.fullmatch(r"(engql|grammar|tests|bench)/[\w/.]*", q)
    ]
    assert paths
    assert [p for p in paths if not (ROOT / p).exists()] == []
