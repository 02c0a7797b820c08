"""``engql run`` on the command line: exit codes, Ctrl-C and --resume, credentials from
flags, environment and profile, --dry-run, usage errors, the progress bar, -o, --sandbox
with the examples, and the tables of docs/running.md."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from run_helpers import (
    EXAMPLES,
    HISTORICAL_QUERY,
    IDS_30,
    IDS_600,
    NOW,
    NOW_TEXT,
    ROOT,
    TOTALS_QUERY,
    UNOWNED_QUERY,
    Ran,
    SandboxFactory,
    compile_for,
    credential_env,
    credential_values,
    ids_param,
    not_at_a_minute_end,
    on_a_terminal,
    query_file,
    sent_ids,
    shortened_backoff,
    statuses,
    unlimited_answer,
    use_credentials,
)

import engql
from engql.sandbox.auth import Credentials
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")


def test_cli_gives_up_with_exit_6_naming_the_lost_tweets(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    faults = FaultPlan(dict.fromkeys(range(1, 6), Fault.PROXY_ERROR))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    ran = engql_run(
        query_file(TOTALS_QUERY),
        *ids_param(IDS_600),
        "--base-url",
        api.base_url,
        "--concurrency",
        "1",
    )
    assert ran.code == 6, ran.err
    missing = json.loads(ran.out)["missing"]
    assert missing == dict.fromkeys(IDS_600[:250], "failed after 5 attempts (HTTP 502)")
    assert f"Tweet {IDS_600[0]} is missing: failed after 5 attempts (HTTP 502)" in ran.err
    assert "230 more Tweets are missing (--format json lists them all)" in ran.err
    assert "engql: 3 requests, 7 sent, 4 retried" in ran.err


@dataclass
class Interrupted:
    code: int
    err: str
    statuses: list[int]
    folder: Path
    """Holds the query, the -o target and the run directory, run/."""


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory: pytest.TempPathFactory) -> Interrupted:
    """`engql run --resume` in a subprocess against a 1-a-minute sandbox: the second of
    its two requests waits for the next minute, and gets SIGINT (Ctrl-C) after 2.5 s."""
    folder = tmp_path_factory.mktemp("interrupted")
    not_at_a_minute_end(5)
    with Sandbox(now=NOW, rate_limit=1) as api:
        env = {
            **os.environ,
            **credential_env(api),
            "ENGQL_BASE_URL": api.base_url,
            "HOME": str(folder / "home"),
            "XDG_CONFIG_HOME": str(folder / "config"),
        }
        query = folder / "q.engql"
        query.write_text(TOTALS_QUERY, encoding="utf-8")
        command = [sys.executable, "-m", "engql", "run", str(query), "--concurrency", "1"]
        command += [*ids_param(IDS_600[:300]), "-o", str(folder / "out.json")]
        command += ["--resume", str(folder / "run")]
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        time.sleep(2.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
        return Interrupted(process.returncode, err, statuses(api), folder)


def test_a_long_wait_is_shown_and_ctrl_c_exits_130(interrupted_run: Interrupted) -> None:
    run = interrupted_run
    assert run.code == 130, run.err
    assert run.statuses == [200]  # the limit was learnt from the first answer: no 429
    assert re.search(r"^engql: rate limited, resuming at \d\d:\d\d:00$", run.err, re.M)
    assert run.err.splitlines()[-1] == (
        f"engql: interrupted; rerun with --resume {run.folder / 'run'} to finish"
    )
    assert "Traceback" not in run.err


def test_a_long_wait_is_shown_once(interrupted_run: Interrupted) -> None:
    assert interrupted_run.err.count("rate limited, resuming at") == 1, interrupted_run.err


def test_an_interrupted_run_writes_no_output_file(interrupted_run: Interrupted) -> None:
    assert not (interrupted_run.folder / "out.json").exists()


def test_an_interrupted_run_resumes_with_only_what_is_left(
    interrupted_run: Interrupted,
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    folder = interrupted_run.folder
    use_credentials(monkeypatch, api)
    query, ids = str(folder / "q.engql"), ids_param(IDS_600[:300])
    ran = engql_run(query, *ids, "--base-url", api.base_url, "--resume", str(folder / "run"))
    assert ran.code == 0, ran.err
    assert sent_ids(api) == [IDS_600[250:300]]  # the first batch came from the journal
    plan = compile_for(TOTALS_QUERY, IDS_600[:300])
    assert json.loads(ran.out) == {**unlimited_answer(plan), "missing": {}}
    # The run directory belongs to that plan: another one is refused.
    other = ids_param(IDS_600[:299])
    ran = engql_run(query, *other, "--base-url", api.base_url, "--resume", str(folder / "run"))
    assert ran.code == 2
    assert "holds the journal of another plan" in ran.err
    assert len(api.log.entries()) == 1


def test_a_run_that_gave_up_resumes_with_the_failed_requests(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    tmp_path: Path,
) -> None:
    faults = FaultPlan(dict.fromkeys(range(1, 6), Fault.UNAVAILABLE))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    use_credentials(monkeypatch, api)
    shortened_backoff(monkeypatch)
    query = query_file(TOTALS_QUERY)
    options = ["--base-url", api.base_url, "--concurrency", "1", "--resume", str(tmp_path / "run")]
    ran = engql_run(query, *ids_param(IDS_600), *options)
    assert ran.code == 6
    api.log.clear()
    ran = engql_run(query, *ids_param(IDS_600), *options)
    assert ran.code == 0, ran.err
    assert sent_ids(api) == [IDS_600[:250]]
    assert json.loads(ran.out) == {
        **unlimited_answer(compile_for(TOTALS_QUERY, IDS_600)),
        "missing": {},
    }


def test_a_refused_run_keeps_the_old_output_file(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[3]])
    use_credentials(monkeypatch, api)
    Path("out.json").write_text("old\n")
    ran = engql_run(
        query_file(UNOWNED_QUERY), *ids_param(IDS_30), "--base-url", api.base_url, "-o", "out.json"
    )
    assert ran.code == 4
    assert Path("out.json").read_text() == "old\n"


def test_wrong_credentials_are_refused_with_exit_4(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", "x" * 50)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 4
    assert "engql: refused: 401: Your account could not be authenticated." in ran.err
    assert ran.out == ""


def test_a_wrong_bearer_token_is_refused_with_exit_4(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", "A" * 21 + "b" * 40 + "%3D" + "c" * 50)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 4
    assert "refused: 401" in ran.err


@pytest.mark.parametrize(
    ("query", "kinds", "named"),
    [
        (
            UNOWNED_QUERY,
            {},
            "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, ENGQL_CONSUMER_KEY, "
            "ENGQL_CONSUMER_SECRET",
        ),
        (
            UNOWNED_QUERY,
            {"oauth": False},  # a bearer token does not open /historical
            "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, ENGQL_CONSUMER_KEY, "
            "ENGQL_CONSUMER_SECRET",
        ),
        (TOTALS_QUERY, {}, "ENGQL_BEARER_TOKEN"),
    ],
    ids=["nothing-set", "bearer-only", "public-totals"],
)
def test_missing_credentials_exit_3_naming_them_before_sending_anything(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    query: str,
    kinds: dict[str, bool],
    named: str,
) -> None:
    if kinds:
        use_credentials(monkeypatch, api, **kinds)
    ran = engql_run(query_file(query), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 3
    assert ran.err.splitlines()[-1] == (
        f"engql: credentials missing for this query: set {named} "
        "(or use a profile: engql configure)"
    )
    assert api.log.entries() == []
    assert ran.out == ""


def test_public_totals_fall_back_to_oauth_without_a_bearer_token(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api, bearer=False)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 0, ran.err
    assert [e.auth for e in api.log.entries()] == ["user"]


def test_twitter_variables_are_the_fallback(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api, prefix="TWITTER")
    monkeypatch.setenv("ENGQL_BASE_URL", api.base_url)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30[:2]))
    assert ran.code == 0, ran.err
    assert [e.auth for e in api.log.entries()] == ["user", "user"]


def test_flags_beat_the_environment_which_beats_the_profile(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    c = api.credentials
    profile = Path(os.environ["XDG_CONFIG_HOME"]) / "engql" / "credentials.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        'default_profile = "work"\n\n[profiles.work]\n'
        f'consumer_key = "{c.consumer_key}"\nconsumer_secret = "{"x" * 50}"\n'
        f'access_token = "{c.access_token}"\naccess_token_secret = "{c.access_token_secret}"\n'
        'base_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    profile.chmod(0o600)
    query = query_file(UNOWNED_QUERY)
    # The profile's secret is wrong and its base_url goes nowhere: ENGQL_* and the flag win.
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", c.consumer_secret)
    monkeypatch.setenv("ENGQL_BASE_URL", "http://127.0.0.1:9")
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url, "--verbose")
    assert ran.code == 0, ran.err
    assert "engql: consumer_secret: set (env ENGQL_CONSUMER_SECRET)" in ran.err
    assert f"engql: access_token: set (profile work in {profile})" in ran.err
    assert "engql: historical batch 0, window 0: HTTP 200" in ran.err  # --verbose, per response
    assert "engql: profile: work (default_profile in " in ran.err
    assert f"engql: base_url: {api.base_url} (flag)" in ran.err
    monkeypatch.delenv("ENGQL_CONSUMER_SECRET")
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 4  # now the profile's wrong secret is used
    # A profile others may read is used, with a warning.
    profile.chmod(0o644)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", c.consumer_secret)
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--base-url", api.base_url)
    assert ran.code == 0
    assert "is open to other users (mode 0644)" in ran.err
    # --profile names a profile that does not exist: a configuration error.
    ran = engql_run(query, *ids_param(IDS_30[:2]), "--profile", "nosuch")
    assert ran.code == 3
    assert "no profile 'nosuch'" in ran.err


def test_dry_run_prints_the_requests_redacted_and_sends_nothing(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY + HISTORICAL_QUERY
    ran = engql_run(
        query_file(text),
        *ids_param(IDS_600[:260]),
        "--base-url",
        api.base_url,
        "--now",
        NOW_TEXT,
        "--dry-run",
    )
    assert ran.code == 0, ran.err
    assert api.log.entries() == []
    printed = [json.loads(line) for line in ran.out.splitlines()]
    plan = engql.compile(text, params={"ids": IDS_600[:260]}, now=NOW)
    assert [p["body"] for p in printed] == [r.body for r in plan.requests]
    assert [p["url"] for p in printed] == [r.url_at(api.base_url) for r in plan.requests]
    assert [p["headers"]["Authorization"] for p in printed] == (
        ["Bearer <redacted>"] * 2 + ["OAuth 1.0a <redacted>"] * 22
    )
    assert {p["headers"]["Accept-Encoding"] for p in printed} == {"gzip"}
    assert "requests" in ran.err  # the plan's cost, from explain
    for secret in credential_values(api):
        assert secret not in ran.out + ran.err


def test_plain_http_goes_only_to_loopback(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    query = query_file(TOTALS_QUERY)
    ran = engql_run(query, *ids_param(IDS_30), "--base-url", "http://example.invalid")
    assert ran.code == 2
    assert "not HTTPS" in ran.err
    ran = engql_run(query, *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 0


@pytest.mark.parametrize("option", [["--concurrency", "0"], ["--rate-limit", "0"]])
def test_bad_numbers_are_usage_errors(engql_run: Callable[..., Ran], option: list[str]) -> None:
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), "--sandbox", *option)
    assert ran.code == 2
    assert ran.err == (
        "engql: --concurrency and --rate-limit must be at least 1 (see 'engql run --help')\n"
    )


def test_a_query_with_errors_exits_1_and_sends_nothing(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file("SELECT favourites FROM totals WHERE tweet = 1;\n"),
        "--base-url",
        api.base_url,
    )
    assert ran.code == 1
    assert "error[E102]: unknown metric 'favourites'" in ran.err
    assert api.log.entries() == []


def test_a_progress_bar_shows_on_a_terminal_unless_asked_not_to() -> None:
    report = str(EXAMPLES / "monthly_report.engql")
    code, out, err = on_a_terminal("stderr", report, "--sandbox", "--now", NOW_TEXT)
    assert code == 0
    assert b"0/4" in err and b"request/s" in err
    assert json.loads(out)  # data still goes to stdout, as JSON (stdout is no terminal)
    code, _, err = on_a_terminal("stderr", report, "--sandbox", "--now", NOW_TEXT, "--no-progress")
    assert code == 0
    assert b"/4" not in err and b"request/s" not in err


def test_no_progress_bar_when_stderr_is_not_a_terminal(engql_run: Callable[..., Ran]) -> None:
    ran = engql_run(str(EXAMPLES / "monthly_report.engql"), "--sandbox", "--now", NOW_TEXT)
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)  # the run did happen: its answer is on stdout
    assert "/4" not in ran.err and "request/s" not in ran.err


def test_output_file_replaces_the_old_one(totals_run: Callable[..., Ran], tmp_path: Path) -> None:
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    ran = totals_run("--format", "csv", "-o", str(target))
    assert ran.code == 0
    assert ran.out == ""
    assert target.read_bytes() == totals_run("--format", "csv").out.encode()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".answer")] == []


def test_output_file_is_created(totals_run: Callable[..., Ran], tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    ran = totals_run("--format", "json", "-o", str(target))
    assert ran.code == 0, ran.err
    assert json.loads(target.read_text())["missing"] == {}
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_sandbox_ignores_the_environments_credentials(
    monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    other = Credentials.generate(99)
    monkeypatch.setenv("ENGQL_CONSUMER_SECRET", other.consumer_secret)
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", other.bearer_token)
    monkeypatch.setenv("ENGQL_BASE_URL", "http://127.0.0.1:9")
    ran = engql_run(str(EXAMPLES / "monthly_report.engql"), "--sandbox", "--now", NOW_TEXT)
    assert ran.code == 0, ran.err
    assert len(json.loads(ran.out)) == 3


RUNNING_DOC = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")


def doc_table(name: str) -> list[list[str]]:
    """The rows (cells) of the table between <!-- name --> and <!-- /name -->."""
    body = RUNNING_DOC.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0]
    rows = [line for line in body.strip().splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_running_doc_lists_every_option_of_engql_run() -> None:
    from engql.cli import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command")
    run = subcommands.choices["run"]  # type: ignore[index]
    documented = {
        flag for row in doc_table("run-options") for flag in re.findall(r"`(-?-?[\w-]+)", row[0])
    }
    options = {flag for action in run._actions for flag in action.option_strings} - {"-h", "--help"}
    assert documented == options | {"FILE"}


def test_running_doc_lists_the_exit_codes_engql_run_returns() -> None:
    from engql.executor.missing import GIVEN_UP, Missing
    from engql.exits import Exit

    codes = set(Exit)
    assert [int(row[0]) for row in doc_table("exit-codes")] == [0, 1, 2, 3, 4, 5, 6, 130, 70]
    assert {int(row[0]) for row in doc_table("exit-codes")} == codes
    gave_up = next(meaning for code, meaning in doc_table("exit-codes") if code == "6")
    assert all(f'"{Missing(kind).words}"' in gave_up for kind in GIVEN_UP)


def test_o_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(
    totals_run: Callable[..., Ran], tmp_path: Path
) -> None:
    """``-o /dev/null`` or a FIFO is a stream to write to: replacing it, as a regular
    file is replaced, would put a file where the device was (tested on a FIFO, not on
    the machine's /dev/null)."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    ran = totals_run("--format", "jsonl", "-o", str(pipe))
    reader.join(timeout=30)
    assert ran.code == 0, ran.err
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert len(received[0].decode().splitlines()) == 30


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (".", "is a folder; give a file's path, such as -o answer.json"),
        ("missing/out.json", "its folder {tmp}/missing does not exist"),
        ("a" * 250 + ".json", "cannot write a file there: File name too long"),
    ],
    ids=["folder", "missing folder", "name too long"],
)
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_sent(
    api: Sandbox, totals_run: Callable[..., Ran], tmp_path: Path, target: str, says: str
) -> None:
    """The answer would be lost after the quota was spent on it: exit 2, one line. (A
    folder that refuses the file is the last case's path too, which root never meets.)"""
    path = str(tmp_path / target)
    ran = totals_run("--format", "json", "-o", path)
    assert ran.code == 2
    assert ran.err == f"engql: -o {path}: {says.format(tmp=tmp_path)}\n"
    assert api.log.entries() == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_output_whose_folder_is_a_file_says_so(
    api: Sandbox, totals_run: Callable[..., Ran], tmp_path: Path
) -> None:
    """Not 'its folder does not exist': it exists, as a file."""
    (tmp_path / "notes.txt").write_text("a file\n", encoding="utf-8")
    path = str(tmp_path / "notes.txt" / "out.json")
    ran = totals_run("--format", "json", "-o", path)
    assert ran.code == 2
    assert ran.err == f"engql: -o {path}: its folder {tmp_path}/notes.txt is not a folder\n"
    assert api.log.entries() == []


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (
            ["--sandbox", "--base-url", "http://127.0.0.1:9"],
            "--sandbox runs against the local emulator with its own credentials: drop --base-url",
        ),
        (
            ["--sandbox", "--profile", "acme", "--base-url", "http://127.0.0.1:9"],
            "--sandbox runs against the local emulator with its own credentials: "
            "drop --base-url and --profile",
        ),
        (
            ["--dry-run", "-o", "out.json"],
            "--dry-run prints the requests and sends nothing, so there is no answer for -o",
        ),
    ],
    ids=["sandbox and base-url", "sandbox and profile", "dry-run and -o"],
)
def test_flags_that_one_another_would_ignore_are_refused(
    engql_run: Callable[..., Ran], tmp_path: Path, flags: list[str], says: str
) -> None:
    """Silently ignoring one would send the run elsewhere than the user means."""
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_30), *flags)
    assert (ran.code, ran.out, ran.err) == (2, "", f"engql: {says} (see 'engql run --help')\n")
    assert not (tmp_path / "out.json").exists()
