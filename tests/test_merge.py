"""Merging a statement's answers, and flattening a grouping into rows
(engql/executor/merge.py, engql/executor/rows.py).

The law, checked against the emulator's answers: the answers of a split plan (batches of
Tweets times windows of at most 28 days) merge into the answer one unlimited request over
every Tweet and the whole range would give, for any grouping of one to four keys. Then
the metadata rules one by one, counts as the API writes them, and the rows of each
documented shape (engagement-api.md §5.2).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engql
from engql import facts
from engql.executor.merge import MalformedAnswer, Merger, all_counts, count, merge_answers
from engql.executor.rows import columns, long_rows, row_values, wide_rows
from engql.plan.planner import Window, batches, ceil_hour, split_windows
from engql.sandbox.data import SyntheticEngagement
from engql.sandbox.responses import UNAVAILABLE_FORMS, answer
from engql.sandbox.rules import ParsedRequest, parse_request
from engql.times import iso

NOW = datetime(2016, 9, 1, 12, 34, 56, tzinfo=UTC)
DATA = SyntheticEngagement(seed=7)
TWEET, TYPE = facts.TWEET_ID, facts.ENGAGEMENT_TYPE
DAY, HOUR = facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR
FOUR_KEYS = (TWEET, TYPE, DAY, HOUR)
TYPE_FIRST = (TYPE, TWEET, DAY, HOUR)

Groupings = tuple[tuple[str, tuple[str, ...]], ...]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# The law: merge(split(request)) == unlimited request --------------------------------------


@dataclass
class Case:
    endpoint: str
    tweets: list[str]
    metrics: tuple[str, ...]
    groupings: Groupings
    batch_size: int
    windows: tuple[Window, ...]
    unavailable: frozenset[str]
    unavailable_form: str = "with-errors"

    def bodies(self) -> list[dict[str, Any]]:
        """Batches times windows, in plan order (engql.plan.planner)."""
        found = []
        for batch in batches(self.tweets, self.batch_size):
            for window in self.windows or (None,):
                body: dict[str, Any] = {
                    "tweet_ids": batch,
                    "engagement_types": list(self.metrics),
                    "groupings": {n: {"group_by": list(k)} for n, k in self.groupings},
                }
                if window is not None:
                    body["start"], body["end"] = iso(window.start), iso(window.end)
                found.append(body)
        return found

    def split_answers(self) -> list[dict[str, Any]]:
        return [
            answer(parsed(self.endpoint, b), DATA, NOW, self.unavailable, self.unavailable_form)
            for b in self.bodies()
        ]

    def unlimited_answer(self) -> dict[str, Any]:
        """One request for every Tweet over the whole range, past the 25/250/28-day limits."""
        first = parsed(self.endpoint, self.bodies()[0])
        whole = attrs.evolve(first, tweet_ids=tuple(self.tweets))
        if self.windows:
            start, end = self.windows[0].start, self.windows[-1].end
            whole = attrs.evolve(
                whole, window=(start, end), echo_start=iso(start), echo_end=iso(end)
            )
        return answer(whole, DATA, NOW, self.unavailable, self.unavailable_form)


def parsed(endpoint: str, body: dict[str, Any]) -> ParsedRequest:
    result = parse_request(endpoint, body, NOW)
    assert isinstance(result, ParsedRequest), result
    return result


def key_orders(endpoint: str) -> list[tuple[str, ...]]:
    """Every group_by the endpoint accepts: any order of one to three keys (hour without
    day, type first, time first), and the two documented four-key orders."""
    keys = facts.ENDPOINTS[endpoint].group_keys
    found = [p for size in range(1, min(len(keys), 3) + 1) for p in permutations(keys, size)]
    return found + (list(facts.FOUR_KEY_ORDERS) if len(keys) == 4 else [])


@st.composite
def groupings_for(draw: st.DrawFn, endpoint: str) -> Groupings:
    orders = key_orders(endpoint)
    shorter = [k for k in orders if len(k) < 4]
    chosen = draw(st.lists(st.sampled_from(shorter), min_size=1, max_size=3))
    if len(orders) > len(shorter) and draw(st.booleans()):  # at most one four-key grouping
        chosen[-1] = draw(st.sampled_from(facts.FOUR_KEY_ORDERS))
    return tuple((f"g{n}", keys) for n, keys in enumerate(chosen))


def tweets_created(low: datetime, high: datetime) -> st.SearchStrategy[str]:
    moments = st.datetimes(
        min_value=low.replace(tzinfo=None),
        max_value=high.replace(tzinfo=None),
        timezones=st.just(UTC),
    )
    return st.builds(
        lambda moment, n: str(facts.snowflake_id_at(moment) + n), moments, st.integers(0, 2**22 - 1)
    )


@st.composite
def cases(draw: st.DrawFn, endpoint: str) -> Case:
    api = facts.ENDPOINTS[endpoint]
    if endpoint == "historical":
        start = draw(
            st.datetimes(min_value=datetime(2015, 8, 1), max_value=datetime(2016, 5, 1))
        ).replace(tzinfo=UTC)
        span = draw(
            st.one_of(
                st.timedeltas(timedelta(minutes=1), timedelta(days=3)),
                st.timedeltas(timedelta(days=27), timedelta(days=29)),
                st.timedeltas(timedelta(minutes=1), timedelta(days=70)),
            )
        )
        windows = split_windows(start, start + span)
        created = tweets_created(start - timedelta(days=2), start + span)
        size = st.integers(1, 6)
    elif endpoint == "28hr":
        windows = ()
        created = tweets_created(NOW - timedelta(days=4), NOW)
        size = st.integers(1, 12)
    else:
        windows = ()
        # Old enough for the 90-day and 1800-day limits, and pre-Snowflake IDs.
        created = st.one_of(tweets_created(utc(2011, 1, 1), NOW), st.integers(1, 10**9).map(str))
        size = st.integers(1, 40)
    count = draw(size)
    tweets = draw(st.lists(created, min_size=count, max_size=count, unique=True))
    metrics = draw(st.lists(st.sampled_from(api.metrics), min_size=1, max_size=3, unique=True))
    batch_size = draw(st.one_of(st.integers(1, 3), st.just(api.max_tweet_ids)))
    unavailable = draw(st.sets(st.sampled_from(tweets), max_size=2))
    return Case(
        endpoint,
        tweets,
        tuple(metrics),
        draw(groupings_for(endpoint)),
        batch_size,
        windows,
        frozenset(unavailable),
        draw(st.sampled_from(UNAVAILABLE_FORMS)),
    )


@settings(max_examples=40)
@given(case=cases("historical"))
def test_historical_windows_and_batches_merge_into_the_unlimited_answer(case: Case) -> None:
    assert merge_answers(case.groupings, case.split_answers()) == case.unlimited_answer()


@settings(max_examples=40)
@given(case=cases("totals"))
def test_totals_batches_merge_into_the_unlimited_answer(case: Case) -> None:
    assert merge_answers(case.groupings, case.split_answers()) == case.unlimited_answer()


@settings(max_examples=20)
@given(case=cases("28hr"))
def test_28hr_batches_merge_into_the_unlimited_answer(case: Case) -> None:
    assert merge_answers(case.groupings, case.split_answers()) == case.unlimited_answer()


@settings(max_examples=25)
@given(case=cases("historical"), seed=st.integers(0, 2**32))
def test_the_order_of_arrival_changes_no_count(case: Case, seed: int) -> None:
    """The executor merges answers as they arrive: only the ID lists' order may differ."""
    shuffled = case.split_answers()
    random.Random(seed).shuffle(shuffled)
    merged, expected = merge_answers(case.groupings, shuffled), case.unlimited_answer()
    assert set(merged) == set(expected)
    for key, value in expected.items():
        if key.endswith("_tweet_ids"):
            assert sorted(merged[key]) == sorted(value)
        else:
            assert merged[key] == value, key


def test_a_compiled_plan_merges_into_the_unlimited_answer() -> None:
    """The planner's real bodies: 30 Tweets are two batches, 60 days three windows, the
    last one ending at the clock (not on the hour)."""
    base = facts.snowflake_id_at(utc(2016, 7, 10))
    tweets = [str(base + n * 10**12) for n in range(30)]
    text = f"""
        SELECT impressions, favorites FROM historical
        WHERE tweet IN ({", ".join(tweets)}) AND time BETWEEN '2016-07-03T05:30:00Z' AND now
        GROUP BY tweet.id, engagement.type, engagement.day AS daily
        GROUP BY engagement.type, engagement.hour AS hour_of_day
        GROUP BY engagement.type AS totals;
    """
    plan = engql.compile(text, now=NOW)
    (statement,) = plan.statements
    assert (statement.batch_count, len(statement.windows)) == (2, 3)
    answers = [answer(parsed(r.endpoint, r.body), DATA, NOW) for r in statement.requests]
    whole = attrs.evolve(
        parsed("historical", statement.requests[0].body),
        tweet_ids=tuple(tweets),
        window=(utc(2016, 7, 3, 5), ceil_hour(NOW)),
        echo_start="2016-07-03T05:00:00Z",
        echo_end=iso(ceil_hour(NOW)),
    )
    merged = merge_answers(statement.query.groupings, answers)
    assert merged == answer(whole, DATA, NOW)
    assert int(merged["totals"]["impressions"]) > 0


# Metadata ---------------------------------------------------------------------------------


def test_start_is_the_earliest_and_end_the_latest() -> None:
    answers = [
        {"start": "2016-02-01T00:00:00Z", "end": "2016-02-29T00:00:00Z", "g": {}},
        {"start": "2016-01-04T00:00:00Z", "end": "2016-02-01T00:00:00Z", "g": {}},
        {"start": "2016-02-29T00:00:00Z", "end": "2016-03-10T19:43:00Z", "g": {}},
    ]
    merged = merge_answers([("g", (TWEET, TYPE))], answers)
    assert merged == {"start": "2016-01-04T00:00:00Z", "end": "2016-03-10T19:43:00Z", "g": {}}


def test_no_start_end_lists_or_errors_unless_an_answer_has_them() -> None:
    merged = merge_answers([("g", (TYPE,))], [{"g": {"favorites": "1"}}] * 2)
    assert merged == {"g": {"favorites": "2"}}


def test_id_lists_are_ordered_unions() -> None:
    answers = [
        {
            "unavailable_tweet_ids": ["3", "1"],
            "unsupported_for_video_views_tweet_ids": ["7"],
            "g": {},
        },
        {
            "unavailable_tweet_ids": ["1", "2"],
            "unsupported_for_impressions_engagements_tweet_ids": ["8", "9"],
            "unsupported_for_video_views_tweet_ids": ["7", 6],
            "g": {},
        },
    ]
    merged = merge_answers([("g", (TWEET, TYPE))], answers)
    assert merged["unavailable_tweet_ids"] == ["3", "1", "2"]
    assert merged["unsupported_for_impressions_engagements_tweet_ids"] == ["8", "9"]
    assert merged["unsupported_for_video_views_tweet_ids"] == ["7", "6"]


def test_the_unavailable_count_is_recounted_and_other_notes_kept_once() -> None:
    too_old = "Impressions & engagements for tweets older than 90 days (x) are not supported"
    answers = [
        {"errors": [too_old], "unsupported_for_impressions_engagements_tweet_ids": ["5"]},
        {"errors": ["2 Tweet ID(s) are unavailable", too_old], "unavailable_tweet_ids": ["1", "2"]},
        {
            "errors": ["2 Tweet ID(s) are unavailable", "another"],
            "unavailable_tweet_ids": ["2", "3"],
        },
    ]
    merged = merge_answers([], answers)
    assert merged["errors"] == ["3 Tweet ID(s) are unavailable", too_old, "another"]
    assert merged["unavailable_tweet_ids"] == ["1", "2", "3"]


def test_unavailable_ids_without_a_note_get_none() -> None:
    """Part B §5.3 shows unavailable Tweets with and without the errors string: an answer
    that had none does not get one from the merge."""
    answers = [
        {"unavailable_tweet_ids": ["1"], "g": {"favorites": "1"}},
        {"unavailable_tweet_ids": ["2"], "g": {"favorites": "2"}},
    ]
    merged = merge_answers([("g", (TYPE,))], answers)
    assert merged == {"unavailable_tweet_ids": ["1", "2"], "g": {"favorites": "3"}}


def test_an_unavailable_note_without_ids_is_kept_as_it_is() -> None:
    answers = [
        {"errors": ["2 Tweet ID(s) are unavailable"]},
        {"errors": ["1 Tweet ID(s) are unavailable"]},
    ]
    assert merge_answers([], answers) == {
        "errors": ["2 Tweet ID(s) are unavailable", "1 Tweet ID(s) are unavailable"]
    }


def test_a_grouping_an_answer_lacks_adds_nothing() -> None:
    merged = merge_answers(
        [("g", (TYPE,)), ("h", (TWEET, TYPE))],
        [{"g": {"favorites": "4"}}, {"unavailable_tweet_ids": ["1"]}],
    )
    assert merged["g"] == {"favorites": "4"}
    assert merged["h"] == {}


# Counts -----------------------------------------------------------------------------------


def test_counts_may_be_bare_integers_and_negative() -> None:
    groupings = [("g", (TWEET, TYPE, HOUR))]
    answers = [
        {"g": {"1": {"favorites": {"17": "5", "18": 26}}, "2": {"favorites": {"17": 4}}}},
        {"g": {"1": {"favorites": {"17": "-7", "18": 1, "19": "-2"}}}},
        {"g": {"1": {"favorites": {"18": "-30"}}}},
    ]
    merged = merge_answers(groupings, answers)
    assert merged["g"] == {
        "1": {"favorites": {"17": "-2", "18": "-3", "19": "-2"}},
        "2": {"favorites": {"17": 4}},  # untouched by any sum: as the server sent it
    }
    assert list(wide_rows(merged["g"], groupings[0][1], ["favorites"])) == [
        {"tweet_id": "1", "hour": "17", "favorites": -2},
        {"tweet_id": "1", "hour": "18", "favorites": -3},
        {"tweet_id": "1", "hour": "19", "favorites": -2},
        {"tweet_id": "2", "hour": "17", "favorites": 4},
    ]


def test_big_counts_stay_exact() -> None:
    big = str(2**61 + 1)
    merged = merge_answers([("g", (TYPE,))], [{"g": {"impressions": big}}] * 3)
    assert merged["g"]["impressions"] == str(3 * (2**61 + 1))


@pytest.mark.parametrize(
    "big", [str(2**63), 2**63, "9" * 30, -(2**63) - 1, pytest.param(10**5000, id="5000 digits")]
)
def test_a_count_past_64_bits_is_no_count(big: object) -> None:
    """Stores, Parquet and pandas hold counts as int64: one past it would fail there, so
    the shape check refuses the answer (and the attempt is retried)."""
    with pytest.raises(MalformedAnswer, match="counts are 64-bit integers"):
        count(big)
    assert not all_counts([big])
    assert all_counts([str(2**63 - 1), -(2**63), str(-(2**63))])
    with pytest.raises(MalformedAnswer, match="counts are 64-bit integers"):
        merge_answers([("g", (TYPE,))], [{"g": {"impressions": "1"}}, {"g": {"impressions": big}}])


@pytest.mark.parametrize(
    ("first", "second", "problem"),
    [
        ({"1": {"favorites": "1"}}, {"1": {"favorites": "x"}}, "'x' is not a count"),
        ({"1": {"favorites": "1"}}, {"1": {"favorites": 1.5}}, "1.5 is not a count"),
        ({"1": {"favorites": "1"}}, {"1": {"favorites": True}}, "True is not a count"),
        ({"1": {"favorites": "1"}}, {"1": {"favorites": " 1"}}, "' 1' is not a count"),
        ({"1": {"favorites": "1"}}, {"1": {"favorites": {"17": "1"}}}, "count in one answer"),
        ({"1": {"favorites": "1"}}, {"1": "3"}, "count in one answer and an object"),
    ],
)
def test_a_malformed_answer_is_named_with_its_place(
    first: dict[str, Any], second: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedAnswer, match="grouping 'g'") as raised:
        merge_answers([("g", (TWEET, TYPE))], [{"g": first}, {"g": second}])
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "yesterday"},
        {"end": 5},
        {"unavailable_tweet_ids": "123"},
        {"errors": "1 Tweet ID(s) are unavailable"},
    ],
)
def test_malformed_metadata_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(MalformedAnswer):
        merge_answers([], [bad])


# The Merger: incremental, never changing what it was given or what it returned ----------


def test_answers_are_not_changed_and_results_are_snapshots() -> None:
    case = Case(
        "historical",
        [str(facts.snowflake_id_at(utc(2016, 3, 1)) + n) for n in range(3)],
        ("impressions", "retweets"),
        (("a", FOUR_KEYS), ("b", (TYPE, HOUR)), ("c", (TYPE,))),
        2,
        split_windows(utc(2016, 2, 20, 7), utc(2016, 4, 20, 3)),
        frozenset(),
    )
    answers = case.split_answers()
    kept = copy.deepcopy(answers)
    merger = Merger(case.groupings)
    snapshots = []
    for item in answers:
        merger.add(item)
        result = merger.result()
        snapshots.append((result, copy.deepcopy(result)))
    assert answers == kept
    for result, copied in snapshots:
        assert result == copied
    assert merger.answers == len(answers)
    assert snapshots[-1][0] == case.unlimited_answer()
    assert snapshots[0][0] == answers[0]


def test_one_answer_merges_into_itself() -> None:
    tweets = [str(facts.snowflake_id_at(utc(2016, 3, 1)) + n) for n in range(4)]
    case = Case(
        "totals",
        tweets,
        ("favorites", "impressions"),
        (("g", (TYPE, TWEET)),),
        250,
        (),
        frozenset(tweets[1:2]),
    )
    (only,) = case.split_answers()
    assert merge_answers(case.groupings, [only]) == only


# Rows: the documented shapes (engagement-api.md §5.2) ---------------------------------------

TOTALS = {"favorites": "530", "quote_tweets": "79", "replies": "147", "retweets": "323"}
TOTALS_METRICS = ("retweets", "quote_tweets", "favorites", "replies")


def wide(grouping: Any, keys: tuple[str, ...], metrics: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The wide rows as tuples, after checking each row's columns are ``columns()``."""
    found = list(wide_rows(grouping, keys, metrics))
    for row in found:
        assert list(row) == columns(keys, metrics)
    return [tuple(row.values()) for row in found]


def long(grouping: Any, keys: tuple[str, ...], metrics: tuple[str, ...]) -> list[tuple[Any, ...]]:
    found = list(long_rows(grouping, keys, metrics))
    for row in found:
        assert list(row) == columns(keys, metrics, long=True)
    return [tuple(row.values()) for row in found]


def test_grand_totals() -> None:
    grouping = {"favorites": "12", "replies": "2", "retweets": "2"}
    metrics = ("favorites", "replies", "retweets")
    assert columns((TYPE,), metrics) == list(metrics)
    assert wide(grouping, (TYPE,), metrics) == [(12, 2, 2)]
    assert columns((TYPE,), metrics, long=True) == ["metric", "value"]
    assert long(grouping, (TYPE,), metrics) == [("favorites", 12), ("replies", 2), ("retweets", 2)]


def test_tweet_then_type_and_type_then_tweet_give_the_same_rows() -> None:
    by_tweet = {"1021817816134156288": TOTALS, "850006245121695744": TOTALS}
    by_type = {m: {t: v[m] for t, v in by_tweet.items()} for m in TOTALS}
    expected = [
        ("850006245121695744", 323, 79, 530, 147),
        ("1021817816134156288", 323, 79, 530, 147),
    ]
    assert columns((TYPE, TWEET), TOTALS_METRICS) == ["tweet_id", *TOTALS_METRICS]
    assert wide(by_tweet, (TWEET, TYPE), TOTALS_METRICS) == expected
    assert wide(by_type, (TYPE, TWEET), TOTALS_METRICS) == expected
    assert long(by_type, (TYPE, TWEET), TOTALS_METRICS)[:5] == [
        ("850006245121695744", "retweets", 323),
        ("850006245121695744", "quote_tweets", 79),
        ("850006245121695744", "favorites", 530),
        ("850006245121695744", "replies", 147),
        ("1021817816134156288", "retweets", 323),
    ]


def test_daily_per_tweet() -> None:
    grouping = {
        "2": {
            "impressions": {"2016-02-11": "5", "2016-02-10": "7"},
            "favorites": {"2016-02-10": "1"},
        },
        "10": {"impressions": {"2016-02-10": "3"}},
    }
    metrics = ("impressions", "favorites")
    assert columns((TWEET, TYPE, DAY), metrics) == ["tweet_id", "day", "bucket_start", *metrics]
    assert wide(grouping, (TWEET, TYPE, DAY), metrics) == [
        ("2", "2016-02-10", "2016-02-10T00:00:00Z", 7, 1),
        ("2", "2016-02-11", "2016-02-11T00:00:00Z", 5, 0),
        ("10", "2016-02-10", "2016-02-10T00:00:00Z", 3, 0),
    ]
    assert columns((TWEET, TYPE, DAY), metrics, bucket=False) == ["tweet_id", "day", *metrics]
    assert row_values(grouping, (TWEET, TYPE, DAY), metrics, bucket=False)[0] == (
        "2",
        "2016-02-10",
        7,
        1,
    )


def test_four_keys_either_documented_order() -> None:
    tweet_first = {
        "123456789": {
            "impressions": {
                "2015-09-15": {"01": "2", "00": "5"},
                "2015-09-14": {"18": "412", "17": "551"},
            },
            "engagements": {"2015-09-14": {"17": "-1"}},
        }
    }
    type_first = {
        "engagements": {"123456789": tweet_first["123456789"]["engagements"]},
        "impressions": {"123456789": tweet_first["123456789"]["impressions"]},
    }
    metrics = ("impressions", "engagements")
    expected = [
        ("123456789", "2015-09-14", "17", "2015-09-14T17:00:00Z", 551, -1),
        ("123456789", "2015-09-14", "18", "2015-09-14T18:00:00Z", 412, 0),
        ("123456789", "2015-09-15", "00", "2015-09-15T00:00:00Z", 5, 0),
        ("123456789", "2015-09-15", "01", "2015-09-15T01:00:00Z", 2, 0),
    ]
    assert columns(TYPE_FIRST, metrics) == ["tweet_id", "day", "hour", "bucket_start", *metrics]
    assert wide(tweet_first, FOUR_KEYS, metrics) == expected
    assert wide(type_first, TYPE_FIRST, metrics) == expected
    assert columns(TYPE_FIRST, metrics, long=True) == [
        "tweet_id",
        "day",
        "hour",
        "bucket_start",
        "metric",
        "value",
    ]
    assert long(type_first, TYPE_FIRST, metrics)[:3] == [
        ("123456789", "2015-09-14", "17", "2015-09-14T17:00:00Z", "impressions", 551),
        ("123456789", "2015-09-14", "17", "2015-09-14T17:00:00Z", "engagements", -1),
        ("123456789", "2015-09-14", "18", "2015-09-14T18:00:00Z", "impressions", 412),
    ]


def test_timeline_of_all_tweets() -> None:
    grouping = {
        "impressions": {"2016-02-10": {"18": "3", "17": "4"}},
        "favorites": {"2016-02-10": {"17": "1"}},
    }
    metrics = ("favorites", "impressions")
    assert wide(grouping, (TYPE, DAY, HOUR), metrics) == [
        ("2016-02-10", "17", "2016-02-10T17:00:00Z", 1, 4),
        ("2016-02-10", "18", "2016-02-10T18:00:00Z", 0, 3),
    ]


def test_hour_of_day_buckets() -> None:
    grouping = {"impressions": {"695310089847111681": {"23": "8", "00": "18", "09": "1"}}}
    assert columns((TYPE, TWEET, HOUR), ("impressions",)) == ["tweet_id", "hour", "impressions"]
    assert wide(grouping, (TYPE, TWEET, HOUR), ("impressions",)) == [
        ("695310089847111681", "00", 18),
        ("695310089847111681", "09", 1),
        ("695310089847111681", "23", 8),
    ]


def test_key_columns_keep_their_order_whatever_the_group_by() -> None:
    keys = (HOUR, DAY, TYPE, TWEET)  # not a four-key order the API takes; rows still read it
    grouping = {
        "05": {"2016-01-02": {"favorites": {"9": "1", "10": "2"}}},
        "04": {"2016-01-03": {"favorites": {"9": "3"}}},
    }
    assert columns(keys, ("favorites",)) == ["tweet_id", "day", "hour", "bucket_start", "favorites"]
    assert wide(grouping, keys, ("favorites",)) == [
        ("9", "2016-01-02", "05", "2016-01-02T05:00:00Z", 1),
        ("9", "2016-01-03", "04", "2016-01-03T04:00:00Z", 3),
        ("10", "2016-01-02", "05", "2016-01-02T05:00:00Z", 2),
    ]


def test_metrics_not_asked_for_are_left_out() -> None:
    grouping = {"1": {"favorites": "1", "replies": "2"}}
    assert wide(grouping, (TWEET, TYPE), ("favorites", "retweets")) == [("1", 1, 0)]


def test_a_grouping_without_engagement_type_has_one_value_column() -> None:
    grouping = {"2016-01-02": {"1000": "3", "999": "4"}, "2016-01-01": {"1000": "1"}}
    keys = (DAY, TWEET)
    metrics = ("favorites", "replies")
    expected = [
        ("999", "2016-01-02", "2016-01-02T00:00:00Z", 4),
        ("1000", "2016-01-01", "2016-01-01T00:00:00Z", 1),
        ("1000", "2016-01-02", "2016-01-02T00:00:00Z", 3),
    ]
    assert columns(keys, metrics) == ["tweet_id", "day", "bucket_start", "value"]
    assert columns(keys, metrics, long=True) == ["tweet_id", "day", "bucket_start", "value"]
    assert wide(grouping, keys, metrics) == long(grouping, keys, metrics) == expected
    assert wide({"9": "1", "10": "2"}, (TWEET,), metrics) == [("9", 1), ("10", 2)]


def test_an_empty_grouping_has_no_rows() -> None:
    assert wide({}, FOUR_KEYS, ("impressions",)) == long({}, FOUR_KEYS, ("impressions",)) == []


@pytest.mark.parametrize(
    ("grouping", "keys"),
    [
        ({"1": "5"}, (TWEET, TYPE)),
        ({"1": {"favorites": {"x": "1"}}}, (TWEET, TYPE)),
        ({"1": {"favorites": "many"}}, (TWEET, TYPE)),
        ({"@me": {"favorites": "1"}, "2": {"favorites": "1"}}, (TWEET, TYPE)),
    ],
)
def test_rows_of_a_grouping_that_does_not_nest_as_its_keys(
    grouping: Any, keys: tuple[str, ...]
) -> None:
    with pytest.raises(MalformedAnswer):
        list(wide_rows(grouping, keys, ("favorites",)))


@settings(max_examples=30)
@given(case=cases("historical"), data=st.data())
def test_rows_do_not_depend_on_the_nesting_order(case: Case, data: st.DataObject) -> None:
    """Two orders of the same keys give the same rows; each metric column adds up to the
    grand total; long rows are the wide rows unpivoted."""
    keys = data.draw(st.sampled_from([k for k in key_orders("historical") if TYPE in k]))
    orders = facts.FOUR_KEY_ORDERS if len(keys) == 4 else tuple(permutations(keys))
    other = data.draw(st.sampled_from(orders))
    case = replace(case, groupings=(("a", keys), ("t", (TYPE,))), unavailable=frozenset())
    reordered = replace(case, groupings=(("b", other),))  # one four-key grouping a request
    merged = merge_answers(case.groupings, case.split_answers())
    found = list(wide_rows(merged["a"], keys, case.metrics))
    assert wide(merged["a"], keys, case.metrics) == wide(
        merge_answers(reordered.groupings, reordered.split_answers())["b"], other, case.metrics
    )
    for metric in case.metrics:
        assert sum(row[metric] for row in found) == int(merged["t"][metric])
    assert list(long_rows(merged["a"], keys, case.metrics)) == [
        {**{k: v for k, v in row.items() if k not in case.metrics}, "metric": m, "value": row[m]}
        for row in found
        for m in case.metrics
    ]
    sort_key = [
        (int(r["tweet_id"]) if "tweet_id" in r else 0, r.get("day"), r.get("hour")) for r in found
    ]
    assert sort_key == sorted(sort_key)
