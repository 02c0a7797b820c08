"""docs/language.md says what the code does: its tables, limits and examples.

The tables between ``<!-- name-table ... -->`` and ``<!-- /name-table -->`` are written
by hand from engql/facts.py; these tests keep them from drifting. Every ``engql`` code
block compiles under the conventions of tests/test_examples.py, and a ``json`` block
right after one holds the bodies of its requests.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from test_examples import EXAMPLES, NOW, command_params

import engql
from engql import facts
from engql.check.groupings import DEFAULT_GROUPING_NAME
from engql.limits import (
    MAX_DIAGNOSTICS,
    MAX_IDS_FILE_BYTES,
    MAX_QUERY_CHARS,
    MAX_STATEMENTS,
    MAX_TWEET_IDS,
)

DOC = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
ENDPOINTS = list(facts.ENDPOINTS.values())
TICK = "✔"


def table(name: str) -> list[list[str]]:
    """The body rows of a marked table, each a list of cells without backticks."""
    found = re.search(rf"<!-- {name}-table\b.*?-->\n(.*?)<!-- /{name}-table -->", DOC, re.S)
    assert found, f"docs/language.md has no {name} table"
    lines = found.group(1).strip().splitlines()[2:]
    return [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in lines]


def fenced_blocks() -> list[tuple[str, str]]:
    """Every fenced code block: (info string, text)."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", DOC, re.S | re.M)


ENGQL_BLOCKS = [text for info, text in fenced_blocks() if info == "engql"]


def test_metric_table_matches_facts() -> None:
    rows = table("metrics")
    assert [row[0] for row in rows] == list(facts.METRICS)
    for name, *offered, bearer, description in rows:
        metric = facts.METRICS[name]
        assert offered == [TICK if name in e.metrics else "" for e in ENDPOINTS], name
        assert bearer == ("yes" if metric.public else "no"), name
        assert description == metric.description, name


def test_metric_table_order_is_select_star_order() -> None:
    rows = table("metrics")
    for column, endpoint in enumerate(ENDPOINTS, 1):
        assert [row[0] for row in rows if row[column] == TICK] == list(endpoint.metrics)


def test_endpoint_table_matches_facts() -> None:
    rows = table("endpoints")
    assert [row[0] for row in rows] == list(facts.ENDPOINTS)
    for name, max_ids, time_range, owned, description in rows:
        endpoint = facts.ENDPOINTS[name]
        assert int(max_ids) == endpoint.max_tweet_ids
        assert time_range == ("yes" if endpoint.takes_time_range else "no")
        assert owned == ("yes" if endpoint.owned_tweets_only else "no")
        assert description == endpoint.description


def test_group_key_table_matches_facts() -> None:
    rows = table("group-keys")
    assert [row[0] for row in rows] == list(facts.GROUP_KEYS)
    for name, *offered, description in rows:
        assert offered == [TICK if name in e.group_keys else "" for e in ENDPOINTS], name
        assert description == facts.GROUP_KEYS[name]


def test_limits_table_matches_the_code() -> None:
    limits = {row[0]: row[1] for row in table("limits")}
    assert len(limits) == 9
    values = list(limits.values())
    assert values[0].startswith(f"{MAX_QUERY_CHARS:,} ")
    assert values[1] == f"{MAX_TWEET_IDS:,}"
    assert values[2] == str(facts.MAX_GROUPINGS)
    sizes = {e.name: e.max_tweet_ids for e in ENDPOINTS}
    assert sizes["28hr"] == sizes["historical"]
    assert re.findall(r"(\d+) on", values[3]) == [str(sizes["totals"]), str(sizes["28hr"])]
    assert values[4] == f"{facts.HISTORICAL_MAX_WINDOW.days} days"
    assert values[5] == f"{facts.HISTORICAL_EARLIEST:%Y-%m-%d}"
    assert values[6] == f"{MAX_IDS_FILE_BYTES:,}"
    assert values[7] == f"{MAX_STATEMENTS:,}"
    assert values[8] == f"{MAX_DIAGNOSTICS:,}"


def test_default_grouping_name_is_the_documented_one() -> None:
    assert f"`{DEFAULT_GROUPING_NAME}`" in DOC


def test_doc_has_engql_examples() -> None:
    assert len(ENGQL_BLOCKS) >= 8


@pytest.mark.parametrize("text", ENGQL_BLOCKS, ids=lambda t: t.splitlines()[0][:40])
def test_engql_block_compiles(text: str) -> None:
    try:
        engql.compile(
            text, params=command_params(text), now=NOW, allow_files=True, base_dir=EXAMPLES
        )
    except engql.EngqlError as error:
        pytest.fail("\n".join(d.render() for d in error.diagnostics))


def test_json_blocks_are_the_bodies_of_the_query_before_them() -> None:
    blocks = fenced_blocks()
    pairs = [
        (before[1], after[1])
        for before, after in itertools.pairwise(blocks)
        if before[0] == "engql" and after[0] == "json"
    ]
    assert pairs
    for query, bodies in pairs:
        plan = engql.compile(query, params=command_params(query), now=NOW, base_dir=EXAMPLES)
        assert [r.body for r in plan.requests] == json.loads(bodies)
