"""Golden tests of the diagnostics text users read.

Each ``tests/golden/diagnostics/NAME.engql`` is checked with the clock at
2016-03-01T00:00Z and files allowed, relative to that folder (IDs files live in its
``files/``); the ``render()`` of every diagnostic, joined by newlines, must equal
``NAME.txt``. Adding a case is adding a query file; run ``ENGQL_REGEN=1 pytest
tests/test_golden_diagnostics.py`` to write the expected text, then read it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

import engql

GOLDEN_DIR = Path(__file__).parent / "golden" / "diagnostics"
NOW = datetime(2016, 3, 1, tzinfo=UTC)
REGENERATE = os.environ.get("ENGQL_REGEN") == "1"
QUERIES = sorted(GOLDEN_DIR.glob("*.engql"))
ENGINE_BUGS: dict[str, str] = {}
"""Goldens whose expected text is right and the engine's output wrong; not regenerated."""


def rendered(query: Path) -> str:
    """The text ``engql check`` prints for a golden query, paths as the query names them."""
    diagnostics = engql.check(
        query.read_text(encoding="utf-8"),
        now=NOW,
        allow_files=True,
        base_dir=Path("."),
        name=query.name,
    )
    return "".join(d.render() + "\n" for d in diagnostics)


def golden_case(query: Path) -> object:
    reason = ENGINE_BUGS.get(query.stem)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(query, id=query.stem, marks=marks)


@pytest.mark.parametrize("query", [golden_case(q) for q in QUERIES])
def test_golden_diagnostics(query: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN_DIR)
    actual = rendered(query)
    expected_file = query.with_suffix(".txt")
    if REGENERATE and query.stem not in ENGINE_BUGS:
        expected_file.write_text(actual, encoding="utf-8")
        return
    assert expected_file.exists(), f"no {expected_file.name}; run with ENGQL_REGEN=1"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_every_expected_output_has_its_query() -> None:
    orphans = [p.name for p in GOLDEN_DIR.glob("*.txt") if not p.with_suffix(".engql").exists()]
    assert orphans == []


def test_golden_queries_cover_every_reachable_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder shows each code users can meet in a query file, at least once."""
    monkeypatch.chdir(GOLDEN_DIR)
    seen: set[str] = set()
    for query in QUERIES:
        text = query.read_text(encoding="utf-8")
        diagnostics = engql.check(text, now=NOW, allow_files=True, base_dir=Path("."))
        seen.update(d.code for d in diagnostics)
    not_in_a_file = {
        "E005",  # 64 MiB of text
        "E006",  # 10,001 statements
        "E007",  # 1,001 problems
        "W001",  # 1,001 warnings
        "E307",  # the goldens run with files allowed
        "E309",  # ten million IDs
        "E310",  # needs a Python value bound to a parameter
        "E311",  # needs allow_files="base_dir"
    }
    checked = {code for code, entry in engql.codes.CODES.items() if not entry.at_run}
    assert checked - seen == not_in_a_file
