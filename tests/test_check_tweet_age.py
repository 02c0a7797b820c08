"""Warnings from the time in a Tweet ID: too old for a metric, newer than the range, dated in
the future (engql/check/tweet_age.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from check_harness import (
    FEB_RANGE,
    Case,
    T,
    assert_case,
    assert_valid,
    check,
    codes,
    diagnose,
    tweet_aged,
)

OLD = tweet_aged(100)
"""100 days old: too old for impressions and engagements on /totals."""


FUTURE = tweet_aged(-10)
"""Ten days in NOW's future."""


JACK = "https://twitter.com/jack/status/20"
"""A Tweet from 2006, before Snowflake IDs: older than any limit."""


CASES: list[Case] = [
    Case(
        "W501",
        f"SELECT impressions, favorites FROM totals WHERE tweet IN ({T}, {OLD})",
        [
            (
                "W501",
                1,
                79,
                f"Tweet {OLD} is older than 90 days, and /totals has no impressions for Tweets "
                "that old",
            )
        ],
    ),
    Case(
        "W502",
        f"SELECT video_views FROM totals WHERE tweet IN ({T}, '{JACK}')",
        [("W502", 1, 68, "Tweet 20 is older than 1800 days, and the API has no video_views")],
    ),
    Case(
        "W503",
        f"SELECT impressions FROM historical WHERE tweet = {T} AND {FEB_RANGE}",
        [
            (
                "W503",
                1,
                50,
                f"Tweet {T} is newer than the end of the range, so every count will be zero",
            )
        ],
    ),
    Case(
        "W504",
        f"SELECT favorites FROM totals WHERE tweet = {FUTURE}",
        [("W504", 1, 44, f"Tweet {FUTURE} is dated in the future by the time in the ID; check it")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


def test_tweet_age_limits_are_exclusive_of_the_boundary_day() -> None:
    young = tweet_aged(89)
    assert_valid(f"SELECT impressions FROM totals WHERE tweet = {young}")
    assert codes(f"SELECT impressions FROM totals WHERE tweet = {tweet_aged(91)}") == ["W501"]
    now = datetime(2020, 1, 1, tzinfo=UTC)
    views = "SELECT video_views FROM totals WHERE tweet = {}"
    assert_valid(views.format(tweet_aged(1799, now)), now=now)
    assert codes(views.format(tweet_aged(1801, now)), now=now) == ["W502"]


def test_age_warnings_name_at_most_five_tweets() -> None:
    ids = [tweet_aged(100 + i) for i in range(7)]
    (diagnostic,) = check(
        f"SELECT impressions FROM totals WHERE tweet IN ({', '.join(map(str, ids))})"
    )
    assert diagnostic.code == "W501"
    named = ", ".join(str(i) for i in ids[:5])
    assert diagnostic.message == (
        f"7 Tweets ({named} and 2 more) are older than 90 days, and /totals has no "
        "impressions for Tweets that old"
    )
    assert diagnostic.location()[1:3] == (1, 47)


def test_age_warnings_name_the_metrics_in_the_order_selected() -> None:
    ids = f"{OLD}, {tweet_aged(120)}"
    text = f"SELECT engagements, favorites, impressions FROM totals WHERE tweet IN ({ids})"
    found = diagnose(text)
    assert [f.message for f in found] == [
        f"2 Tweets ({ids}) are older than 90 days, and /totals has no engagements or "
        "impressions for Tweets that old"
    ]
    found = diagnose(f"SELECT impressions, engagements FROM totals WHERE tweet = {OLD}")
    assert [f.message for f in found] == [
        f"Tweet {OLD} is older than 90 days, and /totals has no impressions or engagements "
        "for Tweets that old"
    ]


def test_pre_snowflake_ids_carry_no_time() -> None:
    assert_valid(f"SELECT impressions FROM historical WHERE tweet = 20 AND {FEB_RANGE}")
