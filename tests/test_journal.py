"""--resume: an interrupted run, resumed with the same plan, sends only what is left."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import engql
from engql.executor.journal import Journal, PlanChanged, plan_hash
from engql.executor.runner import Executor, RunOptions
from engql.planner import Request
from engql.run_command import sandbox_settings
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


def test_an_interrupted_run_resumes_with_only_what_is_left(
    engql_sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    api = engql_sandbox_factory(now=NOW)
    plan = engql.compile(QUERY, now=NOW, base_url=api.base_url)
    assert len(plan.requests) == 6
    finished: list[Request] = []

    def stop_after_three(request: Request) -> None:
        finished.append(request)
        if len(finished) == 3:
            raise Interrupt

    options = RunOptions(concurrency=1)
    journal = Journal(str(tmp_path / "run"), plan)
    interrupted = Executor(sandbox_settings(api), options, on_done=stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        interrupted.run(plan, journal)
    journalled = len(journal.finished())
    assert 3 <= journalled < 6
    sent_before = len(api.log.entries())

    resumed = Executor(sandbox_settings(api), options).run(
        plan, Journal(str(tmp_path / "run"), plan)
    )
    assert len(api.log.entries()) - sent_before == 6 - journalled
    fresh = Executor(sandbox_settings(api), options).run(plan)
    assert resumed.statements[0].answer == fresh.statements[0].answer
    assert resumed.missing == fresh.missing == {}


def test_failed_requests_are_tried_again_on_resume(
    engql_sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.UNAVAILABLE}))
    plan = engql.compile(
        f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW, base_url=api.base_url
    )
    options = RunOptions(max_attempts=1)
    first = Executor(sandbox_settings(api), options).run(plan, Journal(str(tmp_path), plan))
    assert first.missing[str(FIRST)].startswith("failed after 1 attempts")
    second = Executor(sandbox_settings(api), options).run(plan, Journal(str(tmp_path), plan))
    assert second.missing == {}


def test_another_plan_is_refused(tmp_path: Path) -> None:
    one = engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    two = engql.compile(f"SELECT retweets FROM totals WHERE tweet = {FIRST}", now=NOW)
    Journal(str(tmp_path), one)
    with pytest.raises(PlanChanged):
        Journal(str(tmp_path), two)
    assert plan_hash(one) == plan_hash(
        engql.compile(
            f"SELECT favorites FROM totals WHERE tweet = {FIRST}",
            now=NOW,
            base_url="http://127.0.0.1:1",
        )
    )


def test_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    plan = engql.compile(f"SELECT favorites FROM totals WHERE tweet = {FIRST}", now=NOW)
    journal = Journal(str(tmp_path), plan)
    journal.record(0, {"g": {}}, {})
    with open(tmp_path / "journal.jsonl", "a") as file:
        file.write('{"index": 1, "answ')
    assert list(journal.finished()) == [0]
