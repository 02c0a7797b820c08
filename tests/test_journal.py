"""--resume: an interrupted run, resumed with the same plan, sends only what is left."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import engql
from engql import facts
from engql.cli import main
from engql.credentials import Credentials
from engql.executor.journal import (
    JOURNAL_FILE,
    PLAN_FILE,
    Journal,
    PlanChanged,
    UnusableRunDirectory,
    plan_hash,
)
from engql.executor.missing import Missing, MissingKind
from engql.executor.runner import Executor, RunOptions
from engql.plan.planner import Request
from engql.running import sandbox_settings
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import Sandbox

NOW = datetime(2016, 3, 1, 12, tzinfo=UTC)
FIRST = 697506383516729344
QUERY = (
    "SELECT impressions, favorites FROM historical WHERE tweet IN ("
    + ", ".join(str(FIRST + i) for i in range(60))
    + ") AND time BETWEEN '2016-01-01' AND '2016-02-25'"
    " GROUP BY tweet.id, engagement.type, engagement.day AS daily"
    " GROUP BY engagement.type AS totals"
)


class Interrupt(KeyboardInterrupt):
    """Raised by a progress hook to stop a run halfway, as Ctrl-C would."""


def executor_for(api: Sandbox, options: RunOptions, **hooks: Any) -> Executor:
    """An executor with the sandbox's credentials, as ``engql run --sandbox`` has them."""
    settings = sandbox_settings(api)
    return Executor(Credentials.from_settings(settings), settings.base_url, options, **hooks)


def test_an_interrupted_run_resumes_with_only_what_is_left(
    engql_sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    api = engql_sandbox_factory(now=NOW)
    plan = engql.compile(QUERY, now=NOW)
    assert len(plan.requests) == 6
    finished: list[Request] = []

    def stop_after_three(request: Request) -> None:
        finished.append(request)
        if len(finished) == 3:
            raise Interrupt

    options = RunOptions(concurrency=1)
    journal = Journal(str(tmp_path / "run"), plan)
    interrupted = executor_for(api, options, on_done=stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        interrupted.run(plan, journal)
    journalled = len(journal.finished())
    assert 3 <= journalled < 6
    sent_before = len(api.log.entries())

    resumed = executor_for(api, options).run(plan, Journal(str(tmp_path / "run"), plan))
    assert len(api.log.entries()) - sent_before == 6 - journalled
    fresh = executor_for(api, options).run(plan)
    assert resumed.statements[0].answer == fresh.statements[0].answer
    assert resumed.missing == fresh.missing == {}


def test_failed_requests_are_tried_again_on_resume(
    engql_sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.UNAVAILABLE}))
    plan = engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    options = RunOptions(max_attempts=1)
    first = executor_for(api, options).run(plan, Journal(str(tmp_path), plan))
    assert first.missing[str(FIRST)].text == "failed after 1 attempt (HTTP 503)"
    second = executor_for(api, options).run(plan, Journal(str(tmp_path), plan))
    assert second.missing == {}


def test_another_plan_is_refused(tmp_path: Path) -> None:
    one = engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    two = engql.compile(f"SELECT retweets FROM totals WHERE tweet = {FIRST}", now=NOW)
    Journal(str(tmp_path), one)
    with pytest.raises(PlanChanged):
        Journal(str(tmp_path), two)
    # A plan names paths, not a server: its run directory serves whatever base URL runs it.
    assert {r.path for r in one.requests} == {facts.ENDPOINTS["totals"].path}
    assert plan_hash(one) == plan_hash(
        engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    )


def test_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    plan = engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    journal = Journal(str(tmp_path), plan)
    journal.record(0, {"g": {}}, {})
    with open(tmp_path / "journal.jsonl", "a") as file:
        file.write('{"index": 1, "answ')
    assert list(journal.finished()) == [0]


# A run directory damaged by a crash, or by hand -----------------------------------------

TWO_REQUESTS = (
    "SELECT favorites, retweets FROM totals WHERE tweet IN ("
    + ", ".join(str(FIRST + i) for i in range(260))
    + ") GROUP BY tweet.id, engagement.type AS per_tweet GROUP BY engagement.type AS total"
)
"""Two /totals requests: 250 Tweets and 10."""


def two_request_plan() -> engql.Plan:
    plan = engql.compile(TWO_REQUESTS, now=NOW)
    assert len(plan.requests) == 2
    return plan


def journal_lines(folder: Path) -> list[str]:
    return (folder / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "text", ["", '{"hash": "3f9a', "[]", '{"hash": 5}', "\x00\x00\x00", "\udcff"]
)
def test_a_damaged_plan_with_nothing_journalled_is_a_fresh_start(tmp_path: Path, text: str) -> None:
    plan = two_request_plan()
    (tmp_path / PLAN_FILE).write_bytes(text.encode("utf-8", "surrogateescape"))
    journal = Journal(str(tmp_path), plan)
    assert journal.finished() == {}
    recorded = json.loads((tmp_path / PLAN_FILE).read_text(encoding="utf-8"))
    assert recorded == {"hash": plan_hash(plan), "requests": 2}
    Journal(str(tmp_path), plan)  # and it is that plan's directory from now on
    with pytest.raises(PlanChanged):
        Journal(str(tmp_path), engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}"))


def test_a_damaged_plan_beside_journalled_requests_is_refused(tmp_path: Path) -> None:
    plan = two_request_plan()
    Journal(str(tmp_path), plan).record(0, {"per_tweet": {}, "total": {}}, {})
    (tmp_path / PLAN_FILE).write_text('{"hash": "', encoding="utf-8")
    with pytest.raises(UnusableRunDirectory, match=r"plan\.json is damaged") as refused:
        Journal(str(tmp_path), plan)
    assert "use a new directory" in str(refused.value)
    assert len(journal_lines(tmp_path)) == 1  # the journal is left as it was


def test_the_plan_is_written_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    plan = two_request_plan()
    Journal(str(tmp_path / "run"), plan)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [PLAN_FILE]
    assert json.loads((tmp_path / "run" / PLAN_FILE).read_text())["hash"] == plan_hash(plan)


def test_a_record_after_a_torn_line_starts_on_a_fresh_line(tmp_path: Path) -> None:
    plan = two_request_plan()
    answer = {"per_tweet": {}, "total": {}}
    Journal(str(tmp_path), plan).record(0, answer, {})
    with open(tmp_path / JOURNAL_FILE, "a", encoding="utf-8") as file:
        file.write('{"index": 1, "answ')  # the crash cut the second record short
    Journal(str(tmp_path), plan).record(1, answer, {})  # appended before anything reads it
    assert len(journal_lines(tmp_path)) == 3
    assert list(Journal(str(tmp_path), plan).finished()) == [0, 1]


def valid_answer(plan: engql.Plan, index: int) -> dict[str, Any]:
    tweets = plan.requests[index].tweet_ids
    return {
        "per_tweet": {t: {"favorites": "1", "retweets": "0"} for t in tweets},
        "total": {"favorites": str(len(tweets)), "retweets": "0"},
    }


def damaged_entries(plan: engql.Plan) -> list[object]:
    """Journal entries that must not be trusted: each is sent again."""
    good = valid_answer(plan, 1)
    first, other = plan.requests[1].tweet_ids[0], str(FIRST + 9999)
    return [
        [1, good, {}],
        "a string",
        None,
        {"index": 1},
        {"index": "1", "answer": good, "missing": {}},
        {"index": True, "answer": good, "missing": {}},
        {"index": 7, "answer": good, "missing": {}},
        {"index": -1, "answer": good, "missing": {}},
        {"index": 1, "answer": "not an object", "missing": {}},
        {"index": 1, "answer": good, "missing": []},
        {"index": 1, "answer": good, "missing": {first: 5}},
        {"index": 1, "answer": good, "missing": {first: "no such reason"}},
        {"index": 1, "answer": good, "missing": {first: {"kind": "no such kind"}}},
        {"index": 1, "answer": good, "missing": {first: {"kind": ["protected"]}}},
        {"index": 1, "answer": good, "missing": {first: {"kind": "gave_up", "detail": 5}}},
        {"index": 1, "answer": good, "missing": {first: {"kind": "protected", "more": ""}}},
        {"index": 1, "answer": good, "missing": {first: {"detail": "5 attempts"}}},
        {"index": 1, "answer": good, "missing": {other: "not owned by these credentials"}},
        {"index": 1, "answer": None, "missing": {}},
        {"index": 1, "answer": {**good, "per_tweet": []}, "missing": {}},
        {"index": 1, "answer": {**good, "per_tweet": {first: "NaN-abc"}}, "missing": {}},
        {"index": 1, "answer": {**good, "total": {"favorites": "NaN-abc"}}, "missing": {}},
        {"index": 1, "answer": {**good, "per_tweet": {other: {"favorites": "1"}}}, "missing": {}},
        {"index": 1, "answer": {**good, "start": "yesterday"}, "missing": {}},
        {"index": 1, "answer": {**good, "unavailable_tweet_ids": [other]}, "missing": {}},
        {"index": 1, "answer": {**good, "errors": "not a list"}, "missing": {}},
    ]


def test_journal_entries_of_the_wrong_shape_are_not_trusted(tmp_path: Path) -> None:
    plan = two_request_plan()
    Journal(str(tmp_path), plan).record(0, valid_answer(plan, 0), {})
    with open(tmp_path / JOURNAL_FILE, "a", encoding="utf-8") as file:
        for entry in damaged_entries(plan):
            file.write(json.dumps(entry) + "\n")
    journal = Journal(str(tmp_path), plan)
    assert list(journal.finished()) == [0]
    assert journal.discarded == len(damaged_entries(plan))


def test_lines_not_trusted_are_dropped_so_the_next_resume_does_not_count_them(
    tmp_path: Path,
) -> None:
    plan = two_request_plan()
    Journal(str(tmp_path), plan).record(0, valid_answer(plan, 0), {})
    with open(tmp_path / JOURNAL_FILE, "a", encoding="utf-8") as file:
        file.write('{"index": 1, "answer": {"per_tw')  # a line cut short by a crash
    first = Journal(str(tmp_path), plan)
    assert (list(first.finished()), first.discarded) == ([0], 1)
    first.record(1, valid_answer(plan, 1), {})
    again = Journal(str(tmp_path), plan)
    assert (sorted(again.finished()), again.discarded) == ([0, 1], 0)
    lines = (tmp_path / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["index"] for line in lines] == [0, 1]


def test_valid_entries_are_kept_whatever_their_form(tmp_path: Path) -> None:
    plan = two_request_plan()
    tweets = plan.requests[1].tweet_ids
    answers = [
        valid_answer(plan, 1),
        {**valid_answer(plan, 1), "per_tweet": {tweets[0]: {"favorites": 3}}},  # a bare int
        {"per_tweet": {}, "total": {}, "unavailable_tweet_ids": tweets, "errors": ["x"]},
    ]
    journal = Journal(str(tmp_path), plan)
    for answer in answers:
        journal.record(1, answer, {tweets[0]: Missing(MissingKind.UNAVAILABLE)})
    gave_up = Missing(MissingKind.GAVE_UP, "5 attempts (HTTP 503)")
    journal.record(0, None, dict.fromkeys(plan.requests[0].tweet_ids, gave_up))
    finished = Journal(str(tmp_path), plan).finished()
    assert sorted(finished) == [0, 1]
    assert finished[1]["answer"] == answers[-1]
    assert finished[1]["missing"] == {tweets[0]: Missing(MissingKind.UNAVAILABLE)}
    assert finished[0]["missing"] == dict.fromkeys(plan.requests[0].tweet_ids, gave_up)


def test_an_older_journal_of_reason_texts_is_read(tmp_path: Path) -> None:
    """Journals written before reasons had kinds hold the reason's text; a text of a kind
    without detail is read as that kind, any other text is not trusted."""
    plan = two_request_plan()
    Journal(str(tmp_path), plan)
    first, second = plan.requests[0].tweet_ids[0], plan.requests[1].tweet_ids[0]
    with open(tmp_path / JOURNAL_FILE, "a", encoding="utf-8") as file:
        for index, tweet, text in (
            (0, first, "not owned by these credentials"),
            (1, second, "not owned"),
        ):
            entry = {"index": index, "answer": valid_answer(plan, index), "missing": {tweet: text}}
            file.write(json.dumps(entry) + "\n")
    journal = Journal(str(tmp_path), plan)
    finished = journal.finished()
    assert list(finished) == [0]
    assert finished[0]["missing"] == {first: Missing(MissingKind.NOT_OWNED)}
    assert journal.discarded == 1


# engql run --resume over a damaged run directory -----------------------------------------


@pytest.fixture
def cli(
    engql_sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, Any, str, int]]:
    """``engql run`` of TWO_REQUESTS against a sandbox, in this process: the exit code,
    the JSON answer, stderr, and how many requests reached the sandbox."""
    api = engql_sandbox_factory(now=NOW, rate_limit=100_000)
    for name in list(os.environ):
        if name.startswith(("ENGQL_", "TWITTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ENGQL_BEARER_TOKEN", api.credentials.bearer_token)
    query = tmp_path / "q.engql"
    query.write_text(TWO_REQUESTS, encoding="utf-8")

    def run(*args: str) -> tuple[int, Any, str, int]:
        api.log.clear()
        capsys.readouterr()
        code = main(["run", str(query), "--base-url", api.base_url, "--format", "json", *args])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out else None, err, len(api.log.entries())

    return run


@pytest.mark.parametrize("text", ["", '{"hash": "3f9a'])
def test_engql_run_resumes_over_a_cut_plan(
    cli: Callable[..., tuple[int, Any, str, int]], tmp_path: Path, text: str
) -> None:
    code, uninterrupted, err, sent = cli()
    assert (code, sent) == (0, 2), err
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / PLAN_FILE).write_text(text, encoding="utf-8")
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (0, uninterrupted, 2), err
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (0, uninterrupted, 0), err


def test_engql_run_refuses_a_cut_plan_beside_a_journal(
    cli: Callable[..., tuple[int, Any, str, int]], tmp_path: Path
) -> None:
    folder = tmp_path / "run"
    code, _, err, _ = cli("--resume", str(folder))
    assert code == 0, err
    (folder / PLAN_FILE).write_text("", encoding="utf-8")
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (2, None, 0)
    assert err == (
        f"engql: --resume: {folder / PLAN_FILE} is damaged, so the journal beside it cannot "
        "be matched to this plan; use a new directory\n"
    )


def test_engql_run_resumes_after_a_torn_last_line(
    cli: Callable[..., tuple[int, Any, str, int]], tmp_path: Path
) -> None:
    code, uninterrupted, err, _ = cli()
    assert code == 0, err
    folder = tmp_path / "run"
    code, _, err, sent = cli("--resume", str(folder))
    assert (code, sent) == (0, 2), err
    journal = folder / JOURNAL_FILE
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    journal.write_text(lines[0] + lines[1][: len(lines[1]) // 2], encoding="utf-8")
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (0, uninterrupted, 1), err
    assert "1 line of the journal could not be used (cut short or damaged)" in err
    # The request sent again was journalled on a line of its own: nothing is left to send.
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (0, uninterrupted, 0), err


def test_engql_run_sends_damaged_journal_entries_again(
    cli: Callable[..., tuple[int, Any, str, int]], tmp_path: Path
) -> None:
    code, uninterrupted, err, _ = cli()
    assert code == 0, err
    folder = tmp_path / "run"
    code, _, err, _ = cli("--resume", str(folder))
    assert code == 0, err
    plan = two_request_plan()
    first = journal_lines(folder)[0]
    with open(folder / JOURNAL_FILE, "w", encoding="utf-8") as file:
        file.write(first + "\n")
        for entry in damaged_entries(plan):
            file.write(json.dumps(entry) + "\n")
    code, answer, err, sent = cli("--resume", str(folder))
    assert (code, answer, sent) == (0, uninterrupted, 1), err


# A run directory that cannot be one ------------------------------------------------------


def _a_file(tmp_path: Path) -> Path:
    made = tmp_path / "notes.txt"
    made.write_text("not a run directory\n", encoding="utf-8")
    return made


def _with_folder_in_place_of(folder: Path, name: str) -> Path:
    (folder / name).mkdir(parents=True)
    return folder


@pytest.mark.parametrize(
    ("folder", "says"),
    [
        (
            _a_file,
            "{path} is not a directory: give a directory to keep the run in",
        ),
        (
            lambda tmp: _a_file(tmp) / "run" / "deeper",
            "cannot make the directory {path}: {tmp}/notes.txt is not a directory",
        ),
        (
            lambda tmp: _with_folder_in_place_of(tmp / "run", JOURNAL_FILE),
            "{path}/journal.jsonl is a directory, where the run keeps a file; use a new directory",
        ),
        (
            lambda tmp: _with_folder_in_place_of(tmp / "run", PLAN_FILE),
            "{path}/plan.json is a directory, where the run keeps a file; use a new directory",
        ),
    ],
    ids=["a file", "a file on the way", "journal is a folder", "plan is a folder"],
)
def test_a_run_directory_that_cannot_be_one_is_named_in_a_sentence(
    cli: Callable[..., tuple[int, Any, str, int]],
    tmp_path: Path,
    folder: Callable[[Path], Path],
    says: str,
) -> None:
    """No errno text ('[Errno 17] File exists: ...'): the path at fault and what is wrong."""
    path = folder(tmp_path)
    code, answer, err, sent = cli("--resume", str(path))
    assert (code, answer, sent) == (2, None, 0)
    assert err == f"engql: --resume: {says.format(path=path, tmp=tmp_path)}\n"
    with pytest.raises(UnusableRunDirectory):
        Journal(str(path), engql.compile(TWO_REQUESTS, now=NOW))
