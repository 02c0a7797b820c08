"""The shell without a terminal: what each command and statement prints, and the live
status line. The terminal itself is driven in tests/test_repl_terminal.py."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.history import FileHistory, InMemoryHistory

from engql import facts
from engql.config import write_profile
from engql.exits import Exit
from engql.repl.commands import COMMANDS
from engql.repl.live_check import LiveCheck, status_line
from engql.repl.session import history, history_path, ready_to_run, run_script
from engql.repl.shell import NextInput, Shell

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


def test_ctrl_c_cancels_the_query_and_says_in_one_line_what_has_no_answer() -> None:
    """SIGINT while a slow query runs: the shell shows what came back, says in one line
    how many Tweets have no answer (not a warning for each), lists them on \\missing and
    goes on."""
    from engql.sandbox.server import Sandbox

    screen = Screen()
    first = 1460323737035677698
    screen.shell._sandbox = Sandbox(latency_ms=400, unavailable=[first]).start()
    ids = ", ".join(str(first + (i << 22)) for i in range(2500))  # 10 requests
    interrupt = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        out, err = screen.run(f"SELECT favorites FROM totals WHERE tweet IN ({ids});")
        listed, _ = screen.run("\\missing")
        assert screen.shell.handle("\\params") is True
    finally:
        interrupt.cancel()
        screen.shell.close()
    cancelling, cancelled = err.splitlines()
    assert "cancelling" in cancelling
    found = re.fullmatch(
        r"engql: cancelled: ([\d,]+) Tweets have no answer and 1 more is missing; "
        r"\\missing lists them",
        cancelled,
    )
    assert found is not None, err
    unanswered = int(found[1].replace(",", ""))
    answered = len(out.splitlines()) - 2
    assert 0 < answered < 2500
    assert answered + unanswered + 1 == 2500
    rows = listed.splitlines()[2:]
    assert rows[0].split(None, 1) == [str(first), "unavailable (deleted or not public)"]
    assert len(rows) == unanswered + 1
    assert {row.split(None, 1)[1] for row in rows[1:]} == {"cancelled before it was answered"}


# psql's habits ------------------------------------------------------------------------


def test_q_leaves_and_question_mark_lists_the_commands_as_help_does(screen: Screen) -> None:
    assert screen.shell.handle("\\q") is False
    assert screen.run("\\?") == screen.run("\\help")
    listed, _ = screen.run("\\?")
    assert listed.startswith("\\help, \\?  ") and "\n\\quit, \\q " in listed


def records(text: str) -> list[dict[str, str]]:
    """psql's expanded records, each as column → value."""
    found: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("-[ RECORD "):
            assert line.startswith(f"-[ RECORD {len(found) + 1} ]")
            found.append({})
        else:
            name, value = line.split(" | ")
            found[-1][name.rstrip()] = value
    return found


def test_x_shows_each_row_as_a_psql_record(screen: Screen) -> None:
    table, _ = screen.run(QUERY)
    try:
        said, _ = screen.run("\\x")
        assert said == "expanded display is on\n"
        shown, _ = screen.run(QUERY)
    finally:
        screen.shell.expanded = "off"
    lines = shown.splitlines()
    assert len(lines) == 4 * len(QUICKSTART_IDS)
    assert {len(line) for line in lines if line.startswith("-[")} == {max(map(len, lines))}
    rows = [
        dict(zip(["tweet_id", "favorites", "replies"], line.split(), strict=True))
        for line in table.splitlines()[2:]
    ]
    assert records(shown) == rows
    assert lines[1].startswith("tweet_id  | ") and lines[2].startswith("favorites | ")


def test_x_puts_the_plus_over_the_bar_when_the_names_leave_room(screen: Screen) -> None:
    screen.run("\\x on")
    try:
        shown, _ = screen.run(QUERY.replace("favorites, replies", "retweets, quote_tweets"))
    finally:
        screen.run("\\x off")
    header = shown.splitlines()[0]
    bar = shown.splitlines()[1].index("|")
    assert header.startswith("-[ RECORD 1 ]") and header[bar] == "+"
    assert set(header[len("-[ RECORD 1 ]") :]) == {"-", "+"}


def test_x_toggles_auto_follows_the_width_and_other_formats_stay(
    screen: Screen, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert screen.run("\\x")[0] == "expanded display is on\n"
    assert screen.run("\\x")[0] == "expanded display is off\n"
    assert "tables wider than the screen" in screen.run("\\x auto")[0]
    try:
        monkeypatch.delenv("COLUMNS", raising=False)
        wide = QUERY.replace("replies", "replies, retweets, quote_tweets, video_views")
        table = screen.run(wide)[0]
        assert table.startswith("tweet_id ") and max(map(len, table.splitlines())) > 80
        monkeypatch.setenv("COLUMNS", "200")
        assert screen.run(QUERY)[0].startswith("tweet_id ")
        monkeypatch.setenv("COLUMNS", "30")
        assert screen.run(QUERY)[0].startswith("-[ RECORD 1 ]")
        screen.run("\\format json")
        assert screen.run(QUERY)[0].lstrip().startswith("{")
    finally:
        screen.shell.expanded = "off"
    _, err = screen.run("\\x sideways")
    assert err == "engql: usage: \\x [on|off|auto]\n" and screen.shell.failed == Exit.USAGE


def test_x_heads_the_records_of_each_statement(screen: Screen) -> None:
    screen.run("\\x on")
    try:
        shown, _ = screen.run(QUERY + "\n" + QUERY.replace("favorites, replies", "retweets"))
    finally:
        screen.run("\\x off")
    first, second = shown.split("\n\n")
    assert first.startswith("statement 1, grouping ") and second.startswith("statement 2, ")
    assert len(records(second.split("\n", 1)[1])) == len(QUICKSTART_IDS)


def test_format_jsonl_writes_one_object_per_row(screen: Screen) -> None:
    screen.run("\\format jsonl")
    out, _ = screen.run(QUERY)
    rows = [json.loads(line) for line in out.splitlines()]
    assert {row["tweet_id"] for row in rows} == set(QUICKSTART_IDS)
    assert all(set(row) == {"tweet_id", "favorites", "replies"} for row in rows)


# Where queries go ---------------------------------------------------------------------


@pytest.fixture
def profiled(tmp_path: Path) -> Iterator[Screen]:
    """A shell whose profile file has 'default' and 'work'."""
    config = tmp_path / "config"
    for name in ("default", "work"):
        write_profile(name, {"bearer_token": f"token-of-{name}"}, str(config))
    screen = Screen()
    screen.shell.environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(config)}
    yield screen
    screen.shell.close()


def test_an_unknown_profile_is_refused_at_once_naming_the_profiles(profiled: Screen) -> None:
    for sandbox in ("off", "on"):
        profiled.run(f"\\sandbox {sandbox}")
        _, err = profiled.run("\\profile nope")
        assert err == (
            "engql: no profile 'nope'; the profiles in ~/config/engql/credentials.toml "
            "are default, work\n"
        )
        assert profiled.shell.profile is None and profiled.shell.failed == Exit.CONFIG


def test_profile_and_sandbox_say_where_queries_go(profiled: Screen) -> None:
    api = facts.DEFAULT_BASE_URL
    assert profiled.run("\\profile work")[1] == f"queries go to {api} (profile work)\n"
    _, err = profiled.run("\\sandbox on")
    sandbox = profiled.shell._sandbox.base_url
    assert err == f"queries go to the sandbox at {sandbox}, a local emulator of the API\n"
    assert profiled.run("\\profile default")[1] == (
        "profile default is used once the sandbox is off (\\sandbox off)\n"
    )
    described, _ = profiled.run("\\describe totals")
    assert f"  in the sandbox: POST {sandbox}{facts.ENDPOINTS['totals'].path}\n" in described
    assert profiled.run("\\sandbox off")[1] == (
        f"sandbox stopped; queries go to {api} (profile default)\n"
    )
    assert profiled.run("\\sandbox off")[1] == (
        f"the sandbox is not on; queries go to {api} (profile default)\n"
    )
    assert "in the sandbox" not in profiled.run("\\describe totals")[0]


def test_a_profile_flag_that_does_not_exist_ends_the_shell_at_once(tmp_path: Path) -> None:
    write_profile("work", {"bearer_token": "a-token"}, str(tmp_path / "config"))
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "engql", "repl", "--profile", "nope"],
        input=QUERY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (Exit.CONFIG, "")
    assert done.stderr == (
        "engql: no profile 'nope'; the profiles in ~/config/engql/credentials.toml are work\n"
    )


def test_the_destination_says_when_no_credentials_are_set() -> None:
    bare = Screen()
    where = bare.shell.destination()
    assert where is not None and "no credentials are set" in where and "engql configure" in where
    bare.shell.environ["ENGQL_BEARER_TOKEN"] = "a-token"
    assert bare.shell.destination() == (
        f"queries go to {facts.DEFAULT_BASE_URL} (credentials from the environment)"
    )


def test_sandbox_off_keeps_the_store(tmp_path: Path) -> None:
    shelled = Screen(sandbox=True)
    try:
        shelled.run(f"\\store sqlite:///{tmp_path}/kept.db")
        shelled.run("\\sandbox off")
        assert shelled.shell.store is not None
    finally:
        shelled.shell.close()


# Missing Tweets -----------------------------------------------------------------------


def test_missing_lists_the_last_querys_missing_tweets(screen: Screen) -> None:
    screen.shell.last_result = None
    assert screen.run("\\missing")[0] == "no query has run yet\n"
    screen.run(QUERY)
    assert screen.run("\\missing")[0] == "the last query has an answer for every Tweet\n"
    old = [str(int(QUICKSTART_IDS[0]) + (i << 22)) for i in range(25)]
    _, err = screen.run(f"SELECT impressions FROM totals WHERE tweet IN ({', '.join(old)});")
    assert err.count("warning[W601]") == 20
    assert err.endswith("engql: 5 more Tweets are missing; \\missing lists them\n")
    listed, _ = screen.run("\\missing")
    rows = listed.splitlines()
    assert rows[0].split() == ["tweet_id", "reason"]
    assert [row.split()[0] for row in rows[2:]] == old
    assert all(
        row.endswith("no impressions or engagements: older than 90 days") for row in rows[2:]
    )


# Scripts that stop at the first error -------------------------------------------------

BAD = "SELECT favourites FROM totals WHERE tweet = 20;\n"
GOOD = f"SELECT favorites FROM totals WHERE tweet = {QUICKSTART_IDS[0]};\n"


def script(screen: Screen, *lines: str) -> int:
    screen.out.seek(0), screen.out.truncate()
    screen.err.seek(0), screen.err.truncate()
    return run_script(screen.shell, list(lines))


def test_a_script_goes_on_after_an_error_unless_on_error_stop(screen: Screen) -> None:
    assert script(screen, BAD, GOOD) == 0
    assert QUICKSTART_IDS[0] in screen.out.getvalue()
    screen.shell.on_error_stop = True
    try:
        assert script(screen, BAD, GOOD) == Exit.QUERY
        assert screen.out.getvalue() == "" and "error[E102]" in screen.err.getvalue()
    finally:
        screen.shell.on_error_stop = False


def test_set_on_error_stop_in_the_script_and_each_failure_exits_with_its_code(
    screen: Screen,
) -> None:
    stop = "\\set ON_ERROR_STOP on\n"
    try:
        assert script(screen, stop, "\\frobnicate\n", GOOD) == Exit.USAGE
        assert script(screen, stop, "\\profile nope\n", GOOD) == Exit.CONFIG
        old = QUERY.replace("favorites, replies", "impressions") + "\n"
        assert script(screen, stop, old, GOOD) == Exit.PARTIAL
        assert (
            screen.out.getvalue().startswith("tweet_id")
            and QUICKSTART_IDS[0] in screen.out.getvalue()
        )
        assert script(screen, stop, GOOD, "\\unset ON_ERROR_STOP\n", BAD, GOOD) == 0
        assert screen.out.getvalue().count(QUICKSTART_IDS[0]) == 2
        assert script(screen, "\\set ON_ERROR_STOP maybe\n") == 0
        assert "usage: \\set ON_ERROR_STOP on|off" in screen.err.getvalue()
        assert "ON_ERROR_STOP" not in screen.run("\\params")[0]
    finally:
        screen.shell.on_error_stop = False


def test_on_error_stop_without_credentials_exits_3() -> None:
    plain = Screen(on_error_stop=True)
    assert script(plain, QUERY + "\n", "\\params\n") == Exit.CONFIG
    assert plain.out.getvalue() == ""


# \e --------------------------------------------------------------------------------


def editor(tmp_path: Path, name: str, body: str) -> str:
    """A small real editor: a shell script run on the file to edit."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def sed_editor(tmp_path: Path, expression: str) -> str:
    return editor(
        tmp_path, "sed-editor", f'sed -e "{expression}" "$1" > "$1.new" && mv "$1.new" "$1"'
    )


@pytest.fixture
def editing(screen: Screen) -> Iterator[Screen]:
    screen.shell.environ["PATH"] = os.environ.get("PATH", "")
    yield screen
    for name in ("VISUAL", "EDITOR", "PATH"):
        screen.shell.environ.pop(name, None)
    screen.shell.next_input = None


def test_e_edits_the_statement_being_typed_and_it_runs_once_it_ends(
    editing: Screen, tmp_path: Path
) -> None:
    editing.shell.environ["EDITOR"] = sed_editor(
        tmp_path, "s/favourites/favorites/; s/= 20$/= 20;/"
    )
    assert editing.shell.handle("SELECT favourites\nFROM totals WHERE tweet = 20\n\\e") is True
    assert editing.shell.next_input == NextInput(
        "SELECT favorites\nFROM totals WHERE tweet = 20;", run=True
    )


def test_e_leaves_an_unfinished_statement_at_the_prompt(editing: Screen, tmp_path: Path) -> None:
    editing.shell.environ["VISUAL"] = sed_editor(tmp_path, "s/;//")
    editing.shell.environ["EDITOR"] = "false"
    editing.run(GOOD)
    editing.run("\\e")
    assert editing.shell.next_input == NextInput(GOOD.strip().rstrip(";"), run=False)


def test_e_given_back_the_last_statement_unchanged_runs_nothing(
    editing: Screen, tmp_path: Path
) -> None:
    editing.shell.environ["EDITOR"] = editor(tmp_path, "keep", "exit 0")
    editing.run(GOOD)
    _, err = editing.run("\\e")
    assert err == "unchanged; nothing was run\n" and editing.shell.next_input is None


def test_e_says_when_the_editor_fails(editing: Screen, tmp_path: Path) -> None:
    failing = editor(tmp_path, "failing", "exit 4")
    editing.shell.environ["EDITOR"] = failing
    _, err = editing.run("\\e")
    assert err == f"engql: the editor '{failing}' exited with 4; nothing was run\n"
    assert editing.shell.failed == Exit.USAGE and editing.shell.next_input is None
    editing.shell.environ["EDITOR"] = str(tmp_path / "no-such-editor")
    _, err = editing.run("\\e")
    assert err.startswith("engql: cannot run the editor ") and "set VISUAL or EDITOR" in err


def test_e_in_a_script_runs_the_edited_statement(editing: Screen, tmp_path: Path) -> None:
    editing.shell.environ["EDITOR"] = sed_editor(tmp_path, "s/favourites/favorites/")
    assert (
        script(editing, "SELECT favourites FROM totals\n", f"WHERE tweet = {QUICKSTART_IDS[0]};\n")
        == 0
    )
    assert script(editing, "\\e\n") == 0
    assert editing.out.getvalue().splitlines()[0].split() == ["tweet_id", "favorites"]


# The history file ----------------------------------------------------------------------


def test_the_history_file_is_made_readable_by_the_user_only(tmp_path: Path) -> None:
    fresh = tmp_path / "state" / "engql" / "history"
    assert isinstance(history(str(fresh)), FileHistory)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    older = tmp_path / "older"
    older.write_text("\n# 2024-01-01 00:00:00\n+\\params\n")
    older.chmod(0o644)
    kept = history(str(older))
    assert stat.S_IMODE(older.stat().st_mode) == 0o600
    assert list(kept.load_history_strings()) == ["\\params"]


def test_a_history_file_that_cannot_be_made_is_kept_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    kept = history(str(tmp_path / "a-file" / "history"))
    assert isinstance(kept, InMemoryHistory)
    assert capsys.readouterr().err.startswith("engql: history is not kept: cannot write ")
