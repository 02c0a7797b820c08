"""The files the row formats write, read back with the tool a user would load each with
(pandas, DuckDB and ``csv`` for CSV, pyarrow for Parquet, openpyxl for xlsx); ``-o``
choosing the format by its extension; binary output to files and pipes but never to a
terminal; a missing extra; the atomic replacement of a binary file; and the examples of
docs/running.md's Outputs, run as the doc shows them."""

from __future__ import annotations

import csv
import doctest
import io
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas
import pyarrow
import pyarrow.parquet
import pytest
from collect_harness import Engql, collection, statement, tweets_before, utc
from hypothesis import given, settings
from hypothesis import strategies as st
from run_helpers import (
    EXAMPLES,
    FAST,
    IDS_30,
    UNOWNED_QUERY,
    Ran,
    SandboxFactory,
    credentials_of,
    on_a_terminal,
    query_file,
)
from run_helpers import NOW as EXAMPLES_NOW

import engql
from engql import facts
from engql.atomic import atomic_binary_file
from engql.cli import main
from engql.executor.result import Result, RunStats, StatementResult
from engql.executor.runner import Batch
from engql.exits import Exit
from engql.output import RowStream, write_result
from engql.output.format import Part, parts
from engql.output.parquet import ROW_GROUP_ROWS
from engql.output.xlsx import XlsxRows, sheet_name
from engql.running import Output, run_plan

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

NOW = datetime(2024, 6, 1, tzinfo=UTC)
BIG = str(facts.MAX_TWEET_ID)
"""The largest Tweet ID there is (2**63 - 1): a double would round it, int64 holds it."""
PLAN = engql.compile(
    f"""\
SELECT favorites, retweets FROM totals WHERE tweet IN ({BIG}, 20)
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS total;
SELECT impressions, engagements FROM historical WHERE tweet IN ({BIG}, 20)
  AND time BETWEEN '2024-04-16' AND '2024-04-18'
GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour AS hourly
GROUP BY engagement.type, engagement.hour AS hour_of_day;
""",
    now=NOW,
)
STATS = RunStats(2, 2, 0, 0, 0.5)
TOTALS = StatementResult(
    PLAN.statements[0],
    {
        "per_tweet": {BIG: {"favorites": "5", "retweets": "1"}, "20": {"favorites": "2"}},
        "total": {"favorites": "7", "retweets": "1"},
    },
    {},
)
HOURLY = StatementResult(
    PLAN.statements[1],
    {
        "hourly": {
            BIG: {"impressions": {"2024-04-16": {"00": "30", "13": "4"}}, "engagements": {}},
            "20": {"impressions": {"2024-04-17": {"23": "9"}}, "engagements": {}},
        },
        "hour_of_day": {"impressions": {"00": "30", "13": "4", "23": "9"}},
    },
    {},
)
BOTH = Result((TOTALS, HOURLY), STATS)


def written(result: Result, fmt: str, path: Path, grouping: str | None = None) -> Path:
    """``result`` written as ``fmt`` into ``path``, as ``-o`` opens it."""
    if fmt in ("parquet", "xlsx"):
        with path.open("wb") as binary:
            write_result(result, fmt, binary, grouping)
    else:
        with path.open("w", newline="") as text:
            write_result(result, fmt, text, grouping)
    return path


def duckdb_types(path: Path, reader: str) -> dict[str, str]:
    relation = duckdb.sql(f"SELECT * FROM {reader}('{path}')")
    return dict(zip(relation.columns, map(str, relation.types), strict=True))


# CSV ------------------------------------------------------------------------------------


def test_pandas_duckdb_and_csv_read_tweet_ids_as_64_bit_integers(tmp_path: Path) -> None:
    path = written(Result((TOTALS,), STATS), "csv", tmp_path / "totals.csv")
    assert path.read_bytes() == (
        b"tweet_id,favorites,retweets\r\n20,2,0\r\n" + BIG.encode() + b",5,1\r\n"
    )
    frame = pandas.read_csv(path)
    assert frame.dtypes.map(str).to_dict() == {
        "tweet_id": "int64",
        "favorites": "int64",
        "retweets": "int64",
    }
    assert frame["tweet_id"].tolist() == [20, facts.MAX_TWEET_ID]
    assert duckdb_types(path, "read_csv") == {
        "tweet_id": "BIGINT",
        "favorites": "BIGINT",
        "retweets": "BIGINT",
    }
    assert duckdb.sql(f"SELECT max(tweet_id) FROM read_csv('{path}')").fetchall() == [
        (facts.MAX_TWEET_ID,)
    ]
    with path.open(newline="") as lines:
        assert list(csv.reader(lines)) == [
            ["tweet_id", "favorites", "retweets"],
            ["20", "2", "0"],
            [BIG, "5", "1"],
        ]


def test_bucket_start_is_a_timestamp_to_duckdb_and_to_pandas_with_parse_dates(
    tmp_path: Path,
) -> None:
    path = written(Result((HOURLY,), STATS), "csv", tmp_path / "hourly.csv")
    assert duckdb_types(path, "read_csv") == {
        "tweet_id": "BIGINT",
        "day": "DATE",
        "hour": "VARCHAR",  # "00": its leading zero is kept
        "bucket_start": "TIMESTAMP WITH TIME ZONE",
        "impressions": "BIGINT",
        "engagements": "BIGINT",
    }
    frame = pandas.read_csv(path, parse_dates=["bucket_start"], dtype={"hour": "string"})
    assert str(frame["bucket_start"].dtype).startswith("datetime64[") and "UTC" in str(
        frame["bucket_start"].dtype
    )
    assert frame["bucket_start"].tolist() == [
        pandas.Timestamp("2024-04-17T23:00:00Z"),
        pandas.Timestamp("2024-04-16T00:00:00Z"),
        pandas.Timestamp("2024-04-16T13:00:00Z"),
    ]
    assert frame["hour"].tolist() == ["23", "00", "13"]


def test_several_statements_are_one_table_under_one_header(tmp_path: Path) -> None:
    path = written(BOTH, "csv", tmp_path / "both.csv")
    with path.open(newline="") as lines:
        rows = list(csv.reader(lines))
    header = ["statement", "tweet_id", "day", "hour", "bucket_start", "metric", "value"]
    assert rows[0] == header
    assert header not in rows[1:]
    assert rows[1:4] == [
        ["0", "20", "", "", "", "favorites", "2"],
        ["0", "20", "", "", "", "retweets", "0"],
        ["0", BIG, "", "", "", "favorites", "5"],
    ]
    assert ["1", BIG, "2024-04-16", "13", "2024-04-16T13:00:00Z", "engagements", "0"] in rows
    assert len(rows) == 1 + 4 + 3 * 2
    assert duckdb.sql(
        f"SELECT statement, count(*), count(tweet_id) FROM read_csv('{path}') "
        "GROUP BY statement ORDER BY statement"
    ).fetchall() == [(0, 4, 4), (1, 6, 6)]
    # A statement without tweet.id would leave cells empty; pandas keeps the IDs whole
    # as its nullable Int64 (a float64 column would round them).
    frame = pandas.read_csv(path, dtype={"tweet_id": "Int64"})
    assert frame["tweet_id"].max() == facts.MAX_TWEET_ID


def test_a_statement_without_a_column_leaves_its_cells_empty(tmp_path: Path) -> None:
    path = written(BOTH, "csv", tmp_path / "both.csv", grouping="total")
    assert duckdb.sql(
        f"SELECT statement, tweet_id, metric, value FROM read_csv('{path}') "
        "WHERE statement = 0 ORDER BY metric"
    ).fetchall() == [(0, None, "favorites", 7), (0, None, "retweets", 1)]


# Parquet --------------------------------------------------------------------------------


def test_parquet_columns_are_typed(tmp_path: Path) -> None:
    path = written(Result((HOURLY,), STATS), "parquet", tmp_path / "hourly.parquet")
    table = pyarrow.parquet.read_table(path)
    assert table.schema == pyarrow.schema(
        [
            ("tweet_id", pyarrow.int64()),
            ("day", pyarrow.string()),
            ("hour", pyarrow.string()),
            ("bucket_start", pyarrow.timestamp("us", tz="UTC")),
            ("impressions", pyarrow.int64()),
            ("engagements", pyarrow.int64()),
        ]
    )
    assert table.to_pylist()[1] == {
        "tweet_id": facts.MAX_TWEET_ID,
        "day": "2024-04-16",
        "hour": "00",
        "bucket_start": datetime(2024, 4, 16, tzinfo=UTC),
        "impressions": 30,
        "engagements": 0,
    }
    frame = pandas.read_parquet(path)
    assert frame["tweet_id"].dtype == "int64" and frame["impressions"].dtype == "int64"
    assert str(frame["bucket_start"].dtype) == "datetime64[us, UTC]"
    assert duckdb_types(path, "read_parquet")["bucket_start"] == "TIMESTAMP WITH TIME ZONE"


def test_several_statements_are_one_parquet_table(tmp_path: Path) -> None:
    table = pyarrow.parquet.read_table(written(BOTH, "parquet", tmp_path / "both.parquet"))
    assert table.schema == pyarrow.schema(
        [
            ("statement", pyarrow.int64()),
            ("tweet_id", pyarrow.int64()),
            ("day", pyarrow.string()),
            ("hour", pyarrow.string()),
            ("bucket_start", pyarrow.timestamp("us", tz="UTC")),
            ("metric", pyarrow.string()),
            ("value", pyarrow.int64()),
        ]
    )
    rows = table.to_pylist()
    assert rows[0] == {
        "statement": 0,
        "tweet_id": 20,
        "day": None,
        "hour": None,
        "bucket_start": None,
        "metric": "favorites",
        "value": 2,
    }
    assert [row["statement"] for row in rows] == [0] * 4 + [1] * 6


def test_parquet_is_written_a_row_group_at_a_time() -> None:
    """Rows are out of memory once a row group is full, before the run ends."""
    plan = PLAN.statements[0]
    out = io.BytesIO()
    stream = RowStream("parquet", out, [plan], None, False)
    ids = [str(30_000_000_000 + n) for n in range(ROW_GROUP_ROWS + 10)]
    per_tweet = {tweet: {"favorites": "1", "retweets": "2"} for tweet in ids}
    stream.write_batch(Batch(plan, 0, [], {"per_tweet": per_tweet}))
    assert out.tell() > ROW_GROUP_ROWS  # a full row group of 8-byte integers is out
    stream.write_batch(Batch(plan, 1, [], {"per_tweet": {BIG: {"favorites": "3"}}}))
    stream.finish(Result((StatementResult(plan, {}, {}, streamed=True),), STATS))
    read = pyarrow.parquet.ParquetFile(io.BytesIO(out.getvalue()))
    assert read.metadata.num_rows == ROW_GROUP_ROWS + 11
    assert [read.metadata.row_group(n).num_rows for n in range(2)] == [ROW_GROUP_ROWS, 11]


def test_a_stopped_stream_ends_its_file_after_the_rows_so_far() -> None:
    plan = PLAN.statements[0]
    out = io.BytesIO()
    stream = RowStream("parquet", out, [plan], None, False)
    stream.write_batch(Batch(plan, 0, [], TOTALS.answer))
    stream.close()
    stream.close()
    table = pyarrow.parquet.read_table(io.BytesIO(out.getvalue()))
    assert table.column("tweet_id").to_pylist() == [20, facts.MAX_TWEET_ID]


# xlsx ----------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_statement_with_ids_as_text_and_counts_as_numbers(
    tmp_path: Path,
) -> None:
    book = openpyxl.load_workbook(written(BOTH, "xlsx", tmp_path / "both.xlsx"))
    assert book.sheetnames == ["1 per_tweet", "2 hourly"]
    totals = [[cell.value for cell in row] for row in book["1 per_tweet"].iter_rows()]
    assert totals == [["tweet_id", "favorites", "retweets"], ["20", 2, 0], [BIG, 5, 1]]
    hourly = book["2 hourly"]
    assert [cell.value for cell in hourly[1]] == [
        "tweet_id",
        "day",
        "hour",
        "bucket_start",
        "impressions",
        "engagements",
    ]
    tweet, day, hour, start, impressions, engagements = hourly[3]
    assert (tweet.data_type, tweet.value) == ("s", BIG)
    assert (day.value, hour.value) == ("2024-04-16", "00")
    assert start.is_date and start.value == datetime(2024, 4, 16)
    assert start.number_format == "yyyy-mm-dd hh:mm"
    assert (impressions.data_type, impressions.value, engagements.value) == ("n", 30, 0)
    assert type(impressions.value) is int


def test_xlsx_sheet_names_are_valid_excel_names() -> None:
    odd = Part(0, "'a/b:c*d?e[f]g\\h, a grouping with a name far too long", False, ())
    for more in (0, 1, 11):
        name = sheet_name(odd, more)
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith(("'", " "))
    assert sheet_name(odd) == "1 'a_b_c_d_e_f_g_h, a grouping"
    assert sheet_name(odd, 1) == "1 'a_b_c_d_e_f_g_h, a group (2)"
    assert sheet_name(Part(9, "x'", False, ())) == "10 x"


def test_a_statement_of_more_rows_than_a_sheet_holds_goes_on_in_another() -> None:
    out = io.BytesIO()
    rows = XlsxRows(out, parts(PLAN.statements[:1], None, False, False), sheet_rows=3)
    rows.write_rows(0, [(str(n), n, n) for n in range(5)])
    rows.close()
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["1 per_tweet", "1 per_tweet (2)", "1 per_tweet (3)"]
    assert [[cell.value for cell in row] for sheet in book for row in sheet.iter_rows()] == [
        ["tweet_id", "favorites", "retweets"],
        ["0", 0, 0],
        ["1", 1, 1],
        ["tweet_id", "favorites", "retweets"],
        ["2", 2, 2],
        ["3", 3, 3],
        ["tweet_id", "favorites", "retweets"],
        ["4", 4, 4],
    ]


# The round trip --------------------------------------------------------------------------

HOURS_PLAN = PLAN.statements[1]
tweet_ids = st.integers(1, facts.MAX_TWEET_ID).map(str)
int64s = st.integers(-(2**63), 2**63 - 1)
hours = st.dictionaries(st.sampled_from([f"{h:02}" for h in range(24)]), int64s, min_size=1)
days = st.dictionaries(st.sampled_from(["2024-04-16", "2024-04-17"]), hours, min_size=1)
by_metric = st.fixed_dictionaries({"impressions": days, "engagements": days})
hourly_answers = st.dictionaries(tweet_ids, by_metric, max_size=5).map(lambda g: {"hourly": g})


def read_rows(fmt: str, data: bytes) -> list[tuple[Any, ...]]:
    """The rows of a file as its reader gives them back."""
    if fmt == "csv":
        return [tuple(row) for row in csv.reader(io.StringIO(data.decode(), newline=""))][1:]
    if fmt == "jsonl":
        return [tuple(json.loads(line).values()) for line in data.decode().splitlines()]
    return [tuple(row.values()) for row in pyarrow.parquet.read_table(io.BytesIO(data)).to_pylist()]


def as_read(fmt: str, names: list[str], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of ``row_values`` as ``fmt``'s reader gives it: CSV all text, Parquet with
    integer Tweet IDs and UTC date-times, JSON Lines as it is."""
    if fmt == "csv":
        return tuple(map(str, row))
    if fmt == "jsonl":
        return row
    typed = {"tweet_id": int, "bucket_start": datetime.fromisoformat}
    return tuple(typed.get(name, _same)(value) for name, value in zip(names, row, strict=True))


def _same(value: Any) -> Any:
    return value


@settings(max_examples=40)
@given(hourly_answers, st.sampled_from(["csv", "parquet", "jsonl"]), st.booleans())
def test_rows_read_back_are_the_rows_written(answer: dict[str, Any], fmt: str, long: bool) -> None:
    """Whatever the IDs (up to 2**63 - 1) and int64 counts."""
    statement = StatementResult(HOURS_PLAN, answer, {})
    out: io.BytesIO | io.StringIO = io.BytesIO() if fmt == "parquet" else io.StringIO()
    write_result(Result((statement,), STATS), fmt, out, "hourly", long)
    data = out.getvalue()
    found = read_rows(fmt, data if isinstance(data, bytes) else data.encode())
    names = statement.columns("hourly", long)
    assert found == [as_read(fmt, names, row) for row in statement.row_values("hourly", long)]


# -o and the command line ------------------------------------------------------------------


def read_file(fmt: str, path: Path) -> list[Any]:
    """The Tweet IDs of a file of the totals query, read by the tool of its format."""
    if fmt == "csv":
        return pandas.read_csv(path)["tweet_id"].tolist()
    if fmt == "jsonl":
        return [int(json.loads(line)["tweet_id"]) for line in path.read_text().splitlines()]
    if fmt == "json":
        return sorted(map(int, json.loads(path.read_text())["per_tweet"]))
    if fmt == "parquet":
        return pyarrow.parquet.read_table(path).column("tweet_id").to_pylist()
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [int(row[0].value) for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.csv", "csv"),
        ("out.jsonl", "jsonl"),
        ("out.json", "json"),
        ("out.parquet", "parquet"),
        ("out.xlsx", "xlsx"),
        ("OUT.CSV", "csv"),
    ],
)
def test_o_picks_the_format_by_its_extension(
    totals_run: Callable[..., Ran], tmp_path: Path, name: str, fmt: str
) -> None:
    path = tmp_path / name
    ran = totals_run("-o", str(path))
    assert ran.code == Exit.OK, ran.err
    assert ran.out == ""
    assert sorted(read_file(fmt, path)) == sorted(read_file("json", written_json(totals_run)))


def written_json(totals_run: Callable[..., Ran]) -> Path:
    path = Path("expected.json")
    assert totals_run("-o", str(path)).code == Exit.OK
    return path


def test_format_wins_over_the_extension(totals_run: Callable[..., Ran], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert totals_run("--format", "jsonl", "-o", str(path)).code == Exit.OK
    assert all(json.loads(line) for line in path.read_text().splitlines())


@pytest.mark.parametrize("name", ["out.txt", "out", "out.csv.gz"])
def test_an_extension_that_names_no_format_is_a_usage_error_before_sending(
    totals_run: Callable[..., Ran], api: Any, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    ran = totals_run("-o", str(path))
    assert ran.code == Exit.USAGE
    assert ran.err == (
        f"engql: -o {path}: the format is chosen by the file's extension, one of "
        ".csv, .json, .jsonl, .parquet, .xlsx, or by --format\n"
    )
    assert api.log.entries() == [] and not path.exists()


def test_o_to_a_pipe_keeps_the_default_format(
    totals_run: Callable[..., Ran], tmp_path: Path
) -> None:
    """A device or pipe (``-o /dev/null``) has no extension to go by: json, as before."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    ran = totals_run("-o", str(pipe))
    reader.join(timeout=30)
    assert ran.code == Exit.OK, ran.err
    assert json.loads(received[0])["missing"] == {}


def run_piped(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "engql", "run", *args], capture_output=True, timeout=60
    )


def test_binary_formats_go_to_a_stdout_that_is_a_pipe() -> None:
    query = str(EXAMPLES / "getting_started.engql")
    done = run_piped(query, "--sandbox", "--format", "parquet")
    assert done.returncode == Exit.OK, done.stderr
    table = pyarrow.parquet.read_table(io.BytesIO(done.stdout))
    assert table.column("tweet_id").to_pylist() == [850006245121695744, 1260294888811347969]
    done = run_piped(query, "--sandbox", "--format", "xlsx")
    assert done.returncode == Exit.OK, done.stderr
    book = openpyxl.load_workbook(io.BytesIO(done.stdout))
    assert book.sheetnames == ["1 engagement-types-by-id"]


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_binary_formats_are_refused_on_a_terminal(fmt: str) -> None:
    query = str(EXAMPLES / "getting_started.engql")
    code, out, err = on_a_terminal("stdout", query, "--sandbox", "--format", fmt)
    assert code == Exit.USAGE
    assert out == b""
    assert (
        err
        == (
            f"engql: {fmt} output is binary: give -o FILE.{fmt}, or send stdout to a file or pipe\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("options", "library", "extra"),
    [
        (["--format", "parquet"], "pyarrow", "parquet"),
        (["-o", "out.parquet"], "pyarrow", "parquet"),
        (["-o", "out.xlsx"], "xlsxwriter", "xlsx"),
    ],
)
def test_a_missing_extra_is_one_line_before_sending(
    totals_run: Callable[..., Ran],
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    library: str,
    extra: str,
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # import fails, as when not installed
    ran = totals_run(*options)
    assert ran.code == Exit.USAGE
    fmt = "parquet" if extra == "parquet" else "xlsx"
    assert ran.err == f"engql: {fmt} output needs {library}: pip install 'engql[{extra}]'\n"
    assert api.log.entries() == [] and not Path(options[-1]).exists()


def test_only_the_binary_formats_load_their_libraries() -> None:
    code = (
        "import sys; from engql.cli import main; from engql.output import formats; formats(); "
        "main(['compile', 'examples/quickstart.engql']); "
        "main(['check', 'examples/quickstart.engql']); "
        "print(sorted({'pyarrow', 'xlsxwriter'} & set(sys.modules)))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=EXAMPLES.parent,
    )
    assert shown.stdout.splitlines()[-1] == "[]"


def test_several_statements_stream_into_one_csv(api: Any) -> None:
    """Each statement whose groupings start with tweet.id streams, as for one statement."""
    monthly = engql.compile((EXAMPLES / "monthly_report.engql").read_text(), now=EXAMPLES_NOW)
    out = io.StringIO(newline="")
    report = run_plan(monthly, credentials_of(api), api.base_url, FAST, output=Output("csv", out))
    assert report.exit == Exit.OK and report.result is not None
    assert [s.streamed for s in report.result.statements] == [True, False, False]
    lines = out.getvalue().splitlines()
    assert lines[0] == "statement,tweet_id,day,hour,bucket_start,metric,value"
    assert lines.count(lines[0]) == 1
    assert {line.split(",")[0] for line in lines[1:]} == {"0", "1", "2"}


def test_a_refused_run_to_a_stream_ends_the_parquet_file(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    api = engql_sandbox_factory(now=EXAMPLES_NOW, unowned=IDS_30[3:4])
    plan = engql.compile(UNOWNED_QUERY, params={"ids": IDS_30}, now=EXAMPLES_NOW)
    out = io.BytesIO()
    report = run_plan(plan, credentials_of(api), api.base_url, FAST, output=Output("parquet", out))
    assert report.exit == Exit.REFUSED
    table = pyarrow.parquet.read_table(io.BytesIO(out.getvalue()))
    assert table.schema.names == ["tweet_id", "impressions", "favorites"]


# engql collect --------------------------------------------------------------------------

T0 = utc(2024, 7, 1, 12, 17)


@pytest.fixture
def engql_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Engql]:
    yield from collection(monkeypatch, capsys, T0)


@pytest.mark.parametrize("options", [["-o", "out.parquet"], ["--format", "csv", "-o", "out.csv"]])
def test_collect_writes_the_new_formats_too(
    engql_cli: Engql, tmp_path: Path, options: list[str]
) -> None:
    ids = tweets_before(T0, [timedelta(days=70), timedelta(days=65)])
    query = query_file(
        statement(
            "historical",
            ["impressions"],
            ids,
            [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_DAY)],
            ("'2024-05-01'", "'2024-05-04'"),
        )
    )
    store = f"sqlite:///{tmp_path / 'store.db'}"
    collected = engql_cli.collect(query, store, *options)
    assert collected.code == Exit.OK, collected.err
    path = Path(options[-1])
    frame = pandas.read_parquet(path) if path.suffix == ".parquet" else pandas.read_csv(path)
    assert sorted(set(frame["tweet_id"])) == sorted(map(int, ids))
    assert frame["tweet_id"].dtype == "int64" and len(frame) == 2 * 3


# atomic_binary_file ---------------------------------------------------------------------


def test_a_binary_file_replaces_the_old_one_whole_keeping_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with atomic_binary_file(str(path)) as out:
        out.write(b"\x00new\xff")
        assert path.read_bytes() == b"old"
    assert path.read_bytes() == b"\x00new\xff"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(RuntimeError), atomic_binary_file(str(path), mode=0o600) as out:
        out.write(b"half")
        raise RuntimeError
    assert path.read_bytes() == b"\x00new\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def test_a_binary_file_to_a_pipe_is_written_into_it(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    with atomic_binary_file(str(pipe)) as out:
        out.write(b"PAR1\x00")
    reader.join(timeout=30)
    assert received == [b"PAR1\x00"] and stat.S_ISFIFO(pipe.stat().st_mode)


# docs/running.md's Outputs ----------------------------------------------------------------

RUNNING_DOC = (EXAMPLES.parent / "docs" / "running.md").read_text(encoding="utf-8")
OUTPUTS = RUNNING_DOC.split("\n## Outputs\n")[1].split("\n## ")[0]


def shown_commands(block: str) -> Iterator[tuple[str, list[str]]]:
    """Each ``$ engql ...`` line of a console block and the lines it shows; a last line
    ``...`` stands for the lines left out."""
    for command in block.split("$ ")[1:]:
        line, *shown = command.rstrip("\n").split("\n")
        yield line, shown


def test_the_outputs_examples_print_what_the_doc_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a folder whose examples/ is the repository's, in the doc's order: the files
    the console blocks write are the ones the Python session reads."""
    (tmp_path / "examples").symlink_to(EXAMPLES)
    consoles = re.findall(r"```console\n(.*?)```", OUTPUTS, re.S)
    assert len(consoles) >= 6
    for block in consoles:
        for command, shown in shown_commands(block):
            words = shlex.split(command)
            assert words[0] == "engql", command
            capsys.readouterr()
            assert main(words[1:]) == Exit.OK, capsys.readouterr().err
            lines = capsys.readouterr().out.replace("\r\n", "\n").splitlines()
            if shown and shown[-1] == "...":
                lines, shown = lines[: len(shown) - 1], shown[:-1]
            assert lines == shown, command
    (session,) = re.findall(r"```pycon\n(.*?)```", OUTPUTS, re.S)
    test = doctest.DocTestParser().get_doctest(session, {}, "running.md", None, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_outputs_errors_are_quoted_as_engql_words_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    query = str(EXAMPLES / "getting_started.engql")
    assert main(["run", query, "--sandbox", "-o", "daily.txt"]) == Exit.USAGE
    assert f"\n{capsys.readouterr().err}" in OUTPUTS
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert main(["run", query, "--sandbox", "--format", "parquet"]) == Exit.USAGE
    assert f"\n{capsys.readouterr().err}" in OUTPUTS
