"""What ``engql run`` writes in each format: json, jsonl, csv, table and raw."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from run_helpers import (
    EXAMPLES,
    IDS_600,
    NOW,
    TOTALS_QUERY,
    Ran,
    SandboxFactory,
    ids_param,
    on_a_terminal,
    query_file,
    shortened_backoff,
    unlimited_answer,
    use_credentials,
)

import engql
from engql.sandbox.faults import Fault, FaultPlan

pytestmark = pytest.mark.usefixtures("no_machine_credentials")


def expected_totals(ids: Sequence[str]) -> dict[str, Any]:
    plan = engql.compile(TOTALS_QUERY, params={"ids": list(ids)}, now=NOW)
    return unlimited_answer(plan)


def test_json_is_the_apis_shape_plus_missing(totals_run: Callable[..., Ran]) -> None:
    ran = totals_run("--format", "json")
    assert ran.code == 0
    assert json.loads(ran.out) == {**expected_totals(IDS_600[:30]), "missing": {}}


def test_json_is_the_default_when_stdout_is_not_a_terminal(
    totals_run: Callable[..., Ran],
) -> None:
    assert json.loads(totals_run().out) == json.loads(totals_run("--format", "json").out)


def test_jsonl_has_one_row_per_key_combination(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["per_tweet"]
    rows = [json.loads(line) for line in totals_run("--format", "jsonl").out.splitlines()]
    assert rows == [
        {"tweet_id": tweet, **{m: int(n) for m, n in expected[tweet].items()}}
        for tweet in sorted(IDS_600[:30], key=int)
    ]


def test_jsonl_grouping_and_long(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["grand_total"]
    ran = totals_run("--format", "jsonl", "--grouping", "grand_total")
    assert [json.loads(line) for line in ran.out.splitlines()] == [
        {m: int(n) for m, n in expected.items()}
    ]
    ran = totals_run("--format", "jsonl", "--grouping", "grand_total", "--long")
    assert [json.loads(line) for line in ran.out.splitlines()] == [
        {"metric": m, "value": int(n)} for m, n in expected.items()
    ]
    ran = totals_run("--format", "jsonl", "--long")
    rows = [json.loads(line) for line in ran.out.splitlines()]
    assert len(rows) == 30 * 3
    assert list(rows[0]) == ["tweet_id", "metric", "value"]


def test_csv_is_rfc_4180_with_tweet_ids_as_their_digits(totals_run: Callable[..., Ran]) -> None:
    expected = expected_totals(IDS_600[:30])["per_tweet"]
    ran = totals_run("--format", "csv")
    rows = list(csv.reader(io.StringIO(ran.out, newline="")))
    assert rows[0] == ["tweet_id", "favorites", "retweets", "replies"]
    first = min(IDS_600[:30], key=int)
    assert rows[1] == [first, *(expected[first][m] for m in rows[0][1:])]
    assert len(rows) == 31
    assert "=" not in ran.out and '"' not in ran.out  # no formula, nothing to quote
    assert ran.out.count("\r\n") == 31 and ran.out.count("\n") == 31  # every line ends in CRLF


def test_csv_long(totals_run: Callable[..., Ran]) -> None:
    rows = list(csv.reader(io.StringIO(totals_run("--format", "csv", "--long").out)))
    assert rows[0] == ["tweet_id", "metric", "value"]
    assert [row[1] for row in rows[1:4]] == ["favorites", "retweets", "replies"]


def test_table_has_a_column_per_metric_and_grouped_digits(
    totals_run: Callable[..., Ran],
) -> None:
    expected = expected_totals(IDS_600[:30])["grand_total"]
    ran = totals_run("--format", "table", "--grouping", "grand_total")
    header, rule, row = ran.out.splitlines()
    assert header.split() == ["favorites", "retweets", "replies"]
    assert set(rule) <= {"-", " "}
    assert row.split() == [f"{int(expected[m]):,}" for m in ("favorites", "retweets", "replies")]
    assert any("," in cell for cell in row.split())
    lines = totals_run("--format", "table").out.splitlines()
    assert lines[0].split() == ["tweet_id", "favorites", "retweets", "replies"]
    assert len(lines) == 2 + 30


def test_table_is_the_default_on_a_terminal() -> None:
    code, out, _ = on_a_terminal("stdout", str(EXAMPLES / "quickstart.engql"), "--sandbox")
    assert code == 0
    assert out.split()[:5] == [b"tweet_id", b"favorites", b"retweets", b"quote_tweets", b"replies"]


def test_raw_is_every_response_with_its_request(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    faults = FaultPlan({1: Fault.UNAVAILABLE, 2: Fault.DROP})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    ran = engql_run(
        query_file(TOTALS_QUERY),
        *ids_param(IDS_600),
        "--base-url",
        api.base_url,
        "--format",
        "raw",
        "--concurrency",
        "1",
    )
    assert ran.code == 0, ran.err
    lines = [json.loads(line) for line in ran.out.splitlines()]
    assert len(lines) == 5
    assert [(line["status"], line["broken"]) for line in lines[:2]] == [
        (503, None),
        (0, "the server closed the connection without answering"),
    ]
    assert lines[0]["response"] == {"errors": ["Service Unavailable"]}
    plan = engql.compile(TOTALS_QUERY, params={"ids": IDS_600})
    for line, request in zip(lines[2:], plan.requests, strict=True):
        assert line["status"] == 200
        assert line["request"] == {
            "endpoint": "totals",
            "url": request.url_at(api.base_url),
            "auth": "app",
            "batch": request.batch,
            "window": None,
            "body": request.body,
        }
        assert set(line["response"]["per_tweet"]) == set(request.tweet_ids)
