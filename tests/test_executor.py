"""The executor against the sandbox: batches and windows merged into the answer of one
unlimited request, retries, cancelling, unowned, unavailable and protected Tweets, and rows
streamed batch by batch."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from run_helpers import (
    FAST,
    HISTORICAL_QUERY,
    IDS_30,
    IDS_600,
    NOW,
    NOW_TEXT,
    TOTALS_QUERY,
    UNOWNED_QUERY,
    Ran,
    SandboxFactory,
    compile_for,
    credentials_of,
    ids_param,
    query_file,
    reasons,
    sent_ids,
    statuses,
    unlimited_answer,
    use_credentials,
)

from engql.executor.missing import Missing, MissingKind
from engql.executor.runner import Executor, RunOptions
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")


HISTORICAL_DAYS = 43
"""2024-04-16 to 2024-05-28, both partly covered."""


def test_600_ids_go_in_three_batches_and_merge_into_one_answer(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file(TOTALS_QUERY), *ids_param(IDS_600), "--base-url", api.base_url, "--now", NOW_TEXT
    )
    assert ran.code == 0, ran.err
    assert sorted(len(ids) for ids in sent_ids(api)) == [100, 250, 250]
    assert sorted(t for ids in sent_ids(api) for t in ids) == sorted(IDS_600)
    assert {e.auth for e in api.log.entries()} == {"app"}  # public metrics: the bearer token
    merged = json.loads(ran.out)
    expected = unlimited_answer(compile_for(TOTALS_QUERY, IDS_600))
    assert merged == {**expected, "missing": {}}
    per_tweet = merged["per_tweet"]
    assert len(per_tweet) == 600
    for metric in ("favorites", "retweets", "replies"):
        summed = sum(int(counts[metric]) for counts in per_tweet.values())
        assert int(merged["grand_total"][metric]) == summed > 0
    assert "engql: 3 requests, 3 sent, 0 retried, 0 rate limited" in ran.err


def test_historical_batches_and_windows_merge_into_one_answer(
    api: Sandbox,
) -> None:
    plan = compile_for(HISTORICAL_QUERY, IDS_30)
    assert [(r.batch, r.window) for r in plan.requests] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    result = Executor(credentials_of(api), api.base_url).run(plan)
    (statement,) = result.statements
    assert statement.missing == {}
    assert statement.answer == unlimited_answer(plan)
    assert statement.answer["start"] == "2024-04-16T05:00:00Z"
    assert statement.answer["end"] == "2024-05-28T17:00:00Z"
    for tweet, by_metric in statement.answer["daily"].items():
        for metric, days in by_metric.items():
            assert len(days) == HISTORICAL_DAYS, (tweet, metric)
    assert sorted(statement.answer["hour_of_day"]["impressions"]) == [f"{h:02}" for h in range(24)]
    for metric, total in statement.answer["total"].items():
        daily = sum(
            int(n) for days in statement.answer["daily"].values() for n in days[metric].values()
        )
        hourly = sum(int(n) for n in statement.answer["hour_of_day"][metric].values())
        assert int(total) == daily == hourly > 0
    assert {e.auth for e in api.log.entries()} == {"user"}  # /historical: OAuth 1.0a
    assert result.stats.requests == result.stats.sent == 4


def test_unavailable_tweets_in_several_batches_are_counted_once(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    gone = [IDS_600[0], IDS_600[260], IDS_600[599]]
    api = engql_sandbox_factory(now=NOW, unavailable=gone)
    plan = compile_for(TOTALS_QUERY, IDS_600)
    (statement,) = Executor(credentials_of(api), api.base_url).run(plan).statements
    assert statement.answer == unlimited_answer(plan, unavailable=gone)
    assert statement.answer["errors"] == ["3 Tweet ID(s) are unavailable"]
    assert reasons(statement.missing) == dict.fromkeys(gone, "unavailable (deleted or not public)")


def test_several_statements_are_answered_in_order(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY + HISTORICAL_QUERY.replace(":ids", "(" + ", ".join(IDS_30[:3]) + ")")
    ran = engql_run(
        query_file(text), *ids_param(IDS_600), "--base-url", api.base_url, "--now", NOW_TEXT
    )
    assert ran.code == 0, ran.err
    first, second = json.loads(ran.out)
    assert set(first) == {"per_tweet", "grand_total", "missing"}
    assert set(second) == {"start", "end", "daily", "hour_of_day", "total", "missing"}
    # Statement by statement, each with the auth it needs: bearer, then OAuth.
    assert [e.auth for e in api.log.entries()].count("app") == 3
    assert [e.auth for e in api.log.entries()].count("user") == 2


@pytest.mark.parametrize("fault", [Fault.UNAVAILABLE, Fault.INTERNAL_ERROR, Fault.PROXY_ERROR])
def test_5xx_are_retried_and_the_answer_is_complete(
    engql_sandbox_factory: SandboxFactory, fault: Fault
) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: fault, 2: fault, 4: fault}))
    plan = compile_for(TOTALS_QUERY, IDS_600)
    result = Executor(credentials_of(api), api.base_url, FAST).run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert (result.stats.requests, result.stats.sent, result.stats.retries) == (3, 6, 3)
    assert statuses(api).count(int(fault.value)) == 3
    assert statuses(api).count(200) == 3


def test_dropped_connections_truncated_gzip_and_malformed_json_are_retried(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    """Over OAuth 1.0a, so each retry must carry a fresh nonce: the sandbox refuses a
    replayed one with 401, which would end the run."""
    faults = FaultPlan({1: Fault.DROP, 2: Fault.TRUNCATE, 3: Fault.MALFORMED, 5: Fault.DROP})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(HISTORICAL_QUERY, IDS_30)
    responses: list[str | None] = []
    executor = Executor(
        credentials_of(api),
        api.base_url,
        FAST,
        on_response=lambda request, body, reply: responses.append(reply.broken),
    )
    result = executor.run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert result.stats.retries == 4
    broken = sorted(b for b in responses if b is not None)
    assert broken == sorted(
        [
            "the server closed the connection without answering",
            "the server closed the connection without answering",
            "truncated or corrupt gzip body",
            "body is not JSON",
        ]
    )


def test_a_request_that_keeps_failing_loses_only_its_tweets(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    faults = FaultPlan({1: Fault.UNAVAILABLE, 2: Fault.DROP, 3: Fault.UNAVAILABLE})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(TOTALS_QUERY, IDS_600)
    options = attrs.evolve(FAST, concurrency=1, max_attempts=3)
    result = Executor(credentials_of(api), api.base_url, options).run(plan)
    first_batch = IDS_600[:250]
    assert reasons(result.missing) == dict.fromkeys(
        first_batch, "failed after 3 attempts (HTTP 503)"
    )
    assert {reason.kind for reason in result.missing.values()} == {MissingKind.GAVE_UP}
    assert sent_ids(api)[:3] == [first_batch] * 3
    per_tweet = result.statements[0].answer["per_tweet"]
    assert set(per_tweet) == set(IDS_600[250:])
    assert [w.code for w in result.warnings()] == ["W601"] * 250


def test_a_cancelled_run_keeps_what_came_back_and_lists_the_rest(api: Sandbox) -> None:
    plan = compile_for(TOTALS_QUERY, IDS_600)
    executor: Executor

    def cancel_after_the_first(request: Any) -> None:
        executor.cancel()

    one_at_a_time = RunOptions(concurrency=1)
    executor = Executor(
        credentials_of(api), api.base_url, one_at_a_time, on_done=cancel_after_the_first
    )
    result = executor.run(plan)
    assert result.stats.cancelled
    assert sent_ids(api) == [IDS_600[:250]]
    answered = IDS_600[:250]
    assert set(result.statements[0].answer["per_tweet"]) == set(answered)
    assert result.missing == dict.fromkeys(IDS_600[250:], Missing(MissingKind.CANCELLED))
    assert reasons(result.missing)[IDS_600[250]] == "cancelled before it was answered"


def test_unowned_tweets_fail_the_run_with_exit_4_by_default(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[3]])
    use_credentials(monkeypatch, api)
    ran = engql_run(query_file(UNOWNED_QUERY), *ids_param(IDS_30), "--base-url", api.base_url)
    assert ran.code == 4
    assert ran.err.splitlines()[-1] == (
        f"engql: refused: Tweets not owned by these credentials: {IDS_30[3]}"
    )
    assert ran.out == ""
    assert 403 in statuses(api)


def test_on_unowned_drop_resends_the_rest_and_reports_the_dropped(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    dropped = [IDS_30[3], IDS_30[27]]  # one in each batch
    api = engql_sandbox_factory(now=NOW, unowned=dropped)
    use_credentials(monkeypatch, api)
    ran = engql_run(
        query_file(UNOWNED_QUERY),
        *ids_param(IDS_30),
        "--base-url",
        api.base_url,
        "--on-unowned",
        "drop",
        "--now",
        NOW_TEXT,
    )
    assert ran.code == 5, ran.err
    merged = json.loads(ran.out)
    assert merged["missing"] == dict.fromkeys(dropped, "not owned by these credentials")
    assert set(merged["per_tweet"]) == set(IDS_30) - set(dropped)
    for entry in api.log.entries():
        if entry.status == 403:
            assert entry.errors[0].startswith("Forbidden to access tweets: ")
        else:
            assert entry.status == 200
            assert not set(entry.body["tweet_ids"]) & set(dropped)
    assert statuses(api).count(200) == 4  # every request of the plan answered in the end
    for tweet in dropped:
        assert f"warning[W601]: Tweet {tweet} is missing: not owned by these credentials" in ran.err


def test_unavailable_tweets_are_warnings_at_their_literal(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    gone = "1800610451420572802"
    api = engql_sandbox_factory(now=NOW, unavailable=[gone])
    use_credentials(monkeypatch, api)
    text = (
        "-- Two Tweets, one of them deleted\n"
        "SELECT favorites FROM totals\n"
        "WHERE tweet IN (1797947152269233892,\n"
        f"\t{gone})\n"
        "GROUP BY tweet.id, engagement.type AS per_tweet;\n"
    )
    ran = engql_run(query_file(text), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    lines = ran.err.splitlines()
    at = lines.index(
        f"q.engql:4:2: warning[W601]: Tweet {gone} is missing: unavailable (deleted or not public)"
    )
    source, caret = lines[at + 1], lines[at + 2]
    assert source.startswith("4 | ")
    assert caret.index("^") == source.index(gone)
    assert caret.strip() == "^" * len(gone)
    merged = json.loads(ran.out)
    assert merged["missing"] == {gone: "unavailable (deleted or not public)"}
    assert merged["unavailable_tweet_ids"] == [gone]
    assert merged["errors"] == ["1 Tweet ID(s) are unavailable"]
    assert set(merged["per_tweet"]) == {"1797947152269233892"}


def test_unavailable_tweets_from_an_ids_file_point_at_its_line(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    gone = "1800610451420572802"
    api = engql_sandbox_factory(now=NOW, unavailable=[gone])
    use_credentials(monkeypatch, api)
    Path("ids.txt").write_text(
        f"# launch Tweets\n1797947152269233892\n\nhttps://x.com/a/status/{gone}\n",
        encoding="utf-8",
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';\n"
    ran = engql_run(query_file(text), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    warning = next(line for line in ran.err.splitlines() if "W601" in line)
    assert re.fullmatch(
        rf".*ids\.txt:4:\d+: warning\[W601\]: Tweet {gone} is missing: "
        r"unavailable \(deleted or not public\)",
        warning,
    ), warning
    assert f"4 | https://x.com/a/status/{gone}" in ran.err


def test_a_protected_tweet_is_isolated_and_its_batch_kept(
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> None:
    """The API refuses a request naming a protected Tweet with 400 "Tweet ID(s) are
    unavailable", without saying which: engql halves the batch until the protected Tweet
    stands alone, so only it is missing."""
    protected = IDS_600[300]
    api = engql_sandbox_factory(now=NOW, protected=[protected])
    use_credentials(monkeypatch, api)
    ran = engql_run(query_file(TOTALS_QUERY), *ids_param(IDS_600), "--base-url", api.base_url)
    assert ran.code == 5, ran.err
    merged = json.loads(ran.out)
    assert merged["missing"] == {protected: "protected: the API never returns it"}
    assert set(merged["per_tweet"]) == set(IDS_600) - {protected}
    refused = [s for s in statuses(api) if s == 400]
    assert len(refused) == 9  # 250 -> 125 -> 63 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1, one per level
    assert statuses(api).count(200) == 2 + 8


def test_jsonl_and_csv_stream_batch_by_batch(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran]
) -> None:
    """Every grouping starts with tweet.id: rows go out batch by batch, in plan order."""
    use_credentials(monkeypatch, api)
    text = TOTALS_QUERY.replace("GROUP BY engagement.type AS grand_total", "")
    query = query_file(text)
    per_tweet = unlimited_answer(compile_for(text, IDS_600))["per_tweet"]
    expected = [{"tweet_id": t, **{m: int(n) for m, n in per_tweet[t].items()}} for t in IDS_600]
    ran = engql_run(query, *ids_param(IDS_600), "--base-url", api.base_url, "--format", "jsonl")
    assert ran.code == 0, ran.err
    assert [json.loads(line) for line in ran.out.splitlines()] == expected
    ran = engql_run(query, *ids_param(IDS_600), "--base-url", api.base_url, "--format", "csv")
    rows = list(csv.reader(io.StringIO(ran.out)))
    assert rows[0] == ["tweet_id", "favorites", "retweets", "replies"]
    assert rows[1:] == [[r["tweet_id"], *map(str, list(r.values())[1:])] for r in expected]
