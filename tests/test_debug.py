"""``engql debug ast|query|plan``: each stage's value as one JSON document, run as the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engql.cli import main

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.engql"
QUICKSTART_IDS = ["1260294888811347969", "850006245121695744", "1067094924124872705"]
NOW = ["--now", "2024-06-01T00:00:00Z"]
NOW_2016 = ["--now", "2016-03-01T00:00:00Z"]
"""A clock for HISTORICAL, whose range is in early 2016."""
BAD = "SELECT favorits FROM totals\nWHERE tweet IN (1);\n"
HISTORICAL = (
    "SELECT impressions FROM historical\n"
    "WHERE tweet IN :ids AND time BETWEEN '2016-01-01' AND '2016-02-15T03:30:00Z'\n"
    "GROUP BY tweet.id, engagement.type AS per_tweet;\n"
)


def debug(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["debug", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def document(out: str) -> Any:
    """The one JSON document on stdout: a single line unless ``--pretty`` was given."""
    assert out.endswith("\n")
    return json.loads(out)


def requests_of(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for statement in plan["statements"] for r in statement["requests"]]


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.engql"
    path.write_text(BAD)
    return path


def test_ast_holds_the_select_metrics_with_spans_at_their_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = debug(capsys, "ast", str(QUICKSTART))
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    script = document(out)["Script"]
    (statement,) = [s["Statement"] for s in script["statements"]]
    metrics = [m["Name"] for m in statement["metrics"]]
    assert [(m["text"], m["span"]["line"], m["span"]["column"]) for m in metrics] == [
        ("favorites", 3, 8),
        ("retweets", 3, 19),
        ("quote_tweets", 3, 29),
        ("replies", 3, 43),
    ]
    text = QUICKSTART.read_text()
    for metric in metrics:
        span = metric["span"]
        assert text[span["start"] : span["end"]] == metric["text"]
        assert span["end_column"] - span["column"] == len(metric["text"])
    assert statement["endpoint"]["Name"]["text"] == "totals"
    (condition,) = statement["conditions"]
    assert condition["TweetCondition"]["tweets"]["IdList"]["ids"] == QUICKSTART_IDS
    assert [c["Comment"]["span"]["line"] for c in script["comments"]] == [1, 2]


def test_ast_is_printed_for_a_script_with_check_errors(
    capsys: pytest.CaptureFixture[str], bad: Path
) -> None:
    code, out, err = debug(capsys, "ast", str(bad))
    assert (code, err) == (0, "")
    (statement,) = document(out)["Script"]["statements"]
    (metric,) = statement["Statement"]["metrics"]
    assert metric["Name"]["text"] == "favorits"
    assert (metric["Name"]["span"]["line"], metric["Name"]["span"]["column"]) == (1, 8)


@pytest.mark.parametrize("stage", ["ast", "query", "plan"])
def test_a_syntax_error_prints_diagnostics_only_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stage: str
) -> None:
    path = tmp_path / "broken.engql"
    path.write_text("SELECT favorites FROM totals WHERE")
    code, out, err = debug(capsys, stage, str(path), "--error-format", "json", *NOW)
    assert (code, out) == (1, "")
    (record,) = [json.loads(line) for line in err.splitlines()]
    assert (record["code"], record["line"], record["column"]) == ("E002", 1, 35)


def test_query_of_the_quickstart_has_its_resolved_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = debug(capsys, "query", str(QUICKSTART), *NOW)
    assert (code, err) == (0, "")
    (query,) = document(out)["queries"]
    assert query["tweet_ids"] == QUICKSTART_IDS
    assert all(isinstance(i, str) for i in query["tweet_ids"])
    assert query["index"] == 0
    assert query["endpoint"] == "totals"
    assert query["metrics"] == ["favorites", "retweets", "quote_tweets", "replies"]
    assert query["time_range"] is None
    assert query["now"] == "2024-06-01T00:00:00+00:00"
    assert query["groupings"] == [
        {"name": "by_tweet_type", "group_by": ["tweet.id", "engagement.type"]}
    ]
    assert (query["span"]["line"], query["span"]["column"]) == (3, 1)
    assert query["origin"]["file"] is None
    assert (query["origin"]["span"]["line"], query["origin"]["span"]["column"]) == (5, 16)


def test_query_takes_parameters_and_ids_files_and_keeps_the_range_exact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ids.txt").write_text("20\n10\n")
    path = tmp_path / "h.engql"
    path.write_text(HISTORICAL)
    code, out, err = debug(capsys, "query", str(path), "-p", "ids=@ids.txt", *NOW_2016)
    assert (code, err) == (0, "")
    (query,) = document(out)["queries"]
    assert query["tweet_ids"] == ["20", "10"]
    assert query["time_range"] == {
        "start": "2016-01-01T00:00:00+00:00",
        "end": "2016-02-15T03:30:00+00:00",
    }
    assert query["groupings"] == [
        {"name": "per_tweet", "group_by": ["tweet.id", "engagement.type"]}
    ]
    assert query["origin"]["file"] == "ids.txt"


@pytest.mark.parametrize("stage", ["query", "plan"])
def test_check_errors_print_diagnostics_like_compile_and_exit_1(
    capsys: pytest.CaptureFixture[str], bad: Path, stage: str
) -> None:
    code, out, err = debug(capsys, stage, str(bad), *NOW)
    assert (code, out) == (1, "")
    assert main(["compile", str(bad), *NOW]) == 1
    assert capsys.readouterr().err == err
    assert err.startswith(f"{bad}:1:8: error[E102]: unknown metric 'favorits'\n")


def test_plan_has_the_requests_compile_prints(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = debug(capsys, "plan", str(QUICKSTART), *NOW)
    assert (code, err) == (0, "")
    plan = document(out)
    assert main(["compile", str(QUICKSTART), *NOW]) == 0
    compiled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (statement,) = plan["statements"]
    assert {k: v for k, v in statement.items() if k != "requests"} == {
        "statement": 0,
        "endpoint": "totals",
        "auth": "app",
        "batch_size": 250,
        "batch_count": 1,
        "windows": [],
    }
    assert [{k: v for k, v in r.items() if k != "statement"} for r in requests_of(plan)] == compiled
    assert compiled[0]["body"]["tweet_ids"] == QUICKSTART_IDS


def test_plan_of_several_statements_has_their_batches_and_windows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "two.engql"
    path.write_text(HISTORICAL + "SELECT favorites FROM totals WHERE tweet IN :ids;\n")
    ids = ",".join(str(n) for n in range(1, 31))
    code, out, _ = debug(capsys, "plan", str(path), "-p", f"ids={ids}", *NOW_2016)
    assert code == 0
    plan = document(out)
    historical, totals = plan["statements"]
    assert (historical["auth"], historical["batch_size"], historical["batch_count"]) == (
        "user",
        25,
        2,
    )
    assert historical["windows"] == [
        {"start": "2016-01-01T00:00:00Z", "end": "2016-01-29T00:00:00Z"},
        {"start": "2016-01-29T00:00:00Z", "end": "2016-02-15T04:00:00Z"},
    ]
    assert [(r["batch"], r["window"]) for r in historical["requests"]] == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]
    assert (totals["statement"], totals["batch_count"], totals["windows"]) == (1, 1, [])
    assert main(["compile", str(path), "-p", f"ids={ids}", *NOW]) == 0
    compiled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert requests_of(plan) == compiled


@pytest.mark.parametrize("stage", ["ast", "query", "plan"])
def test_pretty_indents_the_same_document_and_output_is_deterministic(
    capsys: pytest.CaptureFixture[str], stage: str
) -> None:
    compact = debug(capsys, stage, str(QUICKSTART), *NOW)[1]
    assert debug(capsys, stage, str(QUICKSTART), *NOW)[1] == compact
    pretty = debug(capsys, stage, str(QUICKSTART), "--pretty", *NOW)[1]
    assert pretty.count("\n") > 1 and pretty.startswith("{\n  ")
    assert json.loads(pretty) == json.loads(compact)


def test_debug_reads_stdin_in_a_fresh_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engql", "debug", "query", "-", *NOW],
        input="SELECT favorites FROM totals WHERE tweet = '20';",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    (query,) = json.loads(result.stdout)["queries"]
    assert query["tweet_ids"] == ["20"]


def test_an_unknown_stage_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = debug(capsys, "tokens", str(QUICKSTART))
    assert (code, out) == (2, "")
    assert "invalid choice: 'tokens'" in err


def test_plan_urls_follow_base_url_as_compile_does(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--base-url", "http://127.0.0.1:8080/"]
    code, out, err = debug(capsys, "plan", str(QUICKSTART), *NOW, *base)
    assert (code, err) == (0, "")
    assert main(["compile", str(QUICKSTART), *NOW, *base]) == 0
    compiled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    urls = [r["url"] for r in requests_of(document(out))]
    assert urls == [r["url"] for r in compiled]
    assert urls == ["http://127.0.0.1:8080/insights/engagement/totals"]
