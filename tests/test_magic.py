"""The ``%engql`` and ``%%engql`` magics in an IPython shell in this process: each
option, the DataFrame a NAME binds, the Result returned, and every refusal shown as one
UsageError (its lines, no traceback). Queries go to the magic's own ``--sandbox`` or,
with ``--base-url``, to a sandbox of the test's; both on loopback."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from magic_helpers import Cell, ipython_shell, magics, run_cell
from run_helpers import (
    IDS_30,
    NOW,
    NOW_TEXT,
    TOTALS_QUERY,
    UNOWNED_QUERY,
    SandboxFactory,
    tweets,
    use_credentials,
)

import engql
from engql.executor.result import SHOWN_MISSING
from engql.notebook import EngqlMagics, build_parser

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

QUICKSTART = """\
SELECT favorites, retweets
FROM totals
WHERE tweet IN (1260294888811347969, 850006245121695744)
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS total;
"""
DAILY = """\
SELECT impressions, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-06-10' AND '2024-06-14'
GROUP BY tweet.id, engagement.type, engagement.day AS daily
GROUP BY engagement.type AS total;
"""
CAMPAIGN = ["1797947152269233892", "1800610451420572802"]
"""Created on 2024-06-04 and 2024-06-11 (examples/campaign.csv)."""


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InteractiveShell]:
    with ipython_shell(tmp_path_factory.mktemp("ipython")) as made:
        yield made


Runner = Callable[[str], Cell]


@pytest.fixture
def cell(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> Iterator[Runner]:
    """Runs a cell's text in the shell; the variables it made are removed after."""
    before = set(shell.user_ns)
    yield lambda text: run_cell(shell, text, capsys)
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]


def refused(ran: Cell) -> str:
    """The message of a cell stopped by a UsageError, which IPython shows as one
    ``UsageError: ...`` on stderr, without a traceback."""
    assert isinstance(ran.error, UsageError), ran.error
    assert ran.err == f"UsageError: {ran.error}\n"
    assert "Traceback" not in ran.err and ran.value is None
    return str(ran.error)


def test_a_cell_runs_its_query_and_returns_the_result(
    shell: InteractiveShell, cell: Runner
) -> None:
    ran = cell(f"%%engql --sandbox\n{QUICKSTART}")
    assert ran.error is None, ran.err
    assert isinstance(ran.value, engql.Result)
    assert shell.user_ns["_"] is ran.value
    rows = ran.value.statements[0].rows()
    assert [row["tweet_id"] for row in rows] == ["850006245121695744", "1260294888811347969"]
    assert "<engql.Result: 1 statement, 2 rows, 0 missing Tweets, 1 request in" in ran.out
    shown = ran.value._repr_html_()
    assert f'<td style="text-align: right">{rows[0]["favorites"]:,}</td>' in shown


def test_the_sandbox_is_started_once_for_the_shell(shell: InteractiveShell, cell: Runner) -> None:
    cell(f"%%engql --sandbox\n{QUICKSTART}")
    sandbox = magics(shell).sandbox
    assert sandbox is not None
    sandbox.log.clear()
    cell(f"%%engql --sandbox\n{QUICKSTART}")
    assert magics(shell).sandbox is sandbox
    assert len(sandbox.log.entries()) == 1


def test_now_is_the_sandbox_clock_too(shell: InteractiveShell, cell: Runner) -> None:
    """A 28-hour query asks the API for its last 28 hours: the sandbox's, which --now sets."""
    tweet = tweets(1, NOW - timedelta(hours=10), timedelta(hours=1))[0]
    text = f"SELECT impressions FROM 28hr WHERE tweet = {tweet} GROUP BY engagement.type, "
    text += "engagement.day, engagement.hour AS hourly"
    ran = cell(f"%%engql --sandbox --now {NOW_TEXT} hourly\n{text}")
    assert ran.error is None, ran.err
    starts = shell.user_ns["hourly"]["bucket_start"]
    assert NOW - timedelta(hours=29) <= starts.min() and starts.max() < NOW
    assert shell.user_ns["hourly"]["impressions"].sum() > 0


def test_a_name_binds_the_rows_as_a_typed_dataframe(shell: InteractiveShell, cell: Runner) -> None:
    ran = cell(f"%%engql --sandbox --now {NOW_TEXT} -p ids={','.join(CAMPAIGN)} df\n{DAILY}")
    assert ran.error is None, ran.err
    frame = shell.user_ns["df"]
    assert list(frame.columns) == ["tweet_id", "day", "bucket_start", "impressions", "favorites"]
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes["tweet_id"] == "int64" and dtypes["impressions"] == "int64"
    assert dtypes["bucket_start"] == "datetime64[ns, UTC]"
    assert dtypes["day"] in ("str", "object")  # pandas 3 has a text dtype, pandas 2 object
    assert frame["tweet_id"].tolist() == [int(CAMPAIGN[0])] * 4 + [int(CAMPAIGN[1])] * 4
    assert str(frame["bucket_start"][1]) == "2024-06-11 00:00:00+00:00"
    assert frame.equals(ran.value.to_pandas())


def test_grouping_and_long_shape_the_dataframe(shell: InteractiveShell, cell: Runner) -> None:
    options = f"--sandbox --now {NOW_TEXT} -p ids={','.join(CAMPAIGN)}"
    ran = cell(f"%%engql {options} --grouping total --long df\n{DAILY}")
    assert ran.error is None, ran.err
    frame = shell.user_ns["df"]
    assert list(frame.columns) == ["metric", "value"]
    assert frame["metric"].tolist() == ["impressions", "favorites"]
    assert str(frame["value"].dtype) == "int64"
    message = refused(cell(f"%%engql {options} --grouping hourly df\n{DAILY}"))
    assert message == "--grouping 'hourly': the groupings are ['daily', 'total']"
    message = refused(cell(f"%%engql {options} --long\n{DAILY}"))
    assert message == "--grouping and --long shape NAME's DataFrame: %%engql df --long"


def test_parameters_come_from_p_then_the_notebook(shell: InteractiveShell, cell: Runner) -> None:
    shell.user_ns["ids"] = [int(CAMPAIGN[1])]
    ran = cell(f"%%engql --sandbox --now {NOW_TEXT} df\n{DAILY}")
    assert ran.error is None, ran.err
    assert set(shell.user_ns["df"]["tweet_id"]) == {int(CAMPAIGN[1])}
    ran = cell(f"%%engql --sandbox --now {NOW_TEXT} -p ids={CAMPAIGN[0]} df\n{DAILY}")
    assert set(shell.user_ns["df"]["tweet_id"]) == {int(CAMPAIGN[0])}


def test_p_and_file_read_ids_files_but_not_stdin(shell: InteractiveShell, cell: Runner) -> None:
    Path("ids.txt").write_text("\n".join(CAMPAIGN) + "\n", encoding="utf-8")
    ran = cell(f"%%engql --sandbox --now {NOW_TEXT} -p ids=@ids.txt df\n{DAILY}")
    assert ran.error is None, ran.err
    assert shell.user_ns["df"]["tweet_id"].nunique() == 2
    stdin = "reading Tweet IDs from standard input is not allowed in a notebook: a kernel has none"
    message = refused(cell(f"%%engql --sandbox -p ids=@-\n{DAILY}"))
    assert message.splitlines()[:2] == [
        "the query has 1 error; nothing was sent",
        f"<cell>:3:16: error[E307]: {stdin}",
    ]
    from_stdin = DAILY.replace(":ids", "FILE '-'")
    message = refused(cell(f"%%engql --sandbox\n{from_stdin}"))
    assert message.splitlines()[1] == f"<cell>:3:16: error[E307]: {stdin}"
    assert refused(cell(f"%%engql --sandbox -p ids\n{DAILY}")) == "-p takes NAME=VALUE, got 'ids'"


def test_the_line_form_runs_a_query_file(
    shell: InteractiveShell, cell: Runner, tmp_path: Path
) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "ids.txt").write_text("\n".join(CAMPAIGN) + "\n", encoding="utf-8")
    query = DAILY.replace(":ids", "FILE 'ids.txt'")  # beside the query, as engql run reads it
    (folder / "daily.engql").write_text(query, encoding="utf-8")
    ran = cell(f"%engql --sandbox --now {NOW_TEXT} queries/daily.engql")
    assert ran.error is None, ran.err
    assert isinstance(ran.value, engql.Result)
    ran = cell(f"%engql --sandbox --now {NOW_TEXT} df queries/daily.engql")
    assert shell.user_ns["df"]["tweet_id"].nunique() == 2
    message = refused(cell("%engql --sandbox queries/nothing.engql"))
    assert message == "cannot read queries/nothing.engql: No such file or directory"
    assert refused(cell("%engql --sandbox")) == (
        "%engql takes [NAME] FILE; %%engql takes the query in the cell"
    )
    assert refused(cell("%engql -")) == "%engql reads no standard input: name a query file"


def test_a_query_with_errors_shows_each_diagnostic_with_its_caret(cell: Runner) -> None:
    message = refused(cell("%%engql --sandbox\nSELECT favorits FROM total WHERE tweet = 20"))
    assert message == (
        "the query has 2 errors; nothing was sent\n"
        "<cell>:1:8: error[E102]: unknown metric 'favorits'\n"
        "1 | SELECT favorits FROM total WHERE tweet = 20\n"
        "           ^^^^^^^^\n"
        "  = hint: did you mean 'favorites'?\n"
        "<cell>:1:22: error[E101]: unknown endpoint 'total'\n"
        "1 | SELECT favorits FROM total WHERE tweet = 20\n"
        "                         ^^^^^\n"
        "  = hint: did you mean 'totals'?"
    )


def test_the_warnings_of_a_query_go_to_stderr(cell: Runner) -> None:
    ran = cell("%%engql --sandbox\nSELECT favorites, favorites FROM totals WHERE tweet = 20")
    assert ran.error is None
    assert ran.err.startswith("<cell>:1:19: warning[W101]: ")


def test_options_are_parsed_like_a_command_line(cell: Runner) -> None:
    assert refused(cell(f"%%engql --sandbox --bogus\n{QUICKSTART}")) == (
        "%engql: unrecognized arguments: --bogus (see %engql?)"
    )
    assert refused(cell(f"%%engql --sandbox --now\n{QUICKSTART}")) == (
        "%engql: argument --now: expected one argument (see %engql?)"
    )
    assert refused(cell(f"%%engql --sandbox -p 'ids=1\n{QUICKSTART}")) == (
        "%engql: No closing quotation"
    )
    assert refused(cell(f"%%engql --sandbox --now soon\n{QUICKSTART}")).startswith(
        "--now: 'soon' is not an ISO date or date-time"
    )
    assert refused(
        cell(f"%%engql --sandbox --store sqlite:///a.db --into sqlite:///b.db\n{QUICKSTART}")
    ) == ("%engql: argument --into: not allowed with argument --store (see %engql?)")
    assert refused(cell(f"%%engql --sandbox --profile work\n{QUICKSTART}")) == (
        "--sandbox runs against the emulator: no --profile or --base-url"
    )
    assert refused(cell(f"%%engql --sandbox df extra\n{QUICKSTART}")) == (
        "%%engql takes one NAME, the DataFrame's, and the query in the cell"
    )
    assert refused(cell(f"%%engql --sandbox 2df\n{QUICKSTART}")) == (
        "NAME is a Python variable's name, not '2df'"
    )


def test_every_option_is_in_the_magics_help() -> None:
    """``%engql?`` shows the magic's docstring, its only help (it has no -h)."""
    shown = EngqlMagics.engql.__doc__ or ""
    options = [o for action in build_parser()._actions for o in action.option_strings]
    assert len(options) == 10
    for option in options:
        assert f" {option} " in shown or f" {option}," in shown, option


def test_missing_credentials_are_one_line(cell: Runner) -> None:
    assert refused(cell(f"%%engql\n{QUICKSTART}")) == (
        "credentials missing for this query: set ENGQL_BEARER_TOKEN "
        "(or use --profile NAME, or --sandbox)"
    )


def test_a_profile_that_does_not_exist_is_one_line(cell: Runner) -> None:
    assert refused(cell(f"%%engql --profile work\n{QUICKSTART}")).startswith(
        "no profile 'work' (chosen by flag): "
    )


def test_the_api_refusing_is_one_line(
    cell: Runner, engql_sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[0]])
    use_credentials(monkeypatch, api)
    options = f"--base-url {api.base_url} --now {NOW_TEXT} -p ids={IDS_30[0]}"
    message = refused(cell(f"%%engql {options}\n{UNOWNED_QUERY}"))
    assert message == f"refused: Tweets not owned by these credentials: {IDS_30[0]}"


def test_missing_tweets_are_listed_under_the_table(
    cell: Runner, engql_sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = IDS_30[: SHOWN_MISSING + 2]
    api = engql_sandbox_factory(now=NOW, unavailable=gone)
    use_credentials(monkeypatch, api)
    ran = cell(f"%%engql --base-url {api.base_url} -p ids={','.join(IDS_30)}\n{TOTALS_QUERY}")
    assert ran.error is None, ran.err
    shown = ran.value._repr_html_()
    listed = [
        f"<li><code>&lt;cell&gt;:4:16: warning[W601]: Tweet {tweet} is missing: "
        "unavailable (deleted or not public)</code></li>"
        for tweet in gone[:SHOWN_MISSING]
    ]
    more = "<li>… 2 more (<code>.missing</code> lists them all)</li>"
    assert "\n".join(["<p>7 missing Tweets:</p><ul>", *listed, more, "</ul>"]) in shown
    assert ran.err == ""  # the warnings are the table's, not stderr's


def test_store_collects_and_answers_from_the_store(shell: InteractiveShell, cell: Runner) -> None:
    options = f"--sandbox --now {NOW_TEXT} -p ids={','.join(CAMPAIGN)} --store sqlite:///c.db"
    first = cell(f"%%engql {options} df\n{DAILY}")
    assert first.error is None, first.err
    again = cell(f"%%engql {options}\n{DAILY}")
    assert again.value.stats.requests < first.value.stats.requests
    assert again.value.statements[0].rows() == first.value.statements[0].rows()
    with sqlite3.connect("c.db") as db:
        assert db.execute("SELECT command FROM runs").fetchall() == [("collect",), ("collect",)]
    assert shell.user_ns["df"]["impressions"].sum() > 0
    message = refused(cell(f"%%engql --sandbox --store nosuch://x\n{QUICKSTART}"))
    assert message.startswith("--store: ")


def test_into_stores_the_answer_too(cell: Runner) -> None:
    ran = cell(f"%%engql --sandbox --into sqlite:///r.db\n{QUICKSTART}")
    assert ran.error is None, ran.err
    with sqlite3.connect("r.db") as db:
        assert db.execute("SELECT command, outcome FROM runs").fetchall() == [("run", "ok")]
    assert refused(cell(f"%%engql --sandbox --into nosuch://x\n{QUICKSTART}")).startswith(
        "--into: "
    )


def test_unloading_stops_the_sandbox(shell: InteractiveShell, cell: Runner) -> None:
    cell(f"%%engql --sandbox\n{QUICKSTART}")
    sandbox = magics(shell).sandbox
    assert sandbox is not None
    shell.run_line_magic("unload_ext", "engql")
    assert magics(shell).sandbox is None
    host, port = sandbox.base_url.removeprefix("http://").rsplit(":", 1)
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=5)
    shell.run_line_magic("load_ext", "engql")
    assert cell(f"%%engql --sandbox\n{QUICKSTART}").error is None
