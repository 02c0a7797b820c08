"""A collection sends the fewest requests (engql/store/fetch_plan.py), counted from the
sandbox's request log: none for a question over settled hours, the new hours of a daily
collection packed 25 Tweets a request, and Tweets added later only what they lack. The
windows the logged bodies carry show which hours are fetched again (those newer than the
settle period when they were fetched) and which never are."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from collect_harness import (
    Engql,
    collection,
    query_file,
    quoted,
    same_answer,
    statement,
    store_url,
    utc,
    windows,
)
from run_helpers import tweets

from engql import facts
from engql.times import ceil_hour, floor_hour, iso

T0 = utc(2024, 7, 1, 12, 17)
DAY = timedelta(days=1)
SETTLE = timedelta(hours=24)
BATCH = facts.ENDPOINTS["historical"].max_tweet_ids
CELL = facts.HISTORICAL_MAX_WINDOW
JSON = ["--format", "json"]
TWEET_TYPE = (facts.TWEET_ID, facts.ENGAGEMENT_TYPE)


@pytest.fixture
def engql(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Engql]:
    yield from collection(monkeypatch, capsys, T0)


def collected(
    engql: Engql, script: str, url: str, settle: str = "24h"
) -> list[tuple[str | None, ...]]:
    """Collect ``script`` into ``url``: it exits 0 and prints what a run prints; the
    windows of the requests it sent (start, end, number of Tweets), sorted (they are
    sent four at a time)."""
    query = query_file(script)
    before = engql.last_number()
    done = engql.collect(query, url, "--settle", settle, *JSON)
    sent = sorted(windows(engql.sent(before)))
    same_answer(done, engql.run(query, *JSON), "json")
    assert done.code == 0, done.err
    return sent  # type: ignore[return-value]


def settled_until(fetched: datetime, settle: timedelta = SETTLE) -> str:
    """The end of the hours settled by a fetch at ``fetched`` (a whole minute: the run
    takes less than the rest of it)."""
    return iso(floor_hour(fetched - settle))


def test_another_question_over_settled_hours_sends_nothing(engql: Engql, tmp_path: Path) -> None:
    ids = tweets(3, T0 - 44 * DAY, timedelta(hours=9))
    url = store_url("sqlite", tmp_path)
    wide = statement(
        "historical",
        ["impressions", "engagements", "favorites"],
        ids,
        [(*TWEET_TYPE, facts.ENGAGEMENT_DAY)],
        (quoted(T0 - 40 * DAY), quoted(T0 - 5 * DAY)),
    )
    assert len(collected(engql, wide, url)) == 2  # two 28-day windows of 3 Tweets
    assert collected(engql, wide, url) == []
    for narrower in (
        statement(
            "historical",
            ["favorites"],
            ids[1:],
            [(facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_HOUR), (facts.TWEET_ID,)],
            (quoted(T0 - 30 * DAY - timedelta(minutes=25)), quoted(T0 - 10 * DAY)),
        ),
        statement(
            "historical",
            ["engagements", "impressions"],
            ids[:1],
            [(facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR)],
            (quoted(T0 - 7 * DAY - timedelta(hours=3)), quoted(T0 - 6 * DAY)),
        ),
    ):
        assert collected(engql, narrower, url) == []


@pytest.mark.parametrize(
    ("settle", "period"), [("24h", SETTLE), ("0", timedelta(0)), ("3d", 3 * DAY)]
)
def test_hours_newer_than_the_settle_period_are_fetched_again_and_no_others(
    engql: Engql, tmp_path: Path, settle: str, period: timedelta
) -> None:
    """Each collection sends the hours from the first that had not settled when they
    were fetched (the current hour never has) to the end of the current hour."""
    ids = tweets(3, T0 - 9 * DAY, timedelta(hours=5))
    url = store_url("sqlite", tmp_path)
    script = statement(
        "historical", ["impressions"], ids, [TWEET_TYPE], (quoted(T0 - 10 * DAY), "now")
    )
    first = collected(engql, script, url, settle)
    assert first == [(iso(floor_hour(T0 - 10 * DAY)), iso(ceil_hour(T0)), 3)]
    again = collected(engql, script, url, settle)
    assert again == [(settled_until(T0, period), iso(ceil_hour(T0)), 3)]
    engql.clock.advance(timedelta(hours=5, minutes=10))
    later = collected(engql, script, url, settle)
    assert later == [(settled_until(T0, period), iso(ceil_hour(engql.clock.now)), 3)]


def test_a_daily_collection_over_a_growing_range_sends_one_request_per_25_tweets(
    engql: Engql, tmp_path: Path
) -> None:
    """60 Tweets from a fixed start until now, collected once a day: after the first
    day, each day's new hours (since what the day before had not settled) lie in one
    28-day cell, so the 60 Tweets share ceil(60/25) = 3 requests. Adding 10 Tweets asks
    for all of their range: the latest cell is then needed by all 70 Tweets and the one
    before only by the 10, so that day sends ceil(70/25) + ceil(10/25) = 3 + 1 = 4."""
    old = tweets(60, T0 - 50 * DAY, timedelta(hours=13))
    new = tweets(10, T0 - 20 * DAY - timedelta(minutes=17), timedelta(hours=7))
    assert not set(old) & set(new)
    start = T0 - 40 * DAY - timedelta(minutes=41)
    url = store_url("sqlite", tmp_path)

    def script(ids: list[str]) -> str:
        return statement("historical", ["impressions"], ids, [TWEET_TYPE], (quoted(start), "now"))

    first = collected(engql, script(old), url)
    assert len(first) == 2 * math.ceil(60 / BATCH) == 6  # 40 days: two cells
    fetched = T0
    for _ in range(4):
        engql.clock.advance(DAY)
        daily = collected(engql, script(old), url)
        end = iso(ceil_hour(engql.clock.now))
        assert daily == [(settled_until(fetched), end, n) for n in (10, 25, 25)]
        fetched = engql.clock.now
    engql.clock.advance(DAY)
    grown = collected(engql, script(old + new), url)
    latest = ceil_hour(engql.clock.now)
    cell = (iso(latest - CELL), iso(latest))
    assert grown == [
        (iso(floor_hour(start)), iso(latest - CELL), 10),
        (*cell, 20),
        (*cell, 25),
        (*cell, 25),
    ]
    assert len(grown) == math.ceil(70 / BATCH) + math.ceil(10 / BATCH) == 4
    engql.clock.advance(DAY)
    assert len(collected(engql, script(old + new), url)) == math.ceil(70 / BATCH) == 3
