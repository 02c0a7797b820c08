"""Sets of hours as runs (engql/store/hours.py): every operation equals the same
arithmetic on plain sets of epoch hours, and the runs it gives are normal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from engql.store.hours import (
    Hours,
    Run,
    count,
    epoch_hour,
    hour_start,
    intersection,
    minus,
    normal,
    union,
)

runs = st.lists(
    st.tuples(st.integers(-5, 60), st.integers(0, 12)).map(lambda r: (r[0], r[0] + r[1])),
    max_size=8,
)
"""Any runs: unsorted, overlapping, touching or empty."""
hours = runs.map(normal)


def hour_set(runs: list[Run]) -> set[int]:
    return {hour for start, end in runs for hour in range(start, end)}


def is_normal(found: Hours) -> bool:
    """Sorted, non-empty runs with a gap between each two."""
    return all(start < end for start, end in found) and all(a[1] < b[0] for a, b in pairwise(found))


@given(runs)
def test_normal_keeps_the_hours_and_is_idempotent(given_runs: list[Run]) -> None:
    once = normal(given_runs)
    assert hour_set(once) == hour_set(given_runs)
    assert is_normal(once)
    assert normal(once) == once
    assert count(once) == len(hour_set(given_runs))


@given(hours, hours)
def test_union_minus_and_intersection_are_set_arithmetic(a: Hours, b: Hours) -> None:
    for found, expected in (
        (union(a, b), hour_set(a) | hour_set(b)),
        (minus(a, b), hour_set(a) - hour_set(b)),
        (intersection(a, b), hour_set(a) & hour_set(b)),
    ):
        assert hour_set(found) == expected
        assert is_normal(found)
        assert normal(found) == found


def test_an_epoch_hour_holds_every_moment_of_its_hour() -> None:
    start = datetime(2024, 7, 1, 11, tzinfo=UTC)
    number = epoch_hour(start)
    assert hour_start(number) == start
    assert epoch_hour(start + timedelta(minutes=59, seconds=59)) == number
    assert epoch_hour(start - timedelta(microseconds=1)) == number - 1
