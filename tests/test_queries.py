"""The query corpus: each ``tests/queries/**/NAME.engql`` beside what engql prints for it.

Adding a case is adding a query file. The engql command runs in-process in the query's
folder, so ``FILE`` paths and ``-p ids=@path`` start there (IDs files live in a
``files/`` subfolder), with the clock at 2016-03-01T00:00Z. Two comment headers change
that: ``-- now: TIME`` sets the clock (as ``--now`` takes it) and ``-- params: NAME=VALUE
...`` binds parameters, each word as ``-p`` takes it. Beside ``NAME.engql`` lie:

* ``NAME.check.txt``: what ``engql check`` prints; absent when it prints nothing;
* ``NAME.compile.jsonl``: what ``engql compile`` prints, one request a line;
* ``NAME.explain.txt``: what ``engql explain`` prints;
* ``NAME.fmt.txt``: what ``engql fmt`` prints; absent when the query is already in
  canonical form.

A query with errors has only its check snapshot: its ``compile`` and ``explain`` must exit
1, print nothing to stdout and the check's diagnostics to stderr (as every query's do).
The query's folder is left out of the paths printed, so snapshots do not depend on
where the checkout is. Every query also obeys two laws: ``fmt`` is idempotent, and the
formatted text compiles to the same requests (or fails with the same codes).

A snapshot changes only through the update command::

    ENGQL_UPDATE_SNAPSHOTS=1 pytest tests/test_queries.py

which writes every snapshot from what engql prints now and deletes those a query no
longer has; read the diff before committing it. Without it, a missing, different or
stale snapshot fails, and so does a file that belongs to no query (an orphan).

``docs/`` cases are the API docs' own examples (D1 in shared/engagement-api.md): their
``NAME.compile.jsonl`` was written by hand from the documentation, holds only the fields
it shows (endpoint, url, auth, body), each compared in order with the compile line, and
the update command never writes it: fix the compiler, not the file. Their other
snapshots are ordinary ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from functools import cache
from pathlib import Path
from unittest import mock

import attrs
import pytest

from engql import codes
from engql.cli import main

CORPUS = Path(__file__).resolve().parent / "queries"
DOCS = CORPUS / "docs"
NOW = "2016-03-01T00:00Z"
UPDATE = os.environ.get("ENGQL_UPDATE_SNAPSHOTS") == "1"
SUFFIXES = {
    "check": ".check.txt",
    "compile": ".compile.jsonl",
    "explain": ".explain.txt",
    "fmt": ".fmt.txt",
}
QUERIES = sorted(
    path for path in CORPUS.rglob("*.engql") if "files" not in path.relative_to(CORPUS).parts[:-1]
)
_NOW_HEADER = re.compile(r"^--\s*now:\s*(\S+)\s*$", re.M)
_PARAMS_HEADER = re.compile(r"^--\s*params:(.*)$", re.M)


@attrs.frozen
class Outcome:
    """What one engql command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


def name(query: Path) -> str:
    return query.relative_to(CORPUS).with_suffix("").as_posix()


def snapshot_path(query: Path, kind: str) -> Path:
    return query.with_name(query.stem + SUFFIXES[kind])


def header_options(text: str) -> list[str]:
    """``--now`` and ``-p`` as the query's comment headers give them."""
    clock = _NOW_HEADER.findall(text)
    params = [word for line in _PARAMS_HEADER.findall(text) for word in line.split()]
    return ["--now", clock[-1] if clock else NOW, *(arg for p in params for arg in ("-p", p))]


def engql(query: Path, *args: str, stdin: str = "") -> Outcome:
    """Run the engql command in the query's folder, the folder left out of paths."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(query.parent),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(list(args))
    folder = f"{query.parent}{os.sep}"
    return Outcome(code, out.getvalue().replace(folder, ""), err.getvalue().replace(folder, ""))


@cache
def command(query: Path, kind: str, *extra: str) -> Outcome:
    """``engql KIND NAME.engql`` with the query's clock and parameters."""
    if kind == "fmt":
        return engql(query, "fmt", query.name)
    options = header_options(query.read_text(encoding="utf-8"))
    return engql(query, kind, query.name, *options, *extra)


def has_errors(query: Path) -> bool:
    return command(query, "check").code == 1


def expected(query: Path, kind: str) -> str | None:
    """What the snapshot of this kind holds for the query; None when it has none."""
    outcome = command(query, kind)
    if kind == "check":
        return outcome.out or None
    if has_errors(query):
        return None
    if kind == "fmt" and outcome.out == query.read_text(encoding="utf-8"):
        return None
    return outcome.out


def cases(kinds: tuple[str, ...]) -> list[object]:
    return [
        pytest.param(query, kind, id=f"{name(query)}.{kind}")
        for query in QUERIES
        for kind in kinds
        if not (kind == "compile" and is_documented(query))
    ]


def is_documented(query: Path) -> bool:
    return DOCS in query.parents


def diagnostics(printed: str) -> list[dict[str, object]]:
    """The diagnostics printed with ``--error-format json``."""
    return [json.loads(line) for line in printed.splitlines()]


@pytest.mark.parametrize(("query", "kind"), cases(tuple(SUFFIXES)))
def test_snapshot(query: Path, kind: str) -> None:
    path = snapshot_path(query, kind)
    wanted = expected(query, kind)
    if UPDATE:
        if wanted is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(wanted, encoding="utf-8")
        return
    if wanted is None:
        assert not path.exists(), f"{path.name} is stale; run ENGQL_UPDATE_SNAPSHOTS=1"
        return
    assert path.exists(), f"no {path.name}; run ENGQL_UPDATE_SNAPSHOTS=1, then read it"
    assert wanted == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("query", [q for q in QUERIES if is_documented(q)], ids=name)
def test_documented_request(query: Path) -> None:
    """Each line holds the fields the docs show, in the compile line's order."""
    compiled = command(query, "compile")
    assert compiled.code == 0, compiled.err
    documented = snapshot_path(query, "compile").read_text(encoding="utf-8").splitlines()
    actual = [json.loads(line) for line in compiled.out.splitlines()]
    assert len(actual) == len(documented)
    for line, request in zip(documented, actual, strict=True):
        wanted = json.loads(line)
        shown = {key: value for key, value in request.items() if key in wanted}
        assert json.dumps(shown, indent=1) == json.dumps(wanted, indent=1)


@pytest.mark.parametrize("query", QUERIES, ids=name)
def test_check_exits_1_exactly_when_it_finds_an_error(query: Path) -> None:
    check = command(query, "check", "--error-format", "json")
    assert check.err == ""
    found = [d["severity"] for d in diagnostics(check.out)]
    assert check.code == (1 if "error" in found else 0)
    assert command(query, "check").code == check.code


@pytest.mark.parametrize("query", QUERIES, ids=name)
@pytest.mark.parametrize("kind", ["compile", "explain"])
def test_compile_and_explain_report_what_check_finds(query: Path, kind: str) -> None:
    """On stderr, the diagnostics of check; a query with errors prints nothing else."""
    outcome = command(query, kind)
    assert outcome.err == command(query, "check").out
    if has_errors(query):
        assert (outcome.code, outcome.out) == (1, "")
    else:
        assert outcome.code == 0


@pytest.mark.parametrize("query", QUERIES, ids=name)
def test_fmt_is_idempotent(query: Path) -> None:
    formatted = command(query, "fmt")
    if formatted.code != 0:
        # fmt refuses only a query with errors, each line it prints one check prints.
        assert (formatted.code, formatted.out) == (1, "")
        assert has_errors(query)
        assert set(formatted.err.splitlines()) <= set(command(query, "check").out.splitlines())
        return
    assert engql(query, "fmt", "-", stdin=formatted.out).out == formatted.out


@pytest.mark.parametrize("query", QUERIES, ids=name)
def test_formatting_keeps_the_compile_output(query: Path) -> None:
    formatted = command(query, "fmt")
    if formatted.code != 0:
        assert command(query, "compile").code == 1
        return
    options = header_options(query.read_text(encoding="utf-8"))
    again = engql(query, "compile", "-", *options, "--error-format", "json", stdin=formatted.out)
    if has_errors(query):
        before = command(query, "check", "--error-format", "json")
        assert again.code == 1
        codes_before = [d["code"] for d in diagnostics(before.out)]
        assert [d["code"] for d in diagnostics(again.err)] == codes_before
    else:
        assert (again.code, again.out) == (0, command(query, "compile").out)


def test_every_file_belongs_to_a_query() -> None:
    """A snapshot without its query, or a file that is neither, is an orphan."""
    queries = set(QUERIES)
    orphans = []
    for path in CORPUS.rglob("*"):
        if path.is_dir() or path in queries or "files" in path.relative_to(CORPUS).parts[:-1]:
            continue
        suffix = next((s for s in SUFFIXES.values() if path.name.endswith(s)), None)
        if (
            suffix is None
            or path.with_name(path.name.removesuffix(suffix) + ".engql") not in queries
        ):
            orphans.append(path.relative_to(CORPUS).as_posix())
    assert orphans == []


def test_documented_cases_have_their_requests() -> None:
    documented = [q for q in QUERIES if is_documented(q)]
    assert documented
    assert [q.name for q in documented if not snapshot_path(q, "compile").exists()] == []


def test_queries_cover_every_reachable_code() -> None:
    """The corpus shows each code users can meet in a query file, at least once."""
    seen: set[str] = set()
    for query in QUERIES:
        found = diagnostics(command(query, "check", "--error-format", "json").out)
        seen.update(str(d["code"]) for d in found)
    not_in_a_file = {
        "E005",  # 64 MiB of text
        "E006",  # 10,001 statements
        "E007",  # 1,001 problems
        "W001",  # 1,001 warnings
        "E307",  # the engql command reads files
        "E309",  # ten million IDs
        "E310",  # needs a Python value bound to a parameter
        "E311",  # needs allow_files="base_dir"
    }
    checked = {code for code, entry in codes.CODES.items() if not (entry.at_run or entry.of_file)}
    assert checked - seen == not_in_a_file
