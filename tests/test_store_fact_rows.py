"""An answer as fact rows: the fast path a collection's hourly answers take gives the
rows of the general flattening the outputs use, and anything not of the plain shape is
read (or refused) by the general path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engql
from engql.executor.merge import MalformedAnswer
from engql.executor.rows import row_values
from engql.store import fact_rows as rows_of
from engql.store.sqlite import text_time

NOW = datetime(2024, 7, 1, tzinfo=UTC)
METRICS = ("impressions", "favorites", "replies")
HOURLY = (
    engql.compile(
        "SELECT impressions, favorites, replies FROM historical WHERE tweet IN (20, 30) "
        "AND time BETWEEN '2024-06-01' AND '2024-06-03' "
        "GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour AS hours;",
        now=NOW,
    )
    .statements[0]
    .query
)
counts = st.one_of(st.integers(0, 10**12), st.integers(-50, -1)).map(str)
hours = st.dictionaries(st.sampled_from([f"{h:02}" for h in range(24)]), counts, max_size=6)
days = st.dictionaries(st.sampled_from(["2024-05-31", "2024-06-01", "2024-06-02"]), hours)
answers = st.dictionaries(
    st.integers(1, 2**63 - 1).map(str),
    st.fixed_dictionaries({metric: days for metric in METRICS}),
    max_size=4,
)


@st.composite
def plain_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Answers as the API gives them: every Tweet and metric with the same buckets."""
    skeleton = draw(
        st.dictionaries(
            st.sampled_from(["2024-05-31", "2024-06-01"]),
            st.sets(st.sampled_from([f"{h:02}" for h in range(24)]), min_size=1, max_size=5),
        )
    )
    tweets = draw(st.lists(st.integers(1, 2**63 - 1).map(str), max_size=3, unique=True))
    return {
        tweet: {
            metric: {day: {hour: draw(counts) for hour in hours} for day, hours in skeleton.items()}
            for metric in METRICS
        }
        for tweet in tweets
    }


def general(grouping: Any, metrics: tuple[str, ...]) -> list[tuple[Any, ...]]:
    keys = rows_of.HOURLY_KEYS
    values = row_values(grouping, keys, metrics, long=True, bucket=False)
    if not values:
        return []
    head = ("collection", "hours", "historical")
    return list(rows_of._grouping_rows(keys, values, text_time, head, ("at", 1)))


@given(answers, st.sampled_from([METRICS, METRICS[:1], METRICS[1:]]))
def test_the_hourly_fast_path_gives_the_rows_of_the_general_one(
    grouping: dict[str, Any], metrics: tuple[str, ...]
) -> None:
    fast = rows_of.fact_rows(
        HOURLY, {"hours": grouping}, text_time, ("collection",), ("at", 1), metrics
    )
    assert sorted(fast, key=repr) == sorted(general(grouping, metrics), key=repr)


@given(plain_answers())
def test_answers_of_the_plain_shape_take_the_fast_path(grouping: dict[str, Any]) -> None:
    head = ("collection", "hours", "historical")
    fast = rows_of._hourly_rows(grouping, METRICS, text_time, head, ("at", 1))
    assert fast is not None
    assert sorted(fast, key=repr) == sorted(general(grouping, METRICS), key=repr)


@pytest.mark.parametrize(
    "grouping",
    [
        {"20": {"impressions": {"2024-06-01": {"00": "x"}}}},
        {"20": {"impressions": {"2024-06-01": "5"}}},
        {"20": "5"},
        {"twenty": {"impressions": {"2024-06-01": {"00": "5"}}}},
    ],
)
def test_an_answer_not_of_the_plain_shape_is_refused_as_the_general_path_refuses_it(
    grouping: dict[str, Any],
) -> None:
    with pytest.raises(MalformedAnswer):
        rows_of.fact_rows(
            HOURLY, {"hours": grouping}, text_time, ("c",), ("at", 1), ("impressions",)
        )


def test_a_metric_an_answer_lacks_reads_as_zero_as_the_outputs_read_it() -> None:
    grouping = {"20": {"impressions": {"2024-06-01": {"00": "7"}}}}
    found = rows_of.fact_rows(
        HOURLY, {"hours": grouping}, text_time, ("c",), ("at", 1), ("impressions", "replies")
    )
    assert [(row[4], row[7]) for row in found] == [("impressions", 7), ("replies", 0)]
