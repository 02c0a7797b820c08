"""The planner's laws, for any input: every ID once in order, every hour once.

Part A §1-3: IDs de-duplicated keeping the first, in consecutive batches of the
endpoint's size; a /historical range aligned to the hour (start down, end up) and cut
into contiguous windows of at most 28 days; one request per batch and window. The laws
are checked on ``batches`` and ``split_windows`` directly and through ``engql.compile``.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

import engql
from engql import facts
from engql.plan.planner import Window, batches, ceil_hour, floor_hour, split_windows

HOUR = timedelta(hours=1)
MAX_WINDOW = timedelta(days=28)
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
BATCH_SIZES = {name: e.max_tweet_ids for name, e in facts.ENDPOINTS.items()}

FAST = settings(max_examples=60, deadline=None)

moments = st.datetimes(
    min_value=datetime(2014, 9, 1),
    max_value=datetime(2024, 7, 1),
    timezones=st.just(UTC),
)
spans = st.one_of(
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3)),
    st.timedeltas(min_value=timedelta(days=27), max_value=timedelta(days=29)),
    st.integers(1, 6).map(lambda n: n * MAX_WINDOW),
    st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
)
tweet_ids = st.one_of(st.integers(1, 40), st.integers(1, facts.MAX_TWEET_ID))
"""Small IDs repeat often, so duplicates are common; large ones reach the 64-bit limit."""


def hours(start: datetime, end: datetime) -> list[datetime]:
    """Every hour ``h`` with ``start <= h < end``; both on whole hours."""
    return [start + n * HOUR for n in range((end - start) // HOUR)]


def first_seen(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- split_windows ----------------------------------------------------------------------


@FAST
@given(start=moments, span=spans)
def test_windows_are_contiguous_aligned_and_at_most_28_days(
    start: datetime, span: timedelta
) -> None:
    end = start + span
    windows = split_windows(start, end)
    assert windows
    assert windows[0].start == floor_hour(start)
    assert windows[-1].end == ceil_hour(end)
    for window in windows:
        assert HOUR <= window.end - window.start <= MAX_WINDOW
        for moment in (window.start, window.end):
            assert moment.minute == moment.second == moment.microsecond == 0
            assert moment.utcoffset() == timedelta(0)
    for before, after in itertools.pairwise(windows):
        assert before.end == after.start
    # Windows are as long as allowed, so their number is the least possible.
    assert all(w.end - w.start == MAX_WINDOW for w in windows[:-1])
    assert len(windows) == math.ceil((ceil_hour(end) - floor_hour(start)) / MAX_WINDOW)


@FAST
@given(
    start=moments,
    span=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=90)),
)
def test_every_hour_of_the_range_is_in_exactly_one_window(start: datetime, span: timedelta) -> None:
    end = start + span
    windows = split_windows(start, end)
    covered = [hour for w in windows for hour in hours(w.start, w.end)]
    assert covered == hours(floor_hour(start), ceil_hour(end))
    assert len(set(covered)) == len(covered)


@FAST
@given(start=moments, n=st.integers(1, 5))
def test_aligned_ranges_of_whole_windows_split_exactly(start: datetime, n: int) -> None:
    first = floor_hour(start)
    windows = split_windows(first, first + n * MAX_WINDOW)
    assert windows == tuple(
        Window(first + i * MAX_WINDOW, first + (i + 1) * MAX_WINDOW) for i in range(n)
    )


def test_a_range_inside_one_hour_is_that_hour() -> None:
    start = datetime(2024, 6, 1, 10, 15, tzinfo=UTC)
    assert split_windows(start, start + timedelta(minutes=30)) == (
        Window(datetime(2024, 6, 1, 10, tzinfo=UTC), datetime(2024, 6, 1, 11, tzinfo=UTC)),
    )


# --- batches ----------------------------------------------------------------------------


@FAST
@given(ids=st.lists(st.text("0123456789", min_size=1, max_size=19)), size=st.integers(1, 300))
def test_batches_cover_every_id_once_in_order(ids: list[str], size: int) -> None:
    parts = list(batches(ids, size))
    assert [i for part in parts for i in part] == ids
    assert len(parts) == math.ceil(len(ids) / size)
    assert all(len(part) == size for part in parts[:-1])
    assert all(1 <= len(part) <= size for part in parts)


# --- through engql.compile --------------------------------------------------------------


def compile_ids(endpoint: str, ids: list[int], time_range: str = "") -> engql.Plan:
    listed = ", ".join(map(str, ids))
    return engql.compile(
        f"SELECT favorites FROM {endpoint} WHERE tweet IN ({listed}) {time_range}", now=NOW
    )


@FAST
@given(
    endpoint=st.sampled_from(sorted(facts.ENDPOINTS)),
    ids=st.lists(tweet_ids, min_size=1, max_size=600),
)
def test_compiled_batches_hold_each_distinct_id_once_in_order(
    endpoint: str, ids: list[int]
) -> None:
    plan = compile_ids(endpoint, ids)
    size = BATCH_SIZES[endpoint]
    (statement,) = plan.statements
    expected = first_seen([str(i) for i in ids])
    sent = [r.tweet_ids for r in statement.requests]
    assert [i for batch in sent for i in batch] == expected
    assert all(len(batch) == size for batch in sent[:-1])
    assert 1 <= len(sent[-1]) <= size
    assert statement.batch_size == size
    assert statement.batch_count == len(sent) == math.ceil(len(expected) / size)
    assert [r.batch for r in statement.requests] == list(range(len(sent)))
    assert all(r.window is None for r in statement.requests)


@FAST
@given(
    ids=st.lists(tweet_ids, min_size=1, max_size=80),
    start=st.datetimes(
        min_value=datetime(2023, 7, 10), max_value=datetime(2024, 6, 30), timezones=st.just(UTC)
    ),
    span=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=200)),
)
def test_compiled_requests_are_every_batch_in_every_window(
    ids: list[int], start: datetime, span: timedelta
) -> None:
    end = min(start + span, NOW)
    start = start.replace(microsecond=0)
    end = end.replace(microsecond=0)
    if end <= start:
        end = start + timedelta(seconds=1)
    time_range = f"AND time BETWEEN '{start:%Y-%m-%dT%H:%M:%SZ}' AND '{end:%Y-%m-%dT%H:%M:%SZ}'"
    plan = compile_ids("historical", ids, time_range)
    (statement,) = plan.statements
    assert statement.windows == split_windows(start, end)
    expected_batches = list(batches(first_seen([str(i) for i in ids]), 25))
    pairs = [(b, w) for b in range(len(expected_batches)) for w in range(len(statement.windows))]
    assert [(r.batch, r.window) for r in statement.requests] == pairs
    assert len(statement.requests) == statement.batch_count * statement.window_count
    for request in statement.requests:
        window = statement.windows[request.window or 0]
        assert request.tweet_ids == expected_batches[request.batch]
        assert request.body["start"] == f"{window.start:%Y-%m-%dT%H:%M:%SZ}"
        assert request.body["end"] == f"{window.end:%Y-%m-%dT%H:%M:%SZ}"
    covered = [
        hour
        for request in statement.requests
        if request.batch == 0
        for hour in hours(
            datetime.fromisoformat(request.body["start"]),
            datetime.fromisoformat(request.body["end"]),
        )
    ]
    assert covered == hours(floor_hour(start), ceil_hour(end))


@FAST
@given(
    ids=st.lists(tweet_ids, min_size=1, max_size=300),
    endpoint=st.sampled_from(sorted(facts.ENDPOINTS)),
)
def test_ids_from_a_parameter_plan_like_ids_in_the_text(endpoint: str, ids: list[int]) -> None:
    in_text = compile_ids(endpoint, ids)
    as_param = engql.compile(
        f"SELECT favorites FROM {endpoint} WHERE tweet IN :ids", params={"ids": ids}, now=NOW
    )
    assert [r.body for r in as_param.requests] == [r.body for r in in_text.requests]


@FAST
@given(
    counts=st.lists(st.integers(1, 60), min_size=1, max_size=4),
    endpoints=st.lists(st.sampled_from(sorted(facts.ENDPOINTS)), min_size=4, max_size=4),
)
def test_every_request_knows_its_place_in_the_plan(counts: list[int], endpoints: list[str]) -> None:
    """``Request.index`` is the request's position in ``Plan.requests``, counted across
    statements, so the executor and the journal key answers by it."""
    statements = [
        f"SELECT favorites FROM {endpoint} WHERE tweet IN ({', '.join(map(str, range(1, n + 1)))})"
        + (" AND time BETWEEN '2024-01-01' AND '2024-03-01'" if endpoint == "historical" else "")
        for n, endpoint in zip(counts, endpoints, strict=False)
    ]
    plan = engql.compile(";\n".join(statements), now=NOW)
    assert [r.index for r in plan.requests] == list(range(len(plan.requests)))
    for number, statement in enumerate(plan.statements):
        assert {r.statement for r in statement.requests} == {number}
        assert all(r.path == facts.ENDPOINTS[r.endpoint].path for r in statement.requests)
