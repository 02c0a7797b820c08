"""The output formats as a registry (engql/output/): what each declares, what the CLI and
the shell offer from it, the exact text each writes, and the laws between the writers.

The expected texts below are what engql wrote before the registry (CSV as issue 12
made it: RFC 4180, Tweet IDs as digits, one table a file); a change to any of them is a
change of output that users' scripts read.
"""

from __future__ import annotations

import io
import json
import pkgutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engql
import engql.output
from engql.cli import build_parser
from engql.executor.missing import Missing, MissingKind
from engql.executor.result import Result, RunStats, StatementResult
from engql.executor.runner import Batch
from engql.executor.transport import Reply
from engql.output import (
    FORMAT_NAMES,
    RowStream,
    format_names,
    formats,
    output_format,
    shell_formats,
    write_result,
)
from engql.output.jsonl import json_lines
from engql.output.raw import open_responses
from engql.repl.commands import BY_NAME, RESULT_FORMATS
from engql.repl.shell import Shell

NOW = datetime(2024, 6, 1, tzinfo=UTC)
TEXT = """\
SELECT favorites, retweets FROM totals WHERE tweet IN (1260294888811347969, 850006245121695744)
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS total;
SELECT impressions FROM historical WHERE tweet IN (20)
  AND time BETWEEN '2024-04-16' AND '2024-04-18'
GROUP BY tweet.id, engagement.type, engagement.day AS daily;
"""
PLAN = engql.compile(TEXT, now=NOW)
STATS = RunStats(2, 2, 0, 0, 0.5)
FIRST = StatementResult(
    PLAN.statements[0],
    {
        "start": "2024-05-01T00:00:00Z",
        "per_tweet": {
            "1260294888811347969": {"favorites": "2", "retweets": "0"},
            "850006245121695744": {"favorites": "1647", "retweets": "303"},
        },
        "total": {"favorites": "1649", "retweets": "303"},
    },
    {},
)
SECOND = StatementResult(
    PLAN.statements[1],
    {"daily": {"20": {"impressions": {"2024-04-17": "12000", "2024-04-16": "7"}}}},
    {"20": Missing(MissingKind.TOO_OLD_FOR_VIDEO_VIEWS)},
)
ONE = Result((FIRST,), STATS)
BOTH = Result((FIRST, SECOND), STATS)


# The registry and who reads it ------------------------------------------------------------


def test_every_module_of_the_package_is_a_registered_format() -> None:
    """Adding a format is adding its module: one that is not registered fails here."""
    modules = {m.name for m in pkgutil.iter_modules(engql.output.__path__)} - {"format"}
    assert modules == set(FORMAT_NAMES) == set(formats())
    for name, fmt in formats().items():
        assert fmt.name == name
        assert output_format(name) is fmt
    with pytest.raises(KeyError):
        output_format("format")


def test_commands_that_write_no_result_load_no_format() -> None:
    """``engql compile`` builds the whole command line, --format's choices included,
    without loading a format's module (start-up time, bench/cold_start.py)."""
    code = (
        "import sys; from engql.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('engql.output')))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.split() == ["['engql.output']"]


def test_the_cli_offers_every_format_in_the_registry_order() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    run = commands.choices["run"]
    (option,) = [a for a in run._actions if a.dest == "format"]
    assert tuple(option.choices) == format_names()
    assert format_names() == ("table", "json", "jsonl", "csv", "parquet", "xlsx", "raw")


def test_the_shell_offers_the_formats_that_write_a_whole_result() -> None:
    assert RESULT_FORMATS == shell_formats() == ("table", "json", "jsonl", "csv")
    assert BY_NAME["format"].usage == "\\format table|json|jsonl|csv"


@pytest.mark.parametrize(
    ("fmt", "streams"),
    [
        ("jsonl", True),  # each row names its statement
        ("csv", True),  # one table: its header is known from the plan
        ("parquet", True),  # one schema, known from the plan
        ("xlsx", True),  # a sheet per statement
        ("table", False),  # aligned over all rows
        ("json", False),
        ("raw", False),
    ],
)
def test_which_formats_stream_their_rows(fmt: str, streams: bool) -> None:
    """For any number of statements: none of them needs the others' rows first."""
    assert RowStream.can_stream(fmt) is output_format(fmt).can_stream is streams


def test_the_binary_formats_and_the_extensions_that_pick_them() -> None:
    assert {name for name, f in formats().items() if f.binary} == {"parquet", "xlsx"}
    assert {name: f.extension for name, f in formats().items()} == {
        "table": None,
        "json": ".json",
        "jsonl": ".jsonl",
        "csv": ".csv",
        "parquet": ".parquet",
        "xlsx": ".xlsx",
        "raw": None,
    }
    assert {name: (f.library, f.extra) for name, f in formats().items() if f.library} == {
        "parquet": ("pyarrow", "parquet"),
        "xlsx": ("xlsxwriter", "xlsx"),
    }


def test_the_outputs_with_the_servers_text_are_json_and_raw() -> None:
    assert {name for name, f in formats().items() if f.server_text} == {"json", "raw"}


def test_raw_writes_nothing_of_a_whole_result() -> None:
    out = io.StringIO()
    write_result(BOTH, "raw", out)
    assert out.getvalue() == ""


# The text each format writes -----------------------------------------------------------


EXPECTED = {
    ("table", "one", None, False): """\
tweet_id               favorites    retweets
-------------------  -----------  ----------
850006245121695744         1,647         303
1260294888811347969            2           0
""",
    ("table", "both", "total", True): """\
statement 1, grouping total
metric       value
---------  -------
favorites    1,649
retweets       303

statement 2, grouping daily
tweet_id    day         metric         value
----------  ----------  -----------  -------
20          2024-04-16  impressions        7
20          2024-04-17  impressions   12,000
""",
    ("jsonl", "one", None, False): """\
{"tweet_id": "850006245121695744", "favorites": 1647, "retweets": 303}
{"tweet_id": "1260294888811347969", "favorites": 2, "retweets": 0}
""",
    ("jsonl", "one", "total", True): """\
{"metric": "favorites", "value": 1649}
{"metric": "retweets", "value": 303}
""",
    ("jsonl", "both", None, False): (
        '{"statement": 0, "tweet_id": "850006245121695744", "favorites": 1647, "retweets": 303}\n'
        '{"statement": 0, "tweet_id": "1260294888811347969", "favorites": 2, "retweets": 0}\n'
        '{"statement": 1, "tweet_id": "20", "day": "2024-04-16", '
        '"bucket_start": "2024-04-16T00:00:00Z", "impressions": 7}\n'
        '{"statement": 1, "tweet_id": "20", "day": "2024-04-17", '
        '"bucket_start": "2024-04-17T00:00:00Z", "impressions": 12000}\n'
    ),
    ("csv", "one", None, False): (
        "tweet_id,favorites,retweets\r\n850006245121695744,1647,303\r\n1260294888811347969,2,0\r\n"
    ),
    ("csv", "both", "total", True): (
        "statement,tweet_id,day,bucket_start,metric,value\r\n"
        "0,,,,favorites,1649\r\n"
        "0,,,,retweets,303\r\n"
        "1,20,2024-04-16,2024-04-16T00:00:00Z,impressions,7\r\n"
        "1,20,2024-04-17,2024-04-17T00:00:00Z,impressions,12000\r\n"
    ),
    ("csv", "both", None, False): (  # several statements: long without --long
        "statement,tweet_id,day,bucket_start,metric,value\r\n"
        "0,850006245121695744,,,favorites,1647\r\n"
        "0,850006245121695744,,,retweets,303\r\n"
        "0,1260294888811347969,,,favorites,2\r\n"
        "0,1260294888811347969,,,retweets,0\r\n"
        "1,20,2024-04-16,2024-04-16T00:00:00Z,impressions,7\r\n"
        "1,20,2024-04-17,2024-04-17T00:00:00Z,impressions,12000\r\n"
    ),
    ("json", "both", "total", True): """\
[
  {
    "start": "2024-05-01T00:00:00Z",
    "per_tweet": {
      "1260294888811347969": {
        "favorites": "2",
        "retweets": "0"
      },
      "850006245121695744": {
        "favorites": "1647",
        "retweets": "303"
      }
    },
    "total": {
      "favorites": "1649",
      "retweets": "303"
    },
    "missing": {}
  },
  {
    "daily": {
      "20": {
        "impressions": {
          "2024-04-17": "12000",
          "2024-04-16": "7"
        }
      }
    },
    "missing": {
      "20": "no video_views: older than 1800 days"
    }
  }
]
""",
}


@pytest.mark.parametrize(("fmt", "which", "grouping", "long"), list(EXPECTED))
def test_each_format_writes_what_it_wrote_before(
    fmt: str, which: str, grouping: str | None, long: bool
) -> None:
    out = io.StringIO()
    write_result(ONE if which == "one" else BOTH, fmt, out, grouping, long)
    assert out.getvalue() == EXPECTED[fmt, which, grouping, long]


# Laws ------------------------------------------------------------------------------------

STREAMED_PLAN = engql.compile(
    "SELECT impressions, favorites FROM historical WHERE tweet IN (9, 10, 11, 200, 3000, 40000)"
    " AND time BETWEEN '2024-04-16' AND '2024-04-19'"
    " GROUP BY tweet.id, engagement.type AS per_tweet"
    " GROUP BY tweet.id, engagement.type, engagement.day AS daily;"
    " SELECT favorites FROM totals WHERE tweet IN (9, 10, 11, 200, 3000, 40000)"
    " GROUP BY tweet.id, engagement.type AS per_tweet;",
    now=NOW,
)
STREAMED = STREAMED_PLAN.statements[0]
TWEETS = sorted(STREAMED.query.tweet_ids, key=int)
DAYS = ["2024-04-16", "2024-04-17", "2024-04-18"]
counts = st.integers(0, 10**12).map(str) | st.integers(-5, 5)
by_metric = st.dictionaries(st.sampled_from(STREAMED.query.metrics), counts)
by_day = st.dictionaries(st.sampled_from(DAYS), counts, min_size=1)


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A streamed statement's merged answers, batch by batch, over Tweets in order."""
    cuts = sorted(draw(st.sets(st.integers(1, len(TWEETS) - 1), max_size=3)))
    found = []
    for start, end in zip([0, *cuts], [*cuts, len(TWEETS)], strict=True):
        tweets = draw(st.sets(st.sampled_from(TWEETS[start:end])))
        per_tweet = {t: draw(by_metric) for t in tweets}
        daily = {t: draw(st.dictionaries(st.sampled_from(["impressions"]), by_day)) for t in tweets}
        found.append({"per_tweet": per_tweet, "daily": daily})
    return found


def new_output(fmt: str) -> io.StringIO | io.BytesIO:
    return io.BytesIO() if output_format(fmt).binary else io.StringIO()


def read_back(fmt: str, out: io.StringIO | io.BytesIO) -> Any:
    """What was written: the text, or a Parquet file's rows as pyarrow reads them."""
    if isinstance(out, io.StringIO):
        return out.getvalue()
    import pyarrow.parquet

    table = pyarrow.parquet.read_table(io.BytesIO(out.getvalue()))
    return table.schema, table.to_pylist()


@settings(max_examples=60)
@given(
    batches(),
    batches(),
    st.sampled_from(["jsonl", "csv", "parquet"]),
    st.sampled_from([None, "daily"]),
    st.booleans(),
    st.booleans(),
)
def test_rows_written_batch_by_batch_are_those_of_the_whole_result(
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    fmt: str,
    grouping: str | None,
    long: bool,
    several: bool,
) -> None:
    """A statement at a time, in plan order, as the executor streams them; with several
    statements, csv and parquet write one table of them."""
    plans = STREAMED_PLAN.statements[: 2 if several else 1]
    answers = [first, [{"per_tweet": a["per_tweet"]} for a in second]][: len(plans)]
    streamed = new_output(fmt)
    stream = RowStream(fmt, streamed, plans, grouping, long)
    for plan, batched in zip(plans, answers, strict=False):
        for answer in batched:
            stream.write_batch(Batch(plan, 0, [], answer))
    stream.finish(Result(tuple(StatementResult(p, {}, {}, streamed=True) for p in plans), STATS))
    merged = [
        {name: {k: v for a in batched for k, v in a[name].items()} for name in batched[0]}
        for batched in answers
    ]
    whole = new_output(fmt)
    statements = tuple(StatementResult(p, m, {}) for p, m in zip(plans, merged, strict=True))
    write_result(Result(statements, STATS), fmt, whole, grouping, long)
    assert read_back(fmt, streamed) == read_back(fmt, whole)


values = st.integers(-(10**30), 10**30) | st.text() | st.sampled_from(["%d", "%s", "%%", '"', "\\"])


@given(
    st.lists(st.text(), min_size=1, max_size=4).flatmap(
        lambda names: st.tuples(
            st.just(names), st.lists(st.tuples(*[values] * len(names)), max_size=4)
        )
    )
)
def test_json_lines_are_json_dumps_of_each_row(
    case: tuple[list[str], list[tuple[Any, ...]]],
) -> None:
    """The template is only a faster way to the same text, whatever the names and values
    (text that JSON escapes, names that repeat)."""
    names, rows = case
    assert json_lines(names, rows) == "".join(
        json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows
    )


def test_json_lines_of_ids_days_and_hours_and_counts() -> None:
    names = ["tweet_id", "day", "hour", "favorites"]
    rows = [("20", "2024-04-16", "07", 5), ("1800610451420572802", "2024-04-16", "23", -12)]
    assert json_lines(names, rows) == (
        '{"tweet_id": "20", "day": "2024-04-16", "hour": "07", "favorites": 5}\n'
        '{"tweet_id": "1800610451420572802", "day": "2024-04-16", "hour": "23", "favorites": -12}\n'
    )


# raw ---------------------------------------------------------------------------------------


def test_raw_writes_each_attempt_as_one_json_line_from_any_thread() -> None:
    (request,) = engql.compile("SELECT favorites FROM totals WHERE tweet = 20;").requests
    answered = Reply(200, {"per_tweet": {}}, {}, b'{"per_tweet": {}}')
    broken = Reply(502, None, {}, b"<html>bad \xff gateway</html>", "body is not JSON")
    out = io.StringIO()
    write = open_responses(out, "https://user:secret@api.example/")
    workers = [
        threading.Thread(target=write, args=(request, request.body, reply))
        for reply in [answered, broken] * 20
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 40
    assert lines.count(lines[0]) == 20
    first = next(line for line in lines if line["status"] == 200)
    assert first == {
        "request": {
            "endpoint": "totals",
            "url": "https://<redacted>@api.example/insights/engagement/totals",
            "auth": "app",
            "batch": 0,
            "window": None,
            "body": request.body,
        },
        "status": 200,
        "broken": None,
        "response": {"per_tweet": {}},
    }
    failed = next(line for line in lines if line["status"] == 502)
    assert failed["broken"] == "body is not JSON"
    assert failed["response"] == "<html>bad \ufffd gateway</html>"


def test_the_shell_shows_results_as_json_lines_too() -> None:
    out, err = io.StringIO(), io.StringIO()
    shell = Shell(out, err, environ={"HOME": "/nonexistent"}, sandbox=True)
    try:
        shell.handle("\\format jsonl")
        shell.handle("SELECT favorites FROM totals WHERE tweet IN (1260294888811347969, 20);")
    finally:
        shell.close()
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["tweet_id"] for row in rows] == ["20", "1260294888811347969"]
    assert all(list(row) == ["tweet_id", "favorites"] for row in rows)
