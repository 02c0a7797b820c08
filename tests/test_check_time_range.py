"""The time range: where one is allowed, its bounds and parameters (engql/check/time_range.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from check_harness import (
    FEB_RANGE,
    MID_JAN,
    TIME_PARAMS,
    Case,
    T,
    assert_case,
    assert_codes,
    assert_valid,
    body,
    check,
    codes,
    diagnose,
)

CASES: list[Case] = [
    Case(
        "E306",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN :start AND now",
        [("E306", 1, 76, "parameter :start is not bound")],
    ),
    Case(
        "E310",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN :start AND now",
        [("E310", 1, 76, "parameter :start holds an int, not a time")],
        {"params": {"start": 5}},
    ),
    Case(
        "E401",
        f"SELECT favorites FROM totals WHERE tweet = {T} AND time BETWEEN now - 2 days AND now",
        [("E401", 1, 67, "/totals takes no time range: it always covers the Tweet's whole")],
    ),
    Case(
        "E401",
        f"SELECT favorites FROM 28hr WHERE tweet = {T} AND time BETWEEN now - 2 days AND now",
        [("E401", 1, 65, "/28hr takes no time range: it always covers the last 28 hours")],
    ),
    Case(
        "E402",
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN '2016-02-30' AND 'yesterday'",
        [
            ("E402", 2, 20, "'2016-02-30' is not an ISO date or date-time"),
            ("E402", 2, 37, "'yesterday' is not an ISO date or date-time"),
        ],
    ),
    Case(
        "E403",
        f"SELECT impressions FROM historical WHERE tweet = {MID_JAN}\n"
        "  AND time BETWEEN '2016-02-15' AND '2016-02-01'",
        [("E403", 2, 7, "the range starts (2016-02-15 00:00Z) at or after it ends (2016-02-01")],
    ),
    Case(
        "E404",
        "SELECT impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2014-08-31' AND '2014-09-10'",
        [("E404", 2, 20, "the range starts 2014-08-31, before the API's first day, 2014-09-01")],
    ),
    Case(
        "E405",
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN now - 1 day AND now + 1 hour",
        [("E405", 2, 36, "the range ends in the future (2016-03-01 01:00Z)")],
    ),
    Case(
        "E406",
        f"SELECT impressions FROM historical WHERE tweet = {MID_JAN}\n"
        f"  AND {FEB_RANGE}\n  AND {FEB_RANGE}",
        [("E406", 3, 7, "a time range is already given in this statement")],
    ),
    Case(
        "W401",
        "SELECT impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2015-02-01' AND '2015-02-20'",
        [("W401", 2, 20, "the range starts more than 365 days ago")],
    ),
    Case(
        "W402",
        "SELECT favorites, impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2015-09-01' AND '2015-09-20'",
        [("W402", 2, 20, "favorites read as zero before 2015-09-15 on /historical")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


@pytest.mark.parametrize(
    "end", ["'2016-03-01T12:00:00Z'", "'2016-03-01T11:14'", "'2016-03-01T11:59:59Z'"]
)
def test_an_end_in_the_current_hour_is_not_in_the_future(end: str) -> None:
    """The API rounds an end up to the hour before judging it: at 11:16 an end of 12:00 is
    the same hour as an end of 11:14, and both are accepted (E405 only past 12:00)."""
    now = datetime(2016, 3, 1, 11, 16, tzinfo=UTC)
    assert_valid(
        f"SELECT impressions FROM historical WHERE tweet = {T} "
        f"AND time BETWEEN now - 1 day AND {end}",
        now=now,
    )


def test_an_end_past_the_current_hour_is_e405() -> None:
    assert_codes(
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN now - 1 day AND '2016-03-01T12:00:01Z'",
        [("E405", 2, 36, "the end of the current hour, 2016-03-01 12:00Z")],
        now=datetime(2016, 3, 1, 11, 16, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2016, 2, 1, tzinfo=UTC), datetime(2016, 2, 15, tzinfo=UTC)),
        (datetime(2016, 2, 1), datetime(2016, 2, 15)),
        (date(2016, 2, 1), date(2016, 2, 15)),
        ("2016-02-01", "2016-02-15T00:00:00Z"),
        (
            datetime(2016, 2, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            "2016-02-15T01:00:00+01:00",
        ),
    ],
)
def test_time_parameter_values(start: object, end: object) -> None:
    params = {"a": start, "b": end}
    assert diagnose(TIME_PARAMS, params=params) == []
    sent = body(TIME_PARAMS, params=params)
    assert (sent["start"], sent["end"]) == ("2016-02-01T00:00:00Z", "2016-02-15T00:00:00Z")


def test_time_parameters_unbound_and_unreadable() -> None:
    assert_codes(
        TIME_PARAMS,
        [
            ("E306", 1, 86, "parameter :a is not bound"),
            ("E306", 1, 93, "parameter :b is not bound"),
        ],
    )
    found = assert_codes(
        TIME_PARAMS,
        [
            ("E402", 1, 86, "'soon' is not an ISO date"),
            ("E310", 1, 93, "parameter :b holds an int, not a time"),
        ],
        params={"a": "soon", "b": 5},
    )
    assert found[1].message == "parameter :b holds an int, not a time"
    wrong_kind = check(TIME_PARAMS, params={"a": "soon", "b": 5})[1]
    assert wrong_kind.hint == "bind a datetime, a date or ISO text like 2024-01-01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "parameter :a holds an int, not a time"),
        (1.5, "parameter :a holds a float, not a time"),
        (True, "parameter :a holds a bool, not a time"),
        ([date(2016, 2, 1)], "parameter :a holds a list, not a time"),
    ],
)
def test_time_parameter_of_the_wrong_kind(value: object, message: str) -> None:
    params = {"a": value, "b": date(2016, 2, 15)}
    found = assert_codes(TIME_PARAMS, [("E310", 1, 86, message)], params=params)
    assert found[0].message == message


@pytest.mark.parametrize("endpoint", ["totals", "28hr"])
@pytest.mark.parametrize(
    "range_text",
    [
        "'2015-02-01' AND '2015-02-20'",
        "'2015-09-01' AND '2015-09-20'",
        "'2014-06-01' AND '2014-09-15'",
    ],
)
def test_old_ranges_on_endpoints_without_a_range_give_only_e401(
    endpoint: str, range_text: str
) -> None:
    """W401, W402 and E404 describe /historical's data; elsewhere the range is E401 alone."""
    text = f"SELECT favorites FROM {endpoint} WHERE tweet = 20 AND time BETWEEN {range_text}"
    assert codes(text) == ["E401"]


def test_a_start_before_the_first_day_gives_no_public_counts_warning() -> None:
    text = (
        "SELECT favorites, impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2014-06-01' AND '2014-09-15'"
    )
    assert_codes(text, [("E404", 2, 20, "the range starts 2014-06-01, before the API's first")])


def test_historical_start_on_the_first_day_warns_only_of_age() -> None:
    text = (
        "SELECT impressions FROM historical WHERE tweet = 20 AND time BETWEEN '2014-09-01' AND now"
    )
    assert codes(text) == ["W401"]


def test_historical_window_a_year_ago_is_not_too_old() -> None:
    text = (
        "SELECT impressions FROM historical WHERE tweet = 20"
        " AND time BETWEEN now - 365 days AND now"
    )
    assert_valid(text)
    assert codes(text.replace("365", "366")) == ["W401"]
