"""The engql command: output formats, exit codes, stdin, parameters, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engql.cli import main

NOW = ["--now", "2016-03-01T00:00:00Z"]
GOOD = (
    "SELECT favorites, retweets FROM totals\n"
    "WHERE tweet IN (697506383516729344, 697506383516729345)\n"
    'GROUP BY tweet.id, engagement.type AS "per tweet";\n'
)
BAD = "SELECT favorits FROM totals\nWHERE tweet IN (1);\n"


@pytest.fixture
def query(tmp_path: Path) -> Path:
    path = tmp_path / "q.engql"
    path.write_text(GOOD)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_clean_file_exits_0_silently(capsys: pytest.CaptureFixture[str], query: Path) -> None:
    assert run(capsys, "check", str(query), *NOW) == (0, "", "")


def test_check_prints_location_caret_and_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.engql"
    path.write_text(BAD)
    code, out, _ = run(capsys, "check", str(path), *NOW)
    assert code == 1
    assert out.splitlines() == [
        f"{path}:1:8: error[E102]: unknown metric 'favorits'",
        "1 | SELECT favorits FROM totals",
        "           ^^^^^^^^",
        "  = hint: did you mean 'favorites'?",
    ]


def test_check_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "w.engql"
    path.write_text("SELECT favorites, favorites FROM totals WHERE tweet = 1;")
    code, out, _ = run(capsys, "check", str(path), *NOW)
    assert code == 0
    assert "warning[W101]" in out


def test_check_several_files_reports_each(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, query: Path
) -> None:
    bad = tmp_path / "bad.engql"
    bad.write_text(BAD)
    code, out, _ = run(capsys, "check", str(query), str(bad), *NOW)
    assert code == 1
    assert out.startswith(f"{bad}:1:8:")


def test_check_json_error_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.engql"
    path.write_text(BAD)
    code, out, _ = run(capsys, "check", str(path), "--error-format", "json", *NOW)
    assert code == 1
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record == {
        "code": "E102",
        "severity": "error",
        "message": "unknown metric 'favorits'",
        "file": str(path),
        "line": 1,
        "column": 8,
        "end": {"line": 1, "column": 16},
        "hint": "did you mean 'favorites'?",
    }


def test_compile_prints_one_json_line_per_request(
    capsys: pytest.CaptureFixture[str], query: Path
) -> None:
    code, out, err = run(capsys, "compile", str(query), *NOW)
    assert (code, err) == (0, "")
    (request,) = [json.loads(line) for line in out.splitlines()]
    assert request == {
        "endpoint": "totals",
        "url": "https://data-api.twitter.com/insights/engagement/totals",
        "auth": "app",
        "batch": 0,
        "window": None,
        "body": {
            "tweet_ids": ["697506383516729344", "697506383516729345"],
            "engagement_types": ["favorites", "retweets"],
            "groupings": {"per tweet": {"group_by": ["tweet.id", "engagement.type"]}},
        },
    }


def test_compile_pretty_base_url_and_statement_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "two.engql"
    path.write_text(GOOD + "SELECT impressions FROM 28hr WHERE tweet = 1;")
    code, out, _ = run(
        capsys, "compile", str(path), "--pretty", "--base-url", "http://127.0.0.1:9/", *NOW
    )
    assert code == 0
    decoder, at, requests = json.JSONDecoder(), 0, []
    while at < len(out.strip()):
        request, at = decoder.raw_decode(out, at)
        requests.append(request)
        while at < len(out) and out[at].isspace():
            at += 1
    assert [(r["statement"], r["endpoint"], r["auth"]) for r in requests] == [
        (0, "totals", "app"),
        (1, "28hr", "user"),
    ]
    assert requests[1]["url"] == "http://127.0.0.1:9/insights/engagement/28hr"
    assert "\n  " in out


def test_compile_errors_go_to_stderr_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.engql"
    path.write_text(BAD)
    code, out, err = run(capsys, "compile", str(path), *NOW)
    assert (code, out) == (1, "")
    assert "error[E102]" in err


def test_compile_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD))
    code, out, _ = run(capsys, "compile", "-", *NOW)
    assert code == 0
    assert json.loads(out)["endpoint"] == "totals"


def test_params_from_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("# mine\n5\n\n6\n")
    path = tmp_path / "p.engql"
    path.write_text(
        "SELECT favorites FROM totals WHERE tweet IN :a;\n"
        "SELECT impressions FROM historical WHERE tweet IN :b "
        "AND time BETWEEN :start AND now;\n"
    )
    code, out, err = run(
        capsys,
        "compile",
        str(path),
        "-p",
        "a=1,2,3",
        "-p",
        f"b=@{tmp_path / 'ids.txt'}",
        "-p",
        "start=2016-02-20",
        *NOW,
    )
    assert code == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["body"]["tweet_ids"] == ["1", "2", "3"]
    assert second["body"]["tweet_ids"] == ["5", "6"]
    assert (second["body"]["start"], second["body"]["end"]) == (
        "2016-02-20T00:00:00Z",
        "2016-03-01T00:00:00Z",
    )


def test_file_paths_are_relative_to_the_query_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "ids.txt").write_text("7\n8\n")
    (folder / "q.engql").write_text("SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "compile", "queries/q.engql", *NOW)
    assert code == 0
    assert json.loads(out)["body"]["tweet_ids"] == ["7", "8"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nonsense"],
        ["check"],
        ["compile", "a.engql", "b.engql"],
        ["compile", "missing.engql"],
        ["compile", "-", "-p", "no-equals-sign"],
        ["explain", "-", "--rate-limit", "0"],
        ["check", "-", "--now", "yesterday-ish"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("engql: ")
    assert "Traceback" not in out + err


def test_explain_counts_batches_windows_and_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = ", ".join(str(697506383516729344 + i) for i in range(30))
    path = tmp_path / "h.engql"
    path.write_text(
        f"SELECT impressions FROM historical WHERE tweet IN ({ids}) "
        "AND time BETWEEN '2015-12-01' AND '2016-02-20'"
    )
    code, out, _ = run(capsys, "explain", str(path), "--rate-limit", "2", *NOW)
    assert code == 0
    assert "/historical; needs OAuth 1.0a user context" in out
    assert "30 Tweet IDs → 2 batches of up to 25 × 3 windows = 6 requests" in out
    assert "at 2 requests/minute: at least 2 min" in out


def test_fmt_check_and_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "messy.engql"
    path.write_text("select favorites from totals where tweet in (1,2) -- keep\n")
    code, _, err = run(capsys, "fmt", "--check", str(path))
    assert code == 1 and "would reformat" in err
    code, out, _ = run(capsys, "fmt", str(path))
    assert code == 0 and out.startswith("SELECT favorites\nFROM totals")
    assert path.read_text().startswith("select")
    assert run(capsys, "fmt", "--write", str(path))[0] == 0
    assert path.read_text() == out
    assert run(capsys, "fmt", "--check", str(path))[0] == 0


def test_fmt_reports_syntax_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.engql"
    path.write_text("SELECT FROM totals")
    code, out, err = run(capsys, "fmt", str(path))
    assert (code, out) == (1, "")
    assert "error[E001]" in err


def test_internal_errors_say_bug_without_traceback(
    capsys: pytest.CaptureFixture[str], query: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("engql.cli.analyse", broken)
    code, _, err = run(capsys, "check", str(query))
    assert code == 70
    assert "internal error" in err and "this is a bug" in err and "Traceback" not in err


def test_console_script_runs_in_a_fresh_process(query: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engql", "check", str(query), *NOW],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


NOT_UTF8 = b"SELECT favorites FROM totals WHERE tweet = 1; -- caf\xe9\n"


@pytest.mark.parametrize(
    "command", [["check", *NOW], ["compile", *NOW], ["fmt"], ["run", "--dry-run", *NOW]]
)
@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_text_that_is_not_utf8_is_a_usage_error_from_a_file_and_from_stdin(
    tmp_path: Path, command: list[str], from_stdin: bool
) -> None:
    path = tmp_path / "latin1.engql"
    path.write_bytes(NOT_UTF8)
    name = "<stdin>" if from_stdin else str(path)
    result = subprocess.run(
        [sys.executable, "-m", "engql", *command, "-" if from_stdin else str(path)],
        input=NOT_UTF8,
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == (
        f"engql: cannot read {name}: not UTF-8 text (see 'engql {command[0]} --help')\n"
    )


@pytest.mark.parametrize("command", [["check", *NOW], ["fmt"], ["run", "--dry-run", *NOW]])
@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_an_endless_query_file_is_refused_within_bounded_memory(
    command: list[str], from_stdin: bool
) -> None:
    """``/dev/zero`` as the query (or piped in) is cut at the query limit, not read on
    until memory runs out; the child's address space is capped at 1 GiB to show it."""
    import resource

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    with open("/dev/zero", "rb") as zeros:
        result = subprocess.run(
            [sys.executable, "-m", "engql", *command, "-" if from_stdin else "/dev/zero"],
            stdin=zeros,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=cap_memory,
            check=False,
        )
    name = "<stdin>" if from_stdin else "/dev/zero"
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"engql: cannot read {name}: it is longer than the 67,108,864 characters "
        f"a query may hold (see 'engql {command[0]} --help')\n"
    )


# A file without statements (W002)

NO_STATEMENTS = {
    "empty": "",
    "blank": "\n  \n\t\n",
    "comments": "-- to do: the campaign's Tweets\n/* and its dates */\n",
    "semicolons": ";\n-- nothing\n;\n",
}


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["compile"],
        ["explain"],
        ["debug", "ast"],
        ["debug", "query"],
        ["debug", "plan"],
        ["run", "--sandbox"],
        ["run", "--dry-run"],
        ["collect", "--sandbox", "--store", "sqlite:///c.db"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("text", list(NO_STATEMENTS.values()), ids=list(NO_STATEMENTS))
def test_a_file_without_statements_warns_and_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    text: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("draft.engql").write_text(text)
    code, out, err = run(capsys, *command[:2], "draft.engql", *command[2:], *NOW)
    assert code == 1
    printed = out if command[0] == "check" else err
    assert printed.splitlines()[0] == "draft.engql:1:1: warning[W002]: the file has no statements"
    assert (err if command[0] == "check" else out) == ""
    assert not Path("c.db").exists()


def test_a_file_without_statements_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("-- nothing yet\n"))
    code, out, _ = run(capsys, "check", "-", "--error-format", "json")
    assert code == 1
    assert json.loads(out) == {
        "code": "W002",
        "severity": "warning",
        "message": "the file has no statements",
        "file": "<stdin>",
        "line": 1,
        "column": 1,
        "end": {"line": 1, "column": 1},
        "hint": "write one, such as SELECT favorites FROM totals WHERE tweet = 20;",
    }


def test_check_exits_1_for_the_empty_file_among_good_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, query: Path
) -> None:
    empty = tmp_path / "empty.engql"
    empty.write_text("")
    code, out, _ = run(capsys, "check", str(query), str(empty), *NOW)
    assert code == 1
    assert out.startswith(f"{empty}:1:1: warning[W002]")


def test_fmt_formats_a_file_without_statements_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "draft.engql"
    path.write_text(NO_STATEMENTS["comments"])
    assert run(capsys, "fmt", str(path)) == (0, NO_STATEMENTS["comments"], "")


def test_the_w002_section_shows_what_check_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    section = doc.split("## W002 ")[1].split("\n## ")[0]
    content = section.split("For `draft.engql` holding only `")[1].split("`")[0]
    printed = section.split("```text\n")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    Path("draft.engql").write_text(content + "\n")
    assert run(capsys, "check", "draft.engql") == (1, printed, "")


# --error-format json and --color on every command that prints diagnostics

WARNED = "SELECT favorites, favorites FROM totals WHERE tweet = 697506383516729344;\n"


@pytest.mark.parametrize(
    "command",
    [
        ["explain"],
        ["run", "--sandbox", "--format", "json"],
        ["run", "--dry-run"],
        ["collect", "--sandbox", "--store", "sqlite:///c.db", "--format", "json"],
    ],
    ids=" ".join,
)
def test_error_format_json_prints_the_diagnostics_check_prints(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in (("warned.engql", WARNED), ("bad.engql", BAD)):
        Path(name).write_text(text)
        checked = run(capsys, "check", name, "--error-format", "json", *NOW)
        code, _, err = run(capsys, command[0], name, *command[1:], "--error-format", "json", *NOW)
        expected = [json.loads(line) for line in checked[1].splitlines()]
        diagnostics = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert diagnostics == expected
        assert code == (1 if name == "bad.engql" else 0)
        if name == "bad.engql":
            assert len(err.splitlines()) == len(expected)


MISSING_AFTER_RUN = "SELECT impressions FROM totals WHERE tweet = 1260294888811347969;\n"
"""/totals has impressions only for Tweets younger than 90 days: W501 is said before the
run, W601 after it."""


def test_the_warnings_after_a_run_follow_error_format_and_color(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "old.engql"
    path.write_text(MISSING_AFTER_RUN)
    words = ["run", str(path), "--sandbox", "--format", "json"]
    code, _, err = run(capsys, *words, "--error-format", "json")
    before, missing = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert code == 5
    assert before["code"] == "W501"
    assert (missing["code"], missing["severity"]) == ("W601", "warning")
    assert "1260294888811347969 is missing" in missing["message"]
    never = run(capsys, *words, "--color", "never")[2]
    always = run(capsys, *words, "--color", "always")[2]
    assert "warning[W601]" in never and "\x1b[" not in never
    assert "\x1b[1;33mwarning[W601]\x1b[0m" in always


@pytest.mark.parametrize(
    "command",
    [["check"], ["compile"], ["explain"], ["debug", "plan"], ["fmt"], ["run", "--dry-run"]],
)
def test_color_always_and_never(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    """Always colours even into a file; the text is the same without the escape codes."""
    path = tmp_path / "bad.engql"
    path.write_text("SELECT FROM totals WHERE tweet = 1;\n")
    words = [*command[:2], str(path), *command[2:]]
    never = run(capsys, *words, "--color", "never")
    always = run(capsys, *words, "--color", "always")
    auto = run(capsys, *words)
    assert never == auto
    assert never[0] == always[0] == 1
    printed = never[1] + never[2]
    coloured = always[1] + always[2]
    assert "\x1b[" not in printed and "\x1b[1;31merror[E001]\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == printed


# engql profiles default and delete


def test_profiles_default_and_delete_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("ENGQL_PROFILE", raising=False)
    (tmp_path / "engql").mkdir()
    (tmp_path / "engql" / "credentials.toml").write_text(
        'default_profile = "a"\n[profiles.a]\n[profiles.b]\n'
    )
    assert main(["profiles", "default", "b"]) == 0
    assert main(["profiles", "delete", "a"]) == 0
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[:2] == ["b", "yes"]
    assert main(["profiles", "delete"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("(see 'engql profiles delete --help')\n")
