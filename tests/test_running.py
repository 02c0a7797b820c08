"""One way to run a plan (engql/running.py): exit codes chosen by the kinds of the
missing Tweets, the reasons' texts, and ``engql run``, the shell and ``engql.Client``
all going through ``run_plan``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_helpers import (
    IDS_600,
    NOW,
    Ran,
    SandboxFactory,
    credential_env,
    credentials_of,
    query_file,
    reasons,
    use_credentials,
)

import engql
from engql import client, running
from engql.credentials import Credentials
from engql.executor import missing
from engql.executor.missing import GIVEN_UP, Missing, MissingKind
from engql.executor.result import Result, RunStats, StatementResult
from engql.exits import Exit
from engql.repl import shell
from engql.running import MAX_MISSING_SHOWN, exit_for, run_plan
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

TWO_STATEMENTS = (
    "SELECT favorites FROM totals WHERE tweet IN (1, 2);\n"
    "SELECT retweets FROM totals WHERE tweet IN (1, 2);\n"
)


def result_of(*missing_per_statement: dict[str, Missing]) -> Result:
    """A Result of TWO_STATEMENTS whose statements miss these Tweets."""
    plan = engql.compile(TWO_STATEMENTS)
    statements = tuple(
        StatementResult(statement, {}, found)
        for statement, found in zip(plan.statements, missing_per_statement, strict=True)
    )
    return Result(statements, RunStats(requests=2, sent=2, retries=0, rate_limited=0, seconds=0))


# Exit codes come from kinds --------------------------------------------------------------


def test_no_missing_tweet_is_success() -> None:
    assert exit_for(result_of({}, {})) is Exit.OK


@pytest.mark.parametrize("kind", sorted(GIVEN_UP, key=lambda k: k.value))
def test_a_request_given_up_exits_6_whatever_its_detail_says(kind: MissingKind) -> None:
    given_up = Missing(kind, "any words at all, even 'unavailable' or 'protected'")
    assert exit_for(result_of({"1": given_up}, {})) is Exit.GAVE_UP


@pytest.mark.parametrize(
    "kind", sorted(set(MissingKind) - GIVEN_UP, key=lambda k: k.value), ids=lambda k: k.value
)
def test_any_other_missing_tweet_is_a_partial_answer(kind: MissingKind) -> None:
    assert exit_for(result_of({}, {"2": Missing(kind, "failed after 5 attempts")})) is Exit.PARTIAL


def test_a_give_up_in_any_statement_wins_over_an_earlier_reason_for_the_same_tweet() -> None:
    """``Result.missing`` keeps the first reason of a Tweet; the exit code reads them all."""
    result = result_of(
        {"1": Missing(MissingKind.PROTECTED)}, {"1": Missing(MissingKind.GAVE_UP, "x")}
    )
    assert result.missing == {"1": Missing(MissingKind.PROTECTED)}
    assert exit_for(result) is Exit.GAVE_UP


def test_rewording_a_reason_does_not_change_the_exit_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(missing._WORDS, MissingKind.GAVE_UP, "gave up on it after")
    monkeypatch.setitem(missing._WORDS, MissingKind.UNAVAILABLE, "failed after 5 attempts")
    gave_up = Missing(MissingKind.GAVE_UP, "5 attempts (HTTP 503)")
    assert gave_up.text == "gave up on it after 5 attempts (HTTP 503)"
    assert exit_for(result_of({"1": gave_up}, {})) is Exit.GAVE_UP
    assert exit_for(result_of({"1": Missing(MissingKind.UNAVAILABLE)}, {})) is Exit.PARTIAL


# The reasons' texts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (Missing(MissingKind.UNAVAILABLE), "unavailable (deleted or not public)"),
        (
            Missing(MissingKind.TOO_OLD_FOR_IMPRESSIONS),
            "no impressions or engagements: older than 90 days",
        ),
        (Missing(MissingKind.TOO_OLD_FOR_VIDEO_VIEWS), "no video_views: older than 1800 days"),
        (Missing(MissingKind.NOT_OWNED), "not owned by these credentials"),
        (Missing(MissingKind.PROTECTED), "protected: the API never returns it"),
        (Missing(MissingKind.REFUSED, "(400): bad"), "request refused (400): bad"),
        (
            Missing(MissingKind.GAVE_UP, "5 attempts (HTTP 503)"),
            "failed after 5 attempts (HTTP 503)",
        ),
        (
            Missing(MissingKind.UNREACHABLE, "5 attempts (connection refused)"),
            "could not connect after 5 attempts (connection refused)",
        ),
        (Missing(MissingKind.RATE_LIMITED, "21 times"), "rate limited 21 times"),
        (Missing(MissingKind.CANCELLED), "cancelled before it was answered"),
        (Missing(MissingKind.NOT_IN_ANSWER), "not in the answer"),
    ],
    ids=lambda value: value.kind.value if isinstance(value, Missing) else "",
)
def test_each_kind_reads_as_it_always_has(reason: Missing, text: str) -> None:
    assert reason.text == str(reason) == text
    assert Missing.from_json(reason.to_json()) == reason
    assert Missing.from_json(json.loads(json.dumps(reason.to_json()))) == reason


def test_the_json_output_and_the_warnings_show_the_text() -> None:
    result = result_of({"2": Missing(MissingKind.GAVE_UP, "3 attempts (HTTP 500)")}, {})
    assert result.statements[0].to_json()["missing"] == {"2": "failed after 3 attempts (HTTP 500)"}
    (warning,) = result.warnings()
    assert warning.message == "Tweet 2 is missing: failed after 3 attempts (HTTP 500)"


def test_tweets_whose_request_could_not_connect_are_counted_not_warned_about() -> None:
    """Their cause was said once as the run went: no W601 for each, one count instead."""
    unreachable = Missing(MissingKind.UNREACHABLE, "5 attempts (connection refused)")
    result = result_of(
        {"1": unreachable, "2": unreachable}, {"1": Missing(MissingKind.UNAVAILABLE)}
    )
    report = running.report_of(result, exit_for(result))
    assert report.exit is Exit.GAVE_UP
    assert [w.message for w in report.warnings] == [
        "Tweet 1 is missing: unavailable (deleted or not public)"
    ]
    assert (report.missing_count, report.unreachable, report.more_missing) == (3, 2, 0)
    assert len(result.warnings()) == 3  # the Python API's Result still lists them all


# One run function for the three callers -------------------------------------------------


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[running.RunReport]:
    """Every report ``run_plan`` gives, whoever called it."""
    found: list[running.RunReport] = []

    def recorded(*args: Any, **kwargs: Any) -> running.RunReport:
        report = run_plan(*args, **kwargs)
        found.append(report)
        return report

    from engql import run_command

    for caller in (run_command, shell, client):
        monkeypatch.setattr(caller, "run_plan", recorded)
    return found


def test_engql_run_the_shell_and_the_client_run_a_plan_alike(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    tmp_path: Path,
    reports: list[running.RunReport],
) -> None:
    ids = IDS_600[:40]
    api = engql_sandbox_factory(now=NOW, unavailable=[ids[3]], protected=[ids[17]])
    text = f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(ids)});\n"
    expected = {
        ids[3]: "unavailable (deleted or not public)",
        ids[17]: "protected: the API never returns it",
    }
    use_credentials(monkeypatch, api)
    ran = engql_run(query_file(text), "--base-url", api.base_url, "--format", "json")
    environ = {**credential_env(api), "ENGQL_BASE_URL": api.base_url, "HOME": str(tmp_path)}
    out, err = io.StringIO(), io.StringIO()
    repl = shell.Shell(out, err, environ=environ)
    repl.handle("\\format json")
    repl.handle(text)
    result = engql.Client(environ=environ).run(text)

    assert len(reports) == 3
    assert ran.code == Exit.PARTIAL
    assert [report.exit for report in reports] == [Exit.PARTIAL] * 3
    assert json.loads(ran.out)["missing"] == json.loads(out.getvalue())["missing"] == expected
    assert reasons(result.missing) == expected
    assert all(report.result is not None for report in reports)
    assert len({tuple(report.result.missing.items()) for report in reports if report.result}) == 1
    for tweet, reason in expected.items():
        warning = f"Tweet {tweet} is missing: {reason}"
        assert warning in ran.err and warning in err.getvalue()


def test_credentials_missing_is_an_outcome_and_nothing_is_sent(api: Sandbox) -> None:
    plan = engql.compile("SELECT impressions FROM totals WHERE tweet = 1;")
    bearer_only = Credentials(bearer_token=api.credentials.bearer_token)
    report = run_plan(plan, bearer_only, api.base_url)
    assert report.exit is Exit.CONFIG
    assert report.credentials_missing == (
        "ENGQL_ACCESS_TOKEN",
        "ENGQL_ACCESS_TOKEN_SECRET",
        "ENGQL_CONSUMER_KEY",
        "ENGQL_CONSUMER_SECRET",
    )
    assert report.result is None
    assert api.log.entries() == []


def test_the_report_warns_about_the_first_missing_tweets_and_counts_the_rest(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    gone = IDS_600[: MAX_MISSING_SHOWN + 7]
    api = engql_sandbox_factory(now=NOW, unavailable=gone)
    text = f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(IDS_600[:100])});"
    report = run_plan(engql.compile(text), credentials_of(api), api.base_url)
    assert len(report.warnings) == MAX_MISSING_SHOWN
    assert (report.missing_count, report.more_missing) == (len(gone), 7)
    assert report.summary.startswith("1 request, 1 sent, 0 retried, 0 rate limited, ")


def test_an_insecure_base_url_is_an_outcome() -> None:
    plan = engql.compile("SELECT favorites FROM totals WHERE tweet = 1;")
    report = run_plan(plan, Credentials(bearer_token="b" * 20), "http://example.com")
    assert report.exit is Exit.USAGE
    assert "is not HTTPS" in str(report.failure)
