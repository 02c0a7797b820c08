"""Every query in examples/ runs as its comments say, on any day, with real-looking numbers.

A new ``examples/*.engql`` file is picked up on its own. Each file says how to run it in
comment lines holding the command, indented: ``--   engql run FILE --sandbox ...``
(examples/README.md). The test runs each such line as written, from a copy of
examples/, and wants exit 0, no warning, no missing Tweet and counts in every grouping.
A line without ``--now`` has relative times, so it runs on three clocks: the machine's,
``--now`` at this moment and ``--now`` two years on; a line with ``--now`` keeps its own
clock, which its dates need (the file's comment says why).

The files also compile with ``engql.compile`` at NOW, with the ``-p`` bindings of their
command line (``compile_example``, which tests/test_sandbox_rules.py uses too).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import engql
from engql.cli import build_parser, main
from engql.params import IdsFileParam, parse_cli_params

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QUERIES = sorted(EXAMPLES.glob("*.engql"))
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
"""The clock of the examples that fix theirs, and of the docs' queries
(tests/test_language_doc.py)."""

_COMMAND = re.compile(r"^--[ \t]{2,}(engql[ \t].*?)[ \t]*$", re.M)
"""A comment line holding a command: ``--``, two spaces or more, ``engql ...``."""
_ANSWER_KEYS = {"start", "end", "missing"}
"""The keys of an answer that are not groupings."""


def command_lines(text: str) -> list[list[str]]:
    """The commands in the text's comments, each split as a shell splits it."""
    return [shlex.split(line) for line in _COMMAND.findall(text)]


def command_params(text: str) -> dict[str, Any]:
    """The ``-p`` bindings of the text's first command, ``@path`` files relative to
    examples/; none when the text has no command."""
    commands = command_lines(text)
    if not commands:
        return {}
    params = parse_cli_params(build_parser().parse_args(commands[0][1:]).param)
    return {
        name: IdsFileParam(str(EXAMPLES / value.path)) if isinstance(value, IdsFileParam) else value
        for name, value in params.items()
    }


def compile_example(path: Path) -> engql.Plan:
    text = path.read_text(encoding="utf-8")
    return engql.compile(
        text,
        params=command_params(text),
        now=NOW,
        allow_files=True,
        base_dir=EXAMPLES,
        name=str(path.relative_to(EXAMPLES.parent)),
    )


def test_there_are_examples() -> None:
    assert len(QUERIES) >= 8
    assert EXAMPLES / "quickstart.engql" in QUERIES


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_compiles(path: Path) -> None:
    try:
        plan = compile_example(path)
    except engql.EngqlError as error:
        pytest.fail("\n".join(d.render() for d in error.diagnostics))
    assert plan.requests
    assert not plan.warnings, "\n".join(w.render() for w in plan.warnings)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_starts_by_saying_what_it_does(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- ") and len(first) > 20


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_says_how_to_run_it(path: Path) -> None:
    """Against the sandbox, so that a newcomer (and this test) needs no credentials."""
    commands = command_lines(path.read_text(encoding="utf-8"))
    assert commands, f"{path.name} has no '--   engql run {path.name} --sandbox' line"
    for command in commands:
        assert command[:3] in (["engql", "run", path.name], ["engql", "collect", path.name])
        assert "--sandbox" in command


def clocks(command: list[str]) -> dict[str, list[str]]:
    """The ``--now`` options to run a command with, by name: its own, if it has one, else
    none, this moment's and two years on."""
    if "--now" in command:
        return {"as-written": []}
    moment = datetime.now(UTC)
    later = moment + timedelta(days=2 * 365)
    return {
        "machine-clock": [],
        "now": ["--now", f"{moment:%Y-%m-%dT%H:%M:%SZ}"],
        "in-two-years": ["--now", f"{later:%Y-%m-%dT%H:%M:%SZ}"],
    }


RUNS = [
    pytest.param(command + clock, id=f"{path.name}-{n}-{name}")
    for path in QUERIES
    for n, command in enumerate(command_lines(path.read_text(encoding="utf-8")))
    for name, clock in clocks(command).items()
]


def leaves(tree: Any) -> list[int]:
    if isinstance(tree, str):
        return [int(tree)]
    return [n for value in tree.values() for n in leaves(value)]


@pytest.mark.usefixtures("no_machine_credentials")
@pytest.mark.parametrize("command", RUNS)
def test_example_runs_clean_with_counts(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its command line as written (in a copy of examples/, since a collection writes
    its store there), and ``--now`` when the line has none."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path / "examples")
    capsys.readouterr()
    code = main(command[1:])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not re.search(r"\b(warning|error)\[", err), err
    answers = json.loads(out)
    answers = answers if isinstance(answers, list) else [answers]
    text = Path(command[2]).read_text(encoding="utf-8")
    assert len(answers) == len(re.findall(r"^SELECT\b", text, re.M | re.I))
    for answer in answers:
        assert answer["missing"] == {}
        groupings = {name: tree for name, tree in answer.items() if name not in _ANSWER_KEYS}
        assert groupings
        for name, tree in groupings.items():
            assert sum(leaves(tree)) > 0, f"grouping {name} has only zeros"


def test_quickstart_is_a_public_totals_query() -> None:
    plan = compile_example(EXAMPLES / "quickstart.engql")
    assert {(r.endpoint, r.auth) for r in plan.requests} == {("totals", "app")}
    assert 1 < len(plan.requests[0].tweet_ids) <= 10


def test_getting_started_example_is_the_documented_request() -> None:
    (request,) = compile_example(EXAMPLES / "getting_started.engql").requests
    assert request.body == {
        "tweet_ids": ["1260294888811347969", "850006245121695744"],
        "engagement_types": ["retweets", "quote_tweets", "favorites", "replies"],
        "groupings": {"engagement-types-by-id": {"group_by": ["tweet.id", "engagement.type"]}},
    }


def test_ids_file_examples_read_every_id() -> None:
    from_txt = compile_example(EXAMPLES / "ids_file.engql").requests[0].tweet_ids
    assert from_txt == [
        "1764672144801362778",
        "1770013590943911686",
        "1775157988688038291",
        "1780302638085451327",
        "1787757258470933911",
    ]
    from_csv = compile_example(EXAMPLES / "ids_csv.engql").requests[0].tweet_ids
    assert from_csv == [
        "1797947152269233892",
        "1800610451420572802",
        "1802973270637247290",
        "1805611403965680808",
    ]


def test_parameters_example_binds_the_ids_file_or_a_list() -> None:
    """The two ways its comment names: the command line's ``@ids.txt``, and a list."""
    text = (EXAMPLES / "parameters.engql").read_text(encoding="utf-8")
    assert len(compile_example(EXAMPLES / "parameters.engql").requests[0].tweet_ids) == 5
    listed = "1797947152269233892,1800610451420572802"
    assert f"-p ids={listed}" in text
    params = {**command_params(text), "ids": listed}
    plan = engql.compile(text, params=params, now=NOW)
    assert plan.requests[0].tweet_ids == listed.split(",")


def test_command_lines_are_the_indented_engql_comments() -> None:
    text = (
        "-- A report; engql sends two windows.\n"
        "--   engql run report.engql --sandbox -p ids=@ids.txt -p 'start=2024-06-01'\n"
        "--  engql collect report.engql --sandbox --store sqlite:///r.db\n"
        "SELECT favorites FROM totals WHERE tweet IN :ids; --   engql run other.engql\n"
    )
    assert command_lines(text) == [
        [
            "engql",
            "run",
            "report.engql",
            "--sandbox",
            "-p",
            "ids=@ids.txt",
            "-p",
            "start=2024-06-01",
        ],
        ["engql", "collect", "report.engql", "--sandbox", "--store", "sqlite:///r.db"],
    ]
    assert command_params(text) == {
        "ids": IdsFileParam(str(EXAMPLES / "ids.txt")),
        "start": "2024-06-01",
    }
    assert command_params("SELECT favorites FROM totals WHERE tweet = 1;") == {}
