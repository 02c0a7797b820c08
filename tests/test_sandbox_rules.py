"""The emulator's request rules: documented and compiled bodies pass, each broken rule is
named, every problem at once (engql/sandbox/rules.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_examples import NOW as EXAMPLES_NOW
from test_examples import QUERIES, compile_example

import engql
from engql import facts
from engql.sandbox.rules import (
    GROUP_BYS_NOT_SUPPORTED,
    ParsedRequest,
    ceil_hour,
    floor_hour,
    parse_request,
)

NOW = datetime(2015, 9, 15, 21, 17, 43, tzinfo=UTC)
"""After every date the documented examples name; not on the hour."""
TWEET = "643517069521846349"
FOUR_KEYS = ["tweet.id", "engagement.type", "engagement.day", "engagement.hour"]
TIME_SERIES = facts.ENDPOINTS["historical"].metrics


def body(**fields: Any) -> dict[str, Any]:
    """A valid /historical-or-28hr body with ``fields`` replaced (None removes one)."""
    base: dict[str, Any] = {
        "tweet_ids": [TWEET],
        "engagement_types": ["impressions"],
        "groupings": {"g": {"group_by": ["tweet.id", "engagement.type"]}},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def parsed(endpoint: str, data: object, now: datetime = NOW) -> ParsedRequest:
    result = parse_request(endpoint, data, now)
    assert isinstance(result, ParsedRequest), result
    return result


def problems(endpoint: str, data: object, now: datetime = NOW) -> list[str]:
    result = parse_request(endpoint, data, now)
    assert isinstance(result, list), result
    return result


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Documented bodies (engagement-api.md §4.2, §4.3, §5, §8) ---------------------------------

DOCUMENTED: list[tuple[str, dict[str, Any]]] = [
    (
        "historical",
        {
            "tweet_ids": ["1060976163948904448", "1045709644067471360"],
            "engagement_types": [
                "favorites",
                "replies",
                "retweets",
                "video_views",
                "impressions",
                "engagements",
            ],
            "groupings": {"perTweetMetricsOwned": {"group_by": ["tweet.id", "engagement.type"]}},
            "start": "2015-08-01T00:00:00Z",
            "end": "2015-08-15T00:00:00Z",
        },
    ),
    (
        "totals",
        {
            "tweet_ids": [1260294888811347969, 850006245121695744],
            "engagement_types": ["retweets", "quote_tweets", "favorites", "replies"],
            "groupings": {"engagement-types-by-id": {"group_by": ["tweet.id", "engagement.type"]}},
        },
    ),
    (
        "totals",
        {
            "tweet_ids": ["1021817816134156288"],
            "engagement_types": [
                "favorites",
                "quote_tweets",
                "replies",
                "retweets",
                "video_views",
            ],
            "groupings": {
                "Grand Totals": {"group_by": ["engagement.type"]},
                "types-by-tweet-id": {"group_by": ["engagement.type", "tweet.id"]},
            },
        },
    ),
    (
        "historical",
        {
            "tweet_ids": [TWEET],
            "engagement_types": ["impressions", "engagements", "favorites"],
            "groupings": {"g": {"group_by": ["tweet.id", "engagement.type"]}},
            "start": "2015-08-01",
            "end": "2015-08-28",
        },
    ),
    (
        "historical",
        {
            "tweet_ids": [TWEET],
            "engagement_types": ["impressions", "engagements"],
            "groupings": {
                "hourly-time-series": {
                    "group_by": ["tweet.id", "engagement.type", "engagement.hour"]
                },
                "by_tweet_type": {"group_by": ["tweet.id", "engagement.type"]},
            },
            "start": "2015-07-01T12:24:00Z",
            "end": "2015-07-10T08:37:00Z",
        },
    ),
    (
        "historical",
        {
            "tweet_ids": [TWEET, "643517069521846350"],
            "engagement_types": ["impressions", "engagements", "favorites", "retweets"],
            "groupings": {
                "aggregations": {
                    "group_by": ["engagement.type", "engagement.day", "engagement.hour"]
                },
                "totals": {"group_by": ["tweet.id", "engagement.type"]},
                "hourly_totals": {
                    "group_by": ["engagement.type", "tweet.id", "engagement.day", "engagement.hour"]
                },
            },
            "start": "2015-08-20T16:00:00Z",
            "end": "2015-09-15T21:00:00Z",
        },
    ),
    (
        "28hr",
        {
            "tweet_ids": ["123456789"],
            "engagement_types": list(TIME_SERIES),
            "groupings": {"my_grouping": {"group_by": ["tweet.id", "engagement.type"]}},
        },
    ),
    (
        "28hr",
        {
            "tweet_ids": ["123456789"],
            "engagement_types": ["impressions"],
            "groupings": {"Tweets_MetricType_TimeSeries": {"group_by": FOUR_KEYS}},
        },
    ),
    (
        "historical",
        {
            "tweet_ids": ["695310089847111681"],
            "engagement_types": ["impressions", "engagements", "favorites", "retweets", "replies"],
            "groupings": {
                "hour_of_day": {"group_by": ["engagement.type", "tweet.id", "engagement.hour"]},
                "timeseries_daily": {"group_by": ["tweet.id", "engagement.type", "engagement.day"]},
                "grand": {"group_by": ["engagement.type"]},
            },
        },
    ),
]


@pytest.mark.parametrize(("endpoint", "data"), DOCUMENTED)
def test_documented_bodies_are_accepted(endpoint: str, data: dict[str, Any]) -> None:
    request = parsed(endpoint, data)
    assert request.endpoint == endpoint
    assert request.tweet_ids == tuple(str(i) for i in data["tweet_ids"])
    assert request.metrics == tuple(data["engagement_types"])
    assert request.groupings == tuple(
        (name, tuple(g["group_by"])) for name, g in data["groupings"].items()
    )


def test_documented_rounding_of_start_and_end() -> None:
    """D1/ref-historical: 12:24 is rounded down, 08:37 up, to the nearest inclusive hour."""
    request = parsed("historical", DOCUMENTED[4][1])
    assert request.window == (utc(2015, 7, 1, 12), utc(2015, 7, 10, 9))
    assert (request.echo_start, request.echo_end) == (
        "2015-07-01T12:00:00Z",
        "2015-07-10T09:00:00Z",
    )


def test_a_date_is_midnight_utc() -> None:
    request = parsed("historical", DOCUMENTED[3][1])
    assert request.echo_start == "2015-08-01T00:00:00Z"
    assert request.echo_end == "2015-08-28T00:00:00Z"


# engql's own bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_compiled_examples_are_accepted(path: Any) -> None:
    for request in compile_example(path).requests:
        result = parsed(request.endpoint, request.body, EXAMPLES_NOW)
        assert result.tweet_ids == tuple(request.tweet_ids)


COMPILED = [
    "SELECT * FROM totals WHERE tweet IN ({ids})",
    "SELECT favorites, retweets FROM totals WHERE tweet IN ({ids}) GROUP BY engagement.type",
    "SELECT * FROM 28hr WHERE tweet IN ({ids}) "
    "GROUP BY engagement.type, tweet.id, engagement.day, engagement.hour "
    "GROUP BY engagement.hour AS hod GROUP BY tweet.id",
    "SELECT impressions FROM historical WHERE tweet IN ({ids}) "
    "AND time BETWEEN now - 70 days AND now GROUP BY tweet.id, engagement.type, engagement.day",
    "SELECT * FROM historical WHERE tweet IN ({ids}) "
    "AND time BETWEEN '2016-02-10T17:25:00Z' AND '2016-02-10T21:05:00+01:00' "
    "GROUP BY tweet.id, engagement.type, engagement.hour",
    "SELECT impressions FROM historical WHERE tweet IN ({ids}) "
    "AND time BETWEEN '2014-09-01' AND today",
    "SELECT url_clicks FROM historical WHERE tweet IN ({ids})",
]


@pytest.mark.parametrize("query", COMPILED)
@pytest.mark.parametrize(
    "now",
    [utc(2016, 3, 1, 9, 41, 7), utc(2024, 7, 1), utc(2019, 12, 31, 23, 59, 59)],
    ids=str,
)
def test_compiled_queries_are_accepted(query: str, now: datetime) -> None:
    """Every request engql sends is accepted, and covers the window the planner meant."""
    first = facts.snowflake_id_at(now - timedelta(days=3))
    ids = ", ".join(str(first + 7919 * n) for n in range(260))
    plan = engql.compile(query.format(ids=ids), now=now)
    for statement in plan.statements:
        for request in statement.requests:
            result = parsed(request.endpoint, request.body, now)
            assert result.tweet_ids == tuple(request.tweet_ids)
            if request.window is not None:
                window = statement.windows[request.window]
                assert result.window == (window.start, window.end)


# Each rule ------------------------------------------------------------------------------

BROKEN: list[tuple[str, object, list[str]]] = [
    ("totals", [], ["the request body must be a JSON object, not an array"]),
    ("totals", "x", ["the request body must be a JSON object, not a string"]),
    (
        "totals",
        body(extra=1),
        [
            "unknown field 'extra'; a request to /totals has the fields "
            "tweet_ids, engagement_types, groupings"
        ],
    ),
    (
        "historical",
        body(Tweet_ids=[]),
        [
            "unknown field 'Tweet_ids'; a request to /historical has the fields "
            "tweet_ids, engagement_types, groupings, start, end"
        ],
    ),
    ("totals", body(tweet_ids=None), ["tweet_ids is required: a list of Tweet IDs"]),
    ("totals", body(tweet_ids="1"), ["tweet_ids must be a list of Tweet IDs, not a string"]),
    ("totals", body(tweet_ids=[]), ["tweet_ids is empty; give at least one Tweet ID"]),
    (
        "totals",
        body(tweet_ids=[str(n) for n in range(1, 252)]),
        ["/totals takes at most 250 Tweet IDs a request; this one has 251"],
    ),
    (
        "28hr",
        body(tweet_ids=list(range(1, 27))),
        ["/28hr takes at most 25 Tweet IDs a request; this one has 26"],
    ),
    (
        "totals",
        body(tweet_ids=["12a", " 1", "-5", "", "+7"]),
        [
            "Tweet ID '12a' is not a string of digits",
            "Tweet ID ' 1' is not a string of digits",
            "Tweet ID '-5' is not a string of digits",
            "Tweet ID '' is not a string of digits",
            "Tweet ID '+7' is not a string of digits",
        ],
    ),
    (
        "totals",
        body(tweet_ids=[1.0, True, None, [1], {"id": 1}]),
        [
            "Tweet ID 1.0 is neither a string of digits nor an integer",
            "Tweet ID true is neither a string of digits nor an integer",
            "Tweet ID null is neither a string of digits nor an integer",
            "Tweet ID [1] is neither a string of digits nor an integer",
            'Tweet ID {"id": 1} is neither a string of digits nor an integer',
        ],
    ),
    (
        "totals",
        body(tweet_ids=[0, "0", -1, 2**63, str(2**63)]),
        [
            "Tweet ID 0 is out of range: IDs are positive 64-bit integers",
            "Tweet ID '0' is out of range: IDs are positive 64-bit integers",
            "Tweet ID -1 is out of range: IDs are positive 64-bit integers",
            "Tweet ID 9223372036854775808 is out of range: IDs are positive 64-bit integers",
            "Tweet ID '9223372036854775808' is out of range: IDs are positive 64-bit integers",
        ],
    ),
    (
        "totals",
        body(engagement_types=None),
        ["engagement_types is required: a list of metric names"],
    ),
    (
        "totals",
        body(engagement_types="impressions,engagements"),
        ["engagement_types must be a list of metric names, not a string"],
    ),
    (
        "totals",
        body(engagement_types=[]),
        ["engagement_types is empty; give at least one metric name"],
    ),
    (
        "28hr",
        body(engagement_types=["media_clicks"]),
        [
            "engagement type 'media_clicks' was replaced by 'media_engagements'; "
            "request that instead"
        ],
    ),
    (
        "28hr",
        body(engagement_types=["quote_tweets"]),
        ["engagement type 'quote_tweets' is not supported by /28hr, only by /totals"],
    ),
    (
        "totals",
        body(engagement_types=["url_clicks"]),
        ["engagement type 'url_clicks' is not supported by /totals, only by /28hr and /historical"],
    ),
    (
        "totals",
        body(engagement_types=[" engagements", 7]),
        [
            "unknown engagement type ' engagements'; /totals accepts "
            + ", ".join(facts.ENDPOINTS["totals"].metrics),
            "engagement type 7 must be a string, not a number",
        ],
    ),
    (
        "totals",
        body(groupings=None),
        ['groupings is required: an object of named groupings, each {"group_by": [...]}'],
    ),
    (
        "totals",
        body(groupings=[["tweet.id"]]),
        ['groupings must be an object of named groupings, each {"group_by": [...]}, not an array'],
    ),
    ("totals", body(groupings={}), ["groupings is empty; give at least one grouping"]),
    (
        "totals",
        body(groupings={n: {"group_by": ["engagement.type"]} for n in "abcd"}),
        ["a request holds at most 3 groupings; this one has 4"],
    ),
    (
        "totals",
        body(groupings={"g": ["tweet.id"], "h": {"groupBy": ["tweet.id"]}}),
        [
            "grouping 'g' must be an object {\"group_by\": [keys]}",
            "grouping 'h' must be an object {\"group_by\": [keys]}",
        ],
    ),
    (
        "totals",
        body(groupings={"g": {"group_by": ["tweet.id"], "order": "asc"}}),
        ["grouping 'g' has an unknown field 'order'; a grouping holds only group_by"],
    ),
    (
        "totals",
        body(groupings={"g": {"group_by": []}, "h": {"group_by": "tweet.id"}}),
        [
            "grouping 'g': group_by must be a non-empty list of keys, not []",
            "grouping 'h': group_by must be a non-empty list of keys, not 'tweet.id'",
        ],
    ),
    (
        "totals",
        body(groupings={"g": {"group_by": ["tweet.id", "engagement.type", "engagement.hour"]}}),
        [
            "One or more of the groupBys you have specified are not supported: "
            "(engagement.hour). Please adjust your request and try again."
        ],
    ),
    (
        "totals",
        body(
            groupings={
                "g": {"group_by": ["engagement.day"]},
                "h": {"group_by": ["Tweet.id", "engagement.hour", "engagement.day"]},
            }
        ),
        [GROUP_BYS_NOT_SUPPORTED.format(keys="engagement.day, Tweet.id, engagement.hour")],
    ),
    (
        "28hr",
        body(groupings={"g": {"group_by": ["tweet.id", "engagement.type", "tweet.id"]}}),
        ["grouping 'g' names 'tweet.id' more than once"],
    ),
    (
        "historical",
        body(
            groupings={
                "g": {
                    "group_by": ["engagement.day", "tweet.id", "engagement.type", "engagement.hour"]
                }
            }
        ),
        [
            "grouping 'g' has four keys in an unsupported order; use "
            "[tweet.id, engagement.type, engagement.day, engagement.hour] or "
            "[engagement.type, tweet.id, engagement.day, engagement.hour]"
        ],
    ),
    (
        "historical",
        body(groupings={"a": {"group_by": FOUR_KEYS}, "b": {"group_by": FOUR_KEYS}}),
        ["a request holds at most 1 grouping with four keys; 'a', 'b' have four"],
    ),
    (
        "totals",
        body(groupings={"": {"group_by": ["tweet.id"]}, " ": {"group_by": ["tweet.id"]}}),
        ["a grouping name may not be empty", "a grouping name may not be empty"],
    ),
    (
        "28hr",
        body(groupings={"end": {"group_by": ["tweet.id"]}, "errors": {"group_by": ["tweet.id"]}}),
        [
            "grouping name 'end' is taken by a field of the response; choose another",
            "grouping name 'errors' is taken by a field of the response; choose another",
        ],
    ),
    (
        "totals",
        body(start="2015-08-01", end="2015-08-02"),
        ["/totals takes no start or end: it reports lifetime totals"],
    ),
    (
        "28hr",
        body(end="2015-08-02"),
        ["/28hr takes no start or end: it always covers the last 28 hours"],
    ),
    (
        "historical",
        body(start="2015-08-01"),
        [
            "the window 2015-08-01T00:00:00Z to 2015-09-15T22:00:00Z (on whole hours; the end "
            "is now, as none is given) spans 45 days 22 hours; at most 28 days are allowed"
        ],
    ),
    (
        "historical",
        body(start="2015-09-15T22:00:00Z"),
        [
            "start 2015-09-15T22:00:00Z is not before end 2015-09-15T22:00:00Z "
            "(now rounded up to the hour, as no end is given)"
        ],
    ),
    (
        "historical",
        body(end="2014-09-10"),
        [
            "start 2014-08-13T00:00:00Z (28 days before the end, as none is given) is before "
            "2014-09-01, the first day of historical data"
        ],
    ),
    (
        "historical",
        body(end="0001-01-01"),
        ["end 1-01-01T00:00:00Z is not after 2014-09-01, the first day of historical data"],
    ),
    (
        "historical",
        body(start=1438387200, end=None),
        [
            "start must be an ISO date or date-time (like 2015-08-01 or 2015-08-01T00:00:00Z), "
            "not a number",
        ],
    ),
    (
        "historical",
        body(start="2015/08/01", end="2015-08-02 10:00Z"),
        [
            "start '2015/08/01' is not an ISO date or date-time "
            "(like 2015-08-01 or 2015-08-01T00:00:00Z)",
            "end '2015-08-02 10:00Z' is not an ISO date or date-time "
            "(like 2015-08-01 or 2015-08-01T00:00:00Z)",
        ],
    ),
    (
        "historical",
        body(start="2015-02-30", end="2015-08-02T25:00:00Z"),
        [
            "start '2015-02-30' is not an ISO date or date-time "
            "(like 2015-08-01 or 2015-08-01T00:00:00Z)",
            "end '2015-08-02T25:00:00Z' is not an ISO date or date-time "
            "(like 2015-08-01 or 2015-08-01T00:00:00Z)",
        ],
    ),
    (
        "historical",
        body(start="2015-08-01T00:00:00", end="2015-08-02T00:00:00Z"),
        ["start '2015-08-01T00:00:00' names no time zone; end it with Z for UTC"],
    ),
    (
        "historical",
        body(start="2014-08-31T23:59:59Z", end="2014-09-02"),
        ["start 2014-08-31T23:59:59Z is before 2014-09-01, the first day of historical data"],
    ),
    (
        "historical",
        body(start="2015-09-14", end="2015-09-15T22:00:01Z"),
        [
            "end 2015-09-15T22:00:01Z is in the future: after 2015-09-15T22:00:00Z, the end of "
            "the current hour (now is 2015-09-15T21:17:43Z)"
        ],
    ),
    (
        "historical",
        body(start="2015-08-02", end="2015-08-02"),
        ["start 2015-08-02T00:00:00Z is not before end 2015-08-02T00:00:00Z"],
    ),
    (
        "historical",
        body(start="2015-08-02T00:00:00+02:00", end="2015-08-01T20:00:00Z"),
        ["start 2015-08-01T22:00:00Z is not before end 2015-08-01T20:00:00Z"],
    ),
    (
        "historical",
        body(start="2015-07-01T12:24:00Z", end="2015-07-29T12:01:00Z"),
        [
            "the window 2015-07-01T12:00:00Z to 2015-07-29T13:00:00Z (on whole hours) spans "
            "28 days 1 hour; at most 28 days are allowed"
        ],
    ),
]


@pytest.mark.parametrize(("endpoint", "data", "expected"), BROKEN)
def test_each_broken_rule_is_named(endpoint: str, data: object, expected: list[str]) -> None:
    assert problems(endpoint, data) == expected


def test_ids_of_any_length_are_read() -> None:
    found = problems("totals", body(tweet_ids=["9" * 5000, "0" * 5000 + "17", 10**5000]))
    assert found == [
        f"Tweet ID '{'9' * 56}... is out of range: IDs are positive 64-bit integers",
        "Tweet ID (a number too long to show) is out of range: IDs are positive 64-bit integers",
    ]


def test_every_problem_comes_back_at_once() -> None:
    data = {
        "tweet_ids": ["x"],
        "engagement_types": ["likes"],
        "groupings": {"g": {"group_by": ["engagement.hour"]}},
        "start": "2015-08-01",
        "color": "red",
    }
    found = problems("totals", data)
    assert len(found) == 5
    assert found[0].startswith("unknown field 'color'")
    assert GROUP_BYS_NOT_SUPPORTED.format(keys="engagement.hour") in found


def test_repeats_are_read_once_and_ids_are_canonical() -> None:
    request = parsed(
        "totals",
        body(
            tweet_ids=["0042", 42, "7", 7, TWEET],
            engagement_types=["favorites", "retweets", "favorites"],
        ),
    )
    assert request.tweet_ids == ("42", "7", TWEET)
    assert request.metrics == ("favorites", "retweets")


def test_limits_come_from_the_facts() -> None:
    for endpoint in facts.ENDPOINTS.values():
        most = [str(n) for n in range(1, endpoint.max_tweet_ids + 1)]
        assert parsed(endpoint.name, body(tweet_ids=most)).tweet_ids == tuple(most)
    three = {n: {"group_by": ["engagement.type"]} for n in "abc"}
    assert len(parsed("totals", body(groupings=three)).groupings) == facts.MAX_GROUPINGS


def test_every_metric_of_every_endpoint_is_accepted() -> None:
    for endpoint in facts.ENDPOINTS.values():
        request = parsed(endpoint.name, body(engagement_types=list(endpoint.metrics)))
        assert request.metrics == endpoint.metrics


@pytest.mark.parametrize("order", facts.FOUR_KEY_ORDERS)
def test_both_four_key_orders_are_accepted(order: tuple[str, ...]) -> None:
    for endpoint in ("28hr", "historical"):
        request = parsed(endpoint, body(groupings={"g": {"group_by": list(order)}}))
        assert request.groupings == (("g", order),)


def test_any_order_of_fewer_keys_is_accepted() -> None:
    shapes = {
        "a": {"group_by": ["engagement.hour", "engagement.day", "tweet.id"]},
        "b": {"group_by": ["engagement.day"]},
        "c": {"group_by": ["engagement.hour", "engagement.type"]},
    }
    assert len(parsed("historical", body(groupings=shapes)).groupings) == 3


# Windows --------------------------------------------------------------------------------


def test_28hr_covers_the_last_28_hours_and_the_current_one() -> None:
    """Part A §11: the D1/ref-28hr example's 29 buckets, 17:00 to 22:00 the next day."""
    request = parsed("28hr", body())
    assert request.window == (utc(2015, 9, 14, 17), utc(2015, 9, 15, 22))
    assert (request.echo_start, request.echo_end) == (
        "2015-09-14T17:00:00Z",
        "2015-09-15T22:00:00Z",
    )
    on_the_hour = parsed("28hr", body(), utc(2015, 9, 15, 22))
    assert on_the_hour.window == (utc(2015, 9, 14, 18), utc(2015, 9, 15, 22))


def test_historical_without_a_range_covers_the_4_weeks_before_the_request() -> None:
    request = parsed("historical", body())
    assert request.window == (utc(2015, 8, 18, 22), utc(2015, 9, 15, 22))
    assert request.echo_end == "2015-09-15T22:00:00Z"


def test_totals_has_no_window() -> None:
    request = parsed("totals", body())
    assert request.window is None
    assert request.echo_start is request.echo_end is None


def test_historical_limits_are_inclusive() -> None:
    """The first day, an end at the clock and exactly 28 days are all allowed."""
    first = parsed("historical", body(start="2014-09-01", end="2014-09-29T00:00:00Z"))
    assert first.window == (facts.HISTORICAL_EARLIEST, utc(2014, 9, 29))
    last = parsed("historical", body(start="2015-09-01", end="2015-09-15T21:17:43Z"))
    assert last.window == (utc(2015, 9, 1), utc(2015, 9, 15, 22))


def test_historical_start_without_end_ends_now_rounded_up() -> None:
    """X's Ruby client and the enterprise Python scripts send a start alone; the API's
    end defaults to now, which rounds up to the end of the current hour."""
    request = parsed("historical", body(start="2015-09-01T10:30:00Z"))
    assert request.window == (utc(2015, 9, 1, 10), utc(2015, 9, 15, 22))
    assert (request.echo_start, request.echo_end) == (
        "2015-09-01T10:00:00Z",
        "2015-09-15T22:00:00Z",
    )
    in_this_hour = parsed("historical", body(start="2015-09-15T21:30:00Z"))
    assert in_this_hour.window == (utc(2015, 9, 15, 21), utc(2015, 9, 15, 22))


def test_historical_end_without_start_covers_the_28_days_before_it() -> None:
    request = parsed("historical", body(end="2015-07-10T08:37:00Z"))
    assert request.window == (utc(2015, 6, 12, 9), utc(2015, 7, 10, 9))
    assert request.echo_start == "2015-06-12T09:00:00Z"
    first = parsed("historical", body(end="2014-09-29"))
    assert first.window == (facts.HISTORICAL_EARLIEST, utc(2014, 9, 29))


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (utc(2015, 9, 15, 11, 16), "2015-09-15T12:00:00Z"),
        (utc(2015, 9, 15, 11, 16), "2015-09-15T11:14:00Z"),
        (utc(2015, 9, 15, 11, 16), "2015-09-15T11:59:59.999Z"),
        (utc(2015, 9, 15, 12), "2015-09-15T12:00:00Z"),
    ],
)
def test_an_end_in_the_current_hour_is_accepted(now: datetime, end: str) -> None:
    """The future is judged after rounding: at 11:16 an end of 11:14 and an end of 12:00
    both mean the hour that ends at 12:00, and both are accepted."""
    request = parsed("historical", body(start="2015-09-14", end=end), now)
    assert request.window == (utc(2015, 9, 14), utc(2015, 9, 15, 12))
    assert request.echo_end == "2015-09-15T12:00:00Z"


def test_an_end_past_the_current_hour_is_refused() -> None:
    found = problems(
        "historical", body(start="2015-09-14", end="2015-09-15T12:00:01Z"), utc(2015, 9, 15, 11, 16)
    )
    assert found == [
        "end 2015-09-15T12:00:01Z is in the future: after 2015-09-15T12:00:00Z, the end of "
        "the current hour (now is 2015-09-15T11:16:00Z)"
    ]


moments = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(now=moments, offset=st.timedeltas(timedelta(hours=-3), timedelta(hours=3)))
def test_an_end_is_refused_exactly_when_the_compiler_says_e405(
    now: datetime, offset: timedelta
) -> None:
    """The compiler's E405 and the sandbox judge an end the same way, after rounding."""
    end = now + offset
    start = max(end - timedelta(days=7), facts.HISTORICAL_EARLIEST)
    stamp = end.isoformat().replace("+00:00", "Z")
    query = (
        f"SELECT impressions FROM historical WHERE tweet = {TWEET} "
        f"AND time BETWEEN '{start.isoformat()}' AND '{stamp}'"
    )
    e405 = any(d.code == "E405" for d in engql.check(query, now=now))
    refused = parse_request("historical", body(start=start.isoformat(), end=stamp), now)
    in_future = isinstance(refused, list) and any("in the future" in p for p in refused)
    assert e405 == in_future


@given(now=moments, back=st.timedeltas(timedelta(minutes=1), facts.HISTORICAL_MAX_WINDOW))
def test_engqls_range_to_now_covers_what_a_start_alone_covers(
    now: datetime, back: timedelta
) -> None:
    """engql has no start-only range: ``time BETWEEN start AND now`` sends both, and the
    hours it covers are the hours of the start alone, whose end the API sets to now."""
    start = (now - back).replace(microsecond=0)
    if floor_hour(start) + facts.HISTORICAL_MAX_WINDOW < ceil_hour(now):
        start += timedelta(hours=1)  # rounded, the span would pass 28 days
    stamp = start.isoformat().replace("+00:00", "Z")
    query = (
        f"SELECT impressions FROM historical WHERE tweet = {TWEET} "
        f"AND time BETWEEN '{stamp}' AND now"
    )
    (request,) = engql.compile(query, now=now).requests
    sent = parsed("historical", request.body, now)
    alone = parsed("historical", body(start=stamp), now)
    assert sent.window == alone.window
    assert (sent.echo_start, sent.echo_end) == (alone.echo_start, alone.echo_end)


def test_a_compiled_end_in_the_current_hour_is_accepted() -> None:
    """At 11:16 engql accepts an end of 12:00, and so does the API."""
    now = utc(2016, 3, 1, 11, 16)
    query = (
        f"SELECT impressions FROM historical WHERE tweet = {TWEET} "
        "AND time BETWEEN '2016-03-01' AND '2016-03-01T12:00:00Z'"
    )
    (request,) = engql.compile(query, now=now).requests
    assert request.body["end"] == "2016-03-01T12:00:00Z"
    assert parsed("historical", request.body, now).window == (utc(2016, 3, 1), utc(2016, 3, 1, 12))


def test_historical_start_more_than_a_year_ago_is_accepted() -> None:
    """The 365-day limit of the overview is only a validator warning (W401)."""
    request = parsed("historical", body(start="2014-10-01", end="2014-10-08"), utc(2024, 7, 1))
    assert request.echo_start == "2014-10-01T00:00:00Z"


def test_offsets_and_fractions_are_read_as_utc() -> None:
    request = parsed(
        "historical",
        body(start="2015-08-01T05:30:00.250+05:30", end="2015-08-02T01:00-0100"),
    )
    assert request.window == (utc(2015, 8, 1), utc(2015, 8, 2, 2))


# Anything decoded from JSON gives a request or problems, never an exception --------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            [TWEET],
            ["impressions", "favorites"],
            {"g": {"group_by": FOUR_KEYS}},
            {"g": {"group_by": ["engagement.hour"]}},
            "2015-08-01",
            "2015-09-15T21:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01",
        ]
    ),
)
bodies = st.dictionaries(
    st.sampled_from(["tweet_ids", "engagement_types", "groupings", "start", "end", "x"]),
    field_values,
)


@given(endpoint=st.sampled_from(sorted(facts.ENDPOINTS)), data=bodies | json_values)
def test_any_json_gives_a_request_or_problems(endpoint: str, data: object) -> None:
    before = copy.deepcopy(data)
    result = parse_request(endpoint, data, NOW)
    assert data == before
    if isinstance(result, list):
        assert result
        assert all(isinstance(p, str) and p for p in result)
    else:
        assert result.tweet_ids and result.metrics and result.groupings
