"""Every query in examples/ compiles, as an analyst would run it.

A new ``examples/*.engql`` file is picked up on its own. Two comment headers, described
in docs/language.md ("Example files"), say what a file needs:

* ``-- params: NAME=VALUE NAME=VALUE`` binds parameters, each word as ``-p`` takes it;
  ``@path`` is relative to examples/.
* ``-- warnings: W401, W503`` lists the warning codes the file is expected to give; a
  file without it must compile without warnings.

Files are read with ``allow_files=True`` relative to examples/, and the clock is fixed
at NOW, after every date the examples name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import engql
from engql.params import IdsFileParam, parse_cli_params

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QUERIES = sorted(EXAMPLES.glob("*.engql"))
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)

_PARAMS = re.compile(r"^--\s*params:(.*)$", re.M)
_WARNINGS = re.compile(r"^--\s*warnings:(.*)$", re.M)


def header_params(text: str) -> dict[str, Any]:
    """The ``-- params:`` lines' bindings, ``@path`` files relative to examples/."""
    words = [word for line in _PARAMS.findall(text) for word in line.split()]
    params = parse_cli_params(words)
    return {
        name: IdsFileParam(str(EXAMPLES / value.path)) if isinstance(value, IdsFileParam) else value
        for name, value in params.items()
    }


def header_warnings(text: str) -> set[str]:
    return {code for line in _WARNINGS.findall(text) for code in re.findall(r"[EW]\d{3}", line)}


def compile_example(path: Path) -> engql.Plan:
    text = path.read_text(encoding="utf-8")
    return engql.compile(
        text,
        params=header_params(text),
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
    expected = header_warnings(path.read_text(encoding="utf-8"))
    found = {w.code for w in plan.warnings}
    assert found == expected, "\n".join(w.render() for w in plan.warnings)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_starts_by_saying_what_it_does(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- ") and len(first) > 20


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


def test_parameters_example_can_read_the_ids_file_instead() -> None:
    text = (EXAMPLES / "parameters.engql").read_text(encoding="utf-8")
    params = {**header_params(text), "ids": IdsFileParam(str(EXAMPLES / "ids.txt"))}
    plan = engql.compile(text, params=params, now=NOW)
    assert len(plan.requests[0].tweet_ids) == 5


def test_headers() -> None:
    text = "-- params: ids=1,2 start=2024-06-01\n-- params: more=@ids.txt\n-- warnings: W401, W503"
    assert header_params(text) == {
        "ids": "1,2",
        "start": "2024-06-01",
        "more": IdsFileParam(str(EXAMPLES / "ids.txt")),
    }
    assert header_warnings(text) == {"W401", "W503"}
