"""The shell without a terminal: what each command and statement prints, and the live
status line. The terminal itself is driven in tests/test_repl_terminal.py."""

from __future__ import annotations

import io
import os
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from engql import facts
from engql.repl.commands import COMMANDS
from engql.repl.live_check import LiveCheck, status_line
from engql.repl.session import history_path, ready_to_run, run_script
from engql.repl.shell import Shell

QUICKSTART_IDS = ("1260294888811347969", "850006245121695744", "1067094924124872705")
QUERY = f"SELECT favorites, replies\nFROM totals\nWHERE tweet IN ({', '.join(QUICKSTART_IDS)});"


class Screen:
    """A shell writing to two StringIO streams."""

    def __init__(self, **options: Any) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.shell = Shell(self.out, self.err, environ={"HOME": "/nonexistent"}, **options)

    def run(self, text: str) -> tuple[str, str]:
        """What one input printed to stdout and stderr."""
        self.out.seek(0), self.out.truncate()
        self.err.seek(0), self.err.truncate()
        self.shell.handle(text)
        return self.out.getvalue(), self.err.getvalue()


@pytest.fixture(scope="module")
def sandboxed() -> Iterator[Screen]:
    screen = Screen(sandbox=True)
    yield screen
    screen.shell.close()


@pytest.fixture
def screen(sandboxed: Screen) -> Screen:
    sandboxed.shell.params.clear()
    sandboxed.shell.param_texts.clear()
    sandboxed.shell.format = "table"
    sandboxed.shell.output_path = None
    return sandboxed


def test_every_declared_command_has_a_handler() -> None:
    plain = Screen()
    for command in COMMANDS:
        assert command.name in plain.shell._handlers


def test_a_statement_prints_a_table_of_every_tweet(screen: Screen) -> None:
    out, err = screen.run(QUERY)
    lines = out.splitlines()
    assert lines[0].split() == ["tweet_id", "favorites", "replies"]
    assert {line.split()[0] for line in lines[2:]} == set(QUICKSTART_IDS)
    assert err == ""


def test_formats_switch_to_json_and_csv(screen: Screen) -> None:
    screen.run("\\format csv")
    out, _ = screen.run(QUERY)
    assert out.splitlines()[0] == "tweet_id,favorites,replies"
    screen.run("\\format json")
    out, _ = screen.run(QUERY)
    assert out.lstrip().startswith("{")
    _, err = screen.run("\\format xml")
    assert "unknown format 'xml'" in err and screen.shell.format == "json"


def test_a_bad_statement_shows_the_caret_and_the_shell_goes_on(screen: Screen) -> None:
    out, err = screen.run("SELECT favourites FROM totals WHERE tweet = 20;")
    assert out == ""
    assert "<repl>:1:8: error[E102]: unknown metric 'favourites'" in err and "favorites" in err
    assert "       ^^^^^^^^^^" in err
    assert screen.shell.handle("\\params") is True


def test_parameters_are_set_listed_used_and_unset(screen: Screen, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(QUICKSTART_IDS) + "\n")
    screen.run(f"\\set ids @{ids}")
    out, _ = screen.run("\\params")
    assert out == f":ids = @{ids}\n"
    out, _ = screen.run("SELECT favorites FROM totals WHERE tweet IN :ids;")
    assert len(out.splitlines()) == 2 + len(QUICKSTART_IDS)
    screen.run("\\unset ids")
    _, err = screen.run("SELECT favorites FROM totals WHERE tweet IN :ids;")
    assert "error[E306]: parameter :ids is not bound" in err


def test_metrics_of_an_endpoint_are_exactly_its_metrics() -> None:
    out, _ = Screen().run("\\metrics totals")
    names = [line.split()[0] for line in out.splitlines()[2:]]
    assert names == list(facts.ENDPOINTS["totals"].metrics)


def test_metrics_without_an_endpoint_list_every_metric_with_auth() -> None:
    out, _ = Screen().run("\\metrics")
    rows = out.splitlines()[2:]
    assert [row.split()[0] for row in rows] == list(facts.METRICS)
    favorites = next(row for row in rows if row.startswith("favorites "))
    assert "totals, 28hr, historical" in favorites and "bearer on totals" in favorites


def test_describe_and_unknown_endpoints() -> None:
    out, _ = Screen().run("\\describe historical")
    assert "up to 25 Tweet IDs" in out and "engagement.hour" in out
    _, err = Screen().run("\\describe weekly")
    assert "unknown endpoint 'weekly'" in err


def test_explain_and_compile_need_no_credentials() -> None:
    plain = Screen()
    out, _ = plain.run(f"\\explain {QUERY}")
    assert "/totals" in out and "1 request" in out
    out, _ = plain.run(f"\\compile {QUERY}")
    assert '"tweet_ids": [' in out and '"endpoint": "totals"' in out


def test_usage_errors_name_the_usage() -> None:
    plain = Screen()
    assert plain.run("\\describe")[1] == "engql: usage: \\describe ENDPOINT\n"
    assert "takes no argument" in plain.run("\\params now")[1]
    assert "unknown command \\frobnicate" in plain.run("\\frobnicate")[1]


def test_quit_leaves(screen: Screen) -> None:
    assert screen.shell.handle("\\quit") is False
    assert screen.shell.handle("\\QUIT") is False


def test_output_goes_to_a_file_then_back(screen: Screen, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    screen.run(f"\\o {target}")
    out, _ = screen.run(QUERY)
    assert out == ""
    assert QUICKSTART_IDS[0] in target.read_text()
    screen.run("\\o")
    out, _ = screen.run(QUERY)
    assert QUICKSTART_IDS[0] in out


def test_include_runs_a_file_with_its_own_relative_paths(screen: Screen, tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(QUICKSTART_IDS[0] + "\n")
    query = tmp_path / "q.engql"
    query.write_text("SELECT favorites\nFROM totals WHERE tweet IN FILE 'ids.txt';\n")
    out, _ = screen.run(f"\\i {query}")
    assert QUICKSTART_IDS[0] in out
    _, err = screen.run(f"\\i {tmp_path / 'none.engql'}")
    assert "cannot read" in err


def test_timing_prints_the_time_of_each_statement(screen: Screen) -> None:
    screen.run("\\timing")
    _, err = screen.run(QUERY)
    screen.run("\\timing")
    assert err.startswith("Time: ") and err.rstrip().endswith(" s")


def test_missing_credentials_are_named_before_anything_is_sent() -> None:
    plain = Screen()
    _, err = plain.run(QUERY)
    assert "credentials missing" in err and "ENGQL_BEARER_TOKEN" in err


def test_missing_tweets_are_reported(screen: Screen) -> None:
    # /totals has impressions only for Tweets younger than 90 days; these are years old.
    out, err = screen.run(QUERY.replace("favorites, replies", "impressions"))
    for tweet in QUICKSTART_IDS:
        assert f"warning[W601]: Tweet {tweet} is missing: no impressions" in err
    assert out.splitlines()[0].split() == ["tweet_id", "impressions"]


def test_script_mode_runs_commands_and_multi_line_statements(screen: Screen) -> None:
    lines = [
        "\\format csv\n",
        "SELECT favorites\n",
        f"FROM totals WHERE tweet = {QUICKSTART_IDS[0]};\n",
    ]
    screen.out.seek(0), screen.out.truncate()
    assert run_script(screen.shell, lines) == 0
    assert screen.out.getvalue().splitlines()[0] == "tweet_id,favorites"


def test_enter_runs_complete_statements_and_commands_only() -> None:
    assert ready_to_run("SELECT * FROM totals WHERE tweet = 1;")
    assert ready_to_run("\\metrics")
    assert ready_to_run("   ")
    assert not ready_to_run("SELECT * FROM totals")
    assert not ready_to_run("SELECT * FROM totals WHERE tweet = ';'")
    assert not ready_to_run("SELECT * FROM totals -- ;")


def test_history_lives_in_the_xdg_state_folder() -> None:
    assert history_path({"XDG_STATE_HOME": "/s"}) == "/s/engql/history"
    assert history_path({"HOME": "/h"}) == "/h/.local/state/engql/history"


def test_status_line_shows_the_first_problem_of_the_statement_under_the_cursor() -> None:
    text = "SELECT favorites FROM totals WHERE tweet = 1;\nSELECT favs FROM totals WHERE tweet = 1;"
    assert status_line(text, 5, {}) == "no problems"
    line = status_line(text, len(text) - 3, {})
    assert line.startswith("2:8 error[E102]") and "favs" in line
    assert status_line("\\metrics", 3, {}).startswith("\\metrics [ENDPOINT]:")
    assert status_line("SELECT favorites FROM totals WHERE tweet IN :ids", 10, {"ids": "1"}) == (
        "no problems"
    )


def test_live_check_keeps_only_the_latest_input() -> None:
    queued: list[Any] = []

    def submit(work: Any) -> Future[str]:
        future: Future[str] = Future()
        queued.append((work, future))
        return future

    ready: list[str] = []
    live = LiveCheck(dict, submit, lambda: ready.append(live.toolbar()))
    live.request("SELECT favs", 11)
    live.request("SELECT favorites FROM totals WHERE tweet = 1;", 5)
    for work, future in queued:
        future.set_result(work())
    assert ready == ["no problems"]
    assert live.toolbar() == "no problems"


def test_ctrl_c_cancels_the_query_and_reports_what_has_no_answer() -> None:
    """SIGINT while a slow query runs: the shell shows what came back, lists the rest as
    missing and goes on."""
    from engql.sandbox.server import Sandbox

    screen = Screen()
    screen.shell._sandbox = Sandbox(latency_ms=400).start()
    first = 1460323737035677698
    ids = ", ".join(str(first + (i << 22)) for i in range(2500))  # 10 requests
    interrupt = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        out, err = screen.run(f"SELECT favorites FROM totals WHERE tweet IN ({ids});")
        assert screen.shell.handle("\\params") is True
    finally:
        interrupt.cancel()
        screen.shell.close()
    assert "cancelling" in err
    assert "is missing: cancelled before it was answered" in err
    cancelled = re.search(r"cancelled: ([\d,]+) Tweets have no answer", err)
    assert cancelled is not None, err
    answered = len(out.splitlines()) - 2
    assert 0 < answered < 2500
    assert answered + int(cancelled[1].replace(",", "")) == 2500
