"""GROUP BY keys, their orders and the groupings' names (engql/check/groupings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_harness import (
    MID_JAN,
    Case,
    T,
    assert_case,
    assert_codes,
    assert_valid,
    body,
    codes,
)

DOCUMENTED_GROUPINGS = [
    "engagement.type",
    "tweet.id, engagement.type",
    "engagement.type, tweet.id",
    "tweet.id, engagement.type, engagement.day",
    "tweet.id, engagement.type, engagement.hour",
    "engagement.type, tweet.id, engagement.hour",
    "engagement.type, engagement.day, engagement.hour",
    "tweet.id, engagement.type, engagement.day, engagement.hour",
    "engagement.type, tweet.id, engagement.day, engagement.hour",
]
"""The groupings engagement-api.md §4.3 lists as working or required."""


CASES: list[Case] = [
    Case(
        "E105",
        f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY tweet.id, engagment.type",
        [("E105", 1, 72, "unknown grouping key 'engagment.type'")],
    ),
    Case(
        "E106",
        f"SELECT * FROM totals WHERE tweet = {T} GROUP BY engagement.type, engagement.day",
        [("E106", 1, 81, "/totals cannot group by 'engagement.day'")],
    ),
    Case(
        "E201",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.type\n"
        "GROUP BY tweet.id, engagement.type\n"
        "GROUP BY engagement.type, tweet.id\n"
        "GROUP BY engagement.type, engagement.day AS daily",
        [("E201", 5, 1, "a request holds at most 3 groupings; this is number 4")],
    ),
    Case(
        "E202",
        f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY engagement.type, engagement.type",
        [("E202", 1, 79, "grouping key 'engagement.type' appears twice in this grouping")],
    ),
    Case(
        "E203",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.day, engagement.hour, tweet.id, engagement.type",
        [("E203", 2, 1, "a grouping with four keys must be in one of the two documented orders")],
    ),
    Case(
        "E204",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour\n"
        "GROUP BY engagement.type, tweet.id, engagement.day, engagement.hour",
        [("E204", 3, 1, "a request holds only one grouping with four keys")],
    ),
    Case(
        "E205",
        f"SELECT * FROM totals WHERE tweet = {T}\n"
        "GROUP BY engagement.type AS g\n"
        "GROUP BY tweet.id, engagement.type AS g",
        [("E205", 3, 39, "grouping name 'g' is already used on line 2")],
    ),
    Case(
        "E206",
        f'SELECT * FROM totals WHERE tweet = {T} GROUP BY engagement.type AS ""',
        [("E206", 1, 83, "a grouping name may not be empty")],
    ),
    Case(
        "W201",
        f"SELECT * FROM totals WHERE tweet = {T} GROUP BY tweet.id",
        [("W201", 1, 55, "a grouping without engagement.type has an undocumented response")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


def test_extra_grouping_equal_to_an_earlier_one_is_numbered_by_its_place() -> None:
    text = (
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.type\n"
        "GROUP BY tweet.id, engagement.type\n"
        "GROUP BY engagement.type, tweet.id\n"
        "GROUP BY engagement.type"
    )
    assert_codes(text, [("E201", 5, 1, "this is number 4")])


def test_every_extra_grouping_is_numbered_by_its_place() -> None:
    text = f"SELECT * FROM 28hr WHERE tweet = {T}\n" + "GROUP BY engagement.type\n" * 5
    assert_codes(
        text,
        [
            ("E201", 5, 1, "at most 3 groupings; this is number 4"),
            ("E201", 6, 1, "at most 3 groupings; this is number 5"),
        ],
    )


@pytest.mark.parametrize("endpoint", ["28hr", "historical"])
@pytest.mark.parametrize("keys", DOCUMENTED_GROUPINGS)
def test_documented_groupings_are_valid(endpoint: str, keys: str) -> None:
    text = f"SELECT impressions FROM {endpoint} WHERE tweet = {T} GROUP BY {keys} AS g"
    assert_valid(text)
    assert body(text)["groupings"] == {"g": {"group_by": keys.split(", ")}}


@pytest.mark.parametrize("keys", [k for k in DOCUMENTED_GROUPINGS if "day" not in k])
def test_documented_groupings_without_time_are_valid_on_totals(keys: str) -> None:
    if "hour" in keys:
        assert codes(f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY {keys}") == ["E106"]
        return
    assert_valid(f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY {keys}")


def test_tweet_id_alone_is_accepted_with_a_warning() -> None:
    text = f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY tweet.id"
    assert codes(text) == ["W201"]
    assert body(text)["groupings"] == {"by_tweet": {"group_by": ["tweet.id"]}}


@pytest.mark.parametrize(
    "keys", ["tweet.ids", "tweet.id, engagment.type", "Tweet.id", "tweet.id, engagement.days"]
)
def test_no_shape_warning_for_a_grouping_with_an_unknown_key(keys: str) -> None:
    """E105 already stops the statement; W201 about its shape would be noise."""
    assert codes(f"SELECT favorites FROM 28hr WHERE tweet = {T} GROUP BY {keys}") == ["E105"]


def test_explorer_request_three_groupings_one_with_four_keys() -> None:
    """The engagement-api-explorer's /historical request (engagement-api.md §8, E)."""
    text = f"""
        SELECT impressions, engagements FROM historical
        WHERE tweet IN ({MID_JAN})
          AND time BETWEEN '2016-01-20T13:00:00Z' AND '2016-02-17T13:00:00Z'
        GROUP BY engagement.type, engagement.day, engagement.hour AS aggregations
        GROUP BY tweet.id, engagement.type AS totals
        GROUP BY engagement.type, tweet.id, engagement.day, engagement.hour AS hourly_totals
    """
    assert_valid(text)
    sent = body(text)
    assert sent == {
        "tweet_ids": [str(MID_JAN)],
        "engagement_types": ["impressions", "engagements"],
        "groupings": {
            "aggregations": {"group_by": ["engagement.type", "engagement.day", "engagement.hour"]},
            "totals": {"group_by": ["tweet.id", "engagement.type"]},
            "hourly_totals": {
                "group_by": ["engagement.type", "tweet.id", "engagement.day", "engagement.hour"]
            },
        },
        "start": "2016-01-20T13:00:00Z",
        "end": "2016-02-17T13:00:00Z",
    }
