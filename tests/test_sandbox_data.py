"""The emulator's synthetic engagement and answer bodies: the consistency laws, and the
documented response shapes (engql/sandbox/data.py, engql/sandbox/responses.py)."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engql import facts
from engql.plan.planner import ceil_hour, floor_hour
from engql.sandbox.data import (
    MAX_ACTIVE_HOURS,
    PRE_SNOWFLAKE_START,
    TAIL_START,
    SyntheticEngagement,
)
from engql.sandbox.responses import answer
from engql.sandbox.rules import ParsedRequest, parse_request
from engql.times import iso

HOUR = timedelta(hours=1)
YEAR = 365 * 24 * HOUR
DATA = SyntheticEngagement()
TOTALS_METRICS = facts.ENDPOINTS["totals"].metrics
SERIES_METRICS = facts.ENDPOINTS["historical"].metrics
FOUR_KEYS = ("tweet.id", "engagement.type", "engagement.day", "engagement.hour")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def tweet_at(moment: datetime, n: int = 0) -> int:
    """A Tweet ID whose Snowflake time is ``moment`` (to the millisecond)."""
    return facts.snowflake_id_at(moment) + n


def request(
    endpoint: str,
    tweets: list[int] | list[str],
    metrics: tuple[str, ...] | list[str],
    groupings: dict[str, tuple[str, ...]],
    now: datetime,
    **window: str,
) -> ParsedRequest:
    body = {
        "tweet_ids": [str(t) for t in tweets],
        "engagement_types": list(metrics),
        "groupings": {name: {"group_by": list(keys)} for name, keys in groupings.items()},
        **window,
    }
    parsed = parse_request(endpoint, body, now)
    assert isinstance(parsed, ParsedRequest), parsed
    return parsed


def hours_of(window: tuple[datetime, datetime]) -> list[datetime]:
    start, end = window
    return [start + n * HOUR for n in range((end - start) // HOUR)]


# The data: sums are sums of hours --------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2011, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
snowflake_ids = st.builds(tweet_at, moments, st.integers(0, (1 << 22) - 1))
old_ids = st.integers(1, facts.SNOWFLAKE_FIRST_ID - 1)
tweet_ids = st.one_of(snowflake_ids, old_ids)
tailed_ids = st.builds(
    tweet_at,
    st.datetimes(
        min_value=datetime(2021, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(0, (1 << 22) - 1),
)
"""Tweets with the long tail: created from TAIL_START on."""
fading_ids = st.one_of(
    old_ids,
    st.builds(
        tweet_at,
        st.datetimes(
            min_value=datetime(2011, 1, 1),
            max_value=datetime(2020, 12, 31, 23, 59, 59, 998999),
            timezones=st.just(UTC),
        ),
        st.integers(0, (1 << 22) - 1),
    ),
)
"""Tweets without it: created before TAIL_START."""
seeds = st.integers(0, 2**64)
all_metrics = st.sampled_from(sorted(facts.METRICS))


@given(tweet=tweet_ids, metric=all_metrics, seed=seeds, data=st.data())
def test_a_sum_is_the_sum_of_its_hours(tweet: int, metric: str, seed: int, data: Any) -> None:
    source = SyntheticEngagement(seed)
    created = floor_hour(source.created_at(tweet))
    start = created + data.draw(st.integers(-30, 24 * 365 * 12)) * HOUR
    end = start + data.draw(st.integers(0, 200)) * HOUR
    hourly = [source.hourly(tweet, metric, h) for h in hours_of((start, end))]
    assert source.hours(tweet, metric, start, end) == hourly
    assert source.between(tweet, metric, start, end) == sum(hourly)
    assert all(n >= 0 for n in hourly)


@given(tweet=tweet_ids, metric=all_metrics, seed=seeds, minutes=st.integers(-600, 60 * 24 * 30))
def test_lifetime_is_every_hour_before_now(
    tweet: int, metric: str, seed: int, minutes: int
) -> None:
    source = SyntheticEngagement(seed)
    created = source.created_at(tweet)
    now = created + timedelta(minutes=minutes)
    first = floor_hour(created)
    hourly = [
        source.hourly(tweet, metric, h) for h in hours_of((first, max(ceil_hour(now), first)))
    ]
    assert source.lifetime(tweet, metric, now) == sum(hourly)
    assert source.lifetime(tweet, metric, now) == source.between(
        tweet, metric, utc(2000, 1, 1), ceil_hour(now)
    )


@given(tweet=tweet_ids, metric=all_metrics, seed=seeds)
def test_nothing_before_creation(tweet: int, metric: str, seed: int) -> None:
    source = SyntheticEngagement(seed)
    first = floor_hour(source.created_at(tweet))
    assert source.between(tweet, metric, first - 1000 * HOUR, first) == 0
    assert source.hourly(tweet, metric, first - HOUR) == 0


@given(tweet=tailed_ids, seed=seeds)
def test_impressions_never_stop_and_slowly_fade(tweet: int, seed: int) -> None:
    """The long tail: every year of its first fifteen a Tweet gains impressions, and five
    years on it gains fewer in a year than it did."""
    source = SyntheticEngagement(seed)
    first = floor_hour(source.created_at(tweet))
    years = [
        source.between(tweet, "impressions", first + n * YEAR, first + (n + 1) * YEAR)
        for n in range(15)
    ]
    assert min(years) > 0
    assert all(later < earlier for earlier, later in zip(years[1:-5], years[6:], strict=True))


@given(tweet=fading_ids, metric=all_metrics, seed=seeds)
def test_before_2021_nothing_is_counted_after_the_active_hours(
    tweet: int, metric: str, seed: int
) -> None:
    source = SyntheticEngagement(seed)
    first = floor_hour(source.created_at(tweet))
    late = first + MAX_ACTIVE_HOURS * HOUR
    assert source.between(tweet, metric, late, late + 10_000 * HOUR) == 0
    assert source.hours(tweet, metric, late, late + 700 * HOUR) == [0] * 700
    assert source.lifetime(tweet, metric, late + 10_000 * HOUR) == source.lifetime(
        tweet, metric, late
    )


@given(tweet=fading_ids, metric=all_metrics, seed=seeds)
def test_before_2021_a_whole_life_adds_up_to_the_lifetime_hour_by_hour(
    tweet: int, metric: str, seed: int
) -> None:
    """The running count under the hours never falls and stops at MAX_ACTIVE_HOURS."""
    source = SyntheticEngagement(seed)
    first = floor_hour(source.created_at(tweet))
    life = hours_of((first - HOUR, first + (MAX_ACTIVE_HOURS + 1) * HOUR))
    hourly = [source.hourly(tweet, metric, h) for h in life]
    assert min(hourly) >= 0
    assert hourly[0] == hourly[-1] == 0
    assert sum(hourly) == source.lifetime(tweet, metric, first + 10_000 * HOUR)


def test_the_tail_starts_with_the_tweets_of_2021() -> None:
    """A year on, a Tweet of the last second of 2020 is quiet; one of 2021 is not."""
    before, after = tweet_at(TAIL_START - timedelta(seconds=1)), tweet_at(TAIL_START)
    for tweet, quiet in ((before, True), (after, False)):
        later = floor_hour(DATA.created_at(tweet)) + YEAR
        assert (DATA.between(tweet, "impressions", later, later + 24 * HOUR) == 0) is quiet


@given(tweet=tweet_ids, metric=all_metrics, seed=seeds)
def test_a_life_adds_up_to_the_lifetime_hour_by_hour(tweet: int, metric: str, seed: int) -> None:
    """The running count under the hours starts at 0 and never falls."""
    source = SyntheticEngagement(seed)
    first = floor_hour(source.created_at(tweet))
    life = hours_of((first - HOUR, first + 700 * HOUR))
    hourly = [source.hourly(tweet, metric, h) for h in life]
    assert min(hourly) >= 0
    assert hourly[0] == 0
    assert sum(hourly) == source.lifetime(tweet, metric, first + 700 * HOUR)


def test_the_tail_is_busiest_in_the_afternoon_and_midweek() -> None:
    """A year and more after their burst, Tweets gain most at 15:00 UTC and on Wednesdays."""
    tweets = [tweet_at(utc(2023, 1, 1) + n * 11 * HOUR, n) for n in range(20)]
    start, end = utc(2024, 6, 3), utc(2024, 7, 1)  # four weeks from a Monday
    hours = hours_of((start, end))
    by_hour = [0] * 24
    by_weekday = [0] * 7
    for tweet in tweets:
        for hour, count in zip(hours, DATA.hours(tweet, "impressions", start, end), strict=True):
            by_hour[hour.hour] += count
            by_weekday[hour.weekday()] += count
    assert max(range(24), key=by_hour.__getitem__) in (14, 15, 16)
    assert by_hour[15] > 2 * by_hour[3]
    assert max(range(7), key=by_weekday.__getitem__) == 2  # Wednesday
    assert by_weekday[2] > 1.3 * by_weekday[6]


@given(tweet=tweet_ids)
def test_a_tweet_starts_in_the_hour_it_was_created_in(tweet: int) -> None:
    """The data reads the hour off the ID without a datetime; it must agree with created_at."""
    hours = (floor_hour(DATA.created_at(tweet)) - utc(1970, 1, 1)) // HOUR
    assert DATA.tweet(tweet).first_hour == hours


@given(moment=moments, seed=seeds)
def test_the_creation_hour_counts_the_part_after_creation(moment: datetime, seed: int) -> None:
    """A Tweet created a minute before the hour ends counts less in it than in the next."""
    first = floor_hour(moment)
    tweet = tweet_at(first + timedelta(minutes=59))
    source = SyntheticEngagement(seed)
    assert source.hourly(tweet, "impressions", first) < source.hourly(
        tweet, "impressions", first + HOUR
    )


@given(tweet=tweet_ids, metric=all_metrics, seed=seeds)
def test_the_same_seed_gives_the_same_counts(tweet: int, metric: str, seed: int) -> None:
    first, again = SyntheticEngagement(seed), SyntheticEngagement(seed)
    start = floor_hour(first.created_at(tweet))
    assert first.hours(tweet, metric, start, start + 100 * HOUR) == again.hours(
        tweet, metric, start, start + 100 * HOUR
    )


def test_another_seed_gives_other_counts() -> None:
    tweets = [tweet_at(utc(2024, 6, 1) + n * 3 * HOUR, n) for n in range(30)]
    now = utc(2024, 7, 1)
    one, other = SyntheticEngagement(1), SyntheticEngagement(2)
    differ = [
        t
        for t in tweets
        if one.lifetime(t, "impressions", now) != other.lifetime(t, "impressions", now)
    ]
    assert len(differ) >= 28


def test_ids_without_a_time_get_one_from_their_hash() -> None:
    for tweet in (20, 1, 12345, facts.SNOWFLAKE_FIRST_ID - 1):
        created = DATA.created_at(tweet)
        assert PRE_SNOWFLAKE_START <= created < facts.SNOWFLAKE_SCHEME_START
        assert SyntheticEngagement(99).created_at(tweet) == created
    assert DATA.created_at(tweet_at(utc(2016, 2, 10, 17, 5))) == utc(2016, 2, 10, 17, 5)


def test_counts_have_the_proportions_of_real_tweets() -> None:
    now = utc(2024, 7, 1)
    tweets = [tweet_at(utc(2024, 5, 1) + n * 5 * HOUR, n) for n in range(200)]

    def median(metric: str) -> float:
        return statistics.median(DATA.lifetime(t, metric, now) for t in tweets)

    order = ["impressions", "engagements", "favorites", "retweets", "replies"]
    medians = [median(m) for m in order]
    assert medians == sorted(medians, reverse=True)
    assert medians[-1] > 0
    assert all(DATA.lifetime(t, "quote_tweets", now) >= 0 for t in tweets)
    assert any(DATA.lifetime(t, "quote_tweets", now) > 0 for t in tweets)
    with_video = [t for t in tweets if DATA.lifetime(t, "video_views", now) > 0]
    assert 0 < len(with_video) < len(tweets)


def test_most_engagement_comes_in_the_first_day() -> None:
    now = utc(2024, 7, 1)
    for n in range(20):
        tweet = tweet_at(utc(2024, 5, 1) + n * 7 * HOUR, n)
        first = floor_hour(DATA.created_at(tweet))
        day_one = DATA.between(tweet, "impressions", first, first + 24 * HOUR)
        assert day_one > 0.6 * DATA.lifetime(tweet, "impressions", now)


# Answers: every grouping of one answer adds up to the same totals ------------------------


def leaves(tree: Any) -> list[str]:
    return [tree] if isinstance(tree, str) else [v for sub in tree.values() for v in leaves(sub)]


def total(tree: Any) -> int:
    return sum(int(v) for v in leaves(tree))


@attrs.frozen
class TimeSeriesCase:
    endpoint: str
    window: dict[str, str]
    now: datetime
    tweets: list[int]
    metrics: list[str]


@st.composite
def time_series_requests(draw: Any) -> TimeSeriesCase:
    """/28hr or /historical: a clock, a window, 1-5 Tweets posted around it, 1-4 metrics."""
    now = draw(
        st.datetimes(
            min_value=datetime(2015, 6, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
        )
    )
    endpoint = draw(st.sampled_from(["28hr", "historical"]))
    window: dict[str, str] = {}
    if endpoint == "28hr":
        start = floor_hour(now - facts.TWENTY_EIGHT_HOURS)
    else:
        end = now - draw(st.integers(0, 24 * 60)) * timedelta(minutes=draw(st.integers(1, 60)))
        span = draw(st.integers(1, 28 * 24 - 1)) * HOUR
        start = floor_hour(end - span)
        window = {"start": iso(start), "end": iso(end)}
    offsets = st.integers(-24 * 6, 24 * 30).map(lambda h: start + h * HOUR + timedelta(minutes=7))
    tweets = draw(st.lists(offsets.map(tweet_at), min_size=1, max_size=5, unique=True))
    metrics = draw(st.lists(st.sampled_from(SERIES_METRICS), min_size=1, max_size=4, unique=True))
    return TimeSeriesCase(endpoint, window, now, tweets, metrics)


@settings(max_examples=60)
@given(case=time_series_requests(), seed=st.integers(0, 1000))
def test_every_grouping_adds_up_to_the_same_totals(case: TimeSeriesCase, seed: int) -> None:
    endpoint, window, now, metrics = case.endpoint, case.window, case.now, case.metrics
    tweets = [str(t) for t in case.tweets]
    source = SyntheticEngagement(seed)
    first = request(
        endpoint,
        tweets,
        metrics,
        {"t": ("tweet.id", "engagement.type"), "td": FOUR_KEYS[:3], "tdh": FOUR_KEYS},
        now,
        **window,
    )
    second = request(
        endpoint,
        tweets,
        metrics,
        {
            "e": ("engagement.type",),
            "hod": ("tweet.id", "engagement.type", "engagement.hour"),
            "edh": ("engagement.type", "engagement.day", "engagement.hour"),
        },
        now,
        **window,
    )
    third = request(
        endpoint,
        tweets,
        metrics,
        {
            "dte": ("engagement.day", "tweet.id", "engagement.type"),
            "hd": ("engagement.hour", "engagement.day"),
            "et": ("engagement.type", "tweet.id"),
        },
        now,
        **window,
    )
    one, two, three = (answer(r, source, now) for r in (first, second, third))
    assert first.window is not None
    hours = hours_of(first.window)
    days = sorted({f"{h:%Y-%m-%d}" for h in hours})
    hour_keys = sorted({f"{h:%H}" for h in hours})
    assert one["start"] == two["start"] == first.echo_start == iso(first.window[0])
    assert one["end"] == two["end"] == first.echo_end == iso(first.window[1])
    for tweet in tweets:
        for metric in metrics:
            by_day = one["td"][tweet][metric]
            assert list(by_day) == days
            assert total(by_day) == int(one["t"][tweet][metric])
            for day, by_hour in one["tdh"][tweet][metric].items():
                assert list(by_hour) == [f"{h:%H}" for h in hours if f"{h:%Y-%m-%d}" == day]
                assert total(by_hour) == int(by_day[day])
            by_hour_of_day = two["hod"][tweet][metric]
            assert list(by_hour_of_day) == hour_keys
            assert total(by_hour_of_day) == int(one["t"][tweet][metric])
            assert three["et"][metric][tweet] == one["t"][tweet][metric]
            for day in days:
                assert three["dte"][day][tweet][metric] == by_day[day]
        assert len(leaves(one["tdh"][tweet])) == len(metrics) * len(hours)
    for metric in metrics:
        assert int(two["e"][metric]) == sum(int(one["t"][t][metric]) for t in tweets)
        for day, by_hour in two["edh"][metric].items():
            for hour, value in by_hour.items():
                assert int(value) == sum(int(one["tdh"][t][metric][day][hour]) for t in tweets)
    assert list(three["hd"]) == hour_keys
    assert total(three["hd"]) == sum(int(v) for v in two["e"].values())
    for hour, by_day in three["hd"].items():
        for day, value in by_day.items():
            assert int(value) == sum(int(two["edh"][m][day][hour]) for m in metrics)


@settings(max_examples=40)
@given(case=time_series_requests())
def test_hours_are_the_data_of_the_window(case: TimeSeriesCase) -> None:
    endpoint, window, now = case.endpoint, case.window, case.now
    tweets, metrics = case.tweets, case.metrics
    parsed = request(endpoint, tweets, metrics, {"g": FOUR_KEYS}, now, **window)
    body = answer(parsed, DATA, now)
    assert parsed.window is not None
    for tweet in tweets:
        for metric in metrics:
            expected = DATA.hours(tweet, metric, *parsed.window)
            if metric == "video_views" and DATA.created_at(tweet) < now - facts.VIDEO_VIEWS_MAX_AGE:
                expected = [0] * len(expected)
            for n, hour in enumerate(hours_of(parsed.window)):
                zeroed = (
                    endpoint == "historical"
                    and metric in facts.PUBLIC_COUNTS_METRICS
                    and hour < facts.PUBLIC_COUNTS_START
                )
                value = body["g"][str(tweet)][metric][f"{hour:%Y-%m-%d}"][f"{hour:%H}"]
                assert int(value) == (0 if zeroed else expected[n])


@settings(max_examples=40)
@given(
    now=st.datetimes(
        min_value=datetime(2016, 6, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    ages=st.lists(st.integers(0, 24 * 2000), min_size=1, max_size=8, unique=True),
    metrics=st.lists(st.sampled_from(TOTALS_METRICS), min_size=1, max_size=7, unique=True),
)
def test_totals_are_lifetime_counts(now: datetime, ages: list[int], metrics: list[str]) -> None:
    tweets = [tweet_at(now - age * HOUR) for age in ages]
    parsed = request(
        "totals",
        tweets,
        metrics,
        {"t": ("tweet.id", "engagement.type"), "e": ("engagement.type",)},
        now,
    )
    body = answer(parsed, DATA, now)
    private_cutoff = now - facts.TOTALS_PRIVATE_MAX_AGE
    video_cutoff = now - facts.VIDEO_VIEWS_MAX_AGE
    old = [str(t) for t in tweets if DATA.created_at(t) < private_cutoff]
    no_video = [str(t) for t in tweets if DATA.created_at(t) < video_cutoff]
    private = set(metrics) & set(facts.TOTALS_PRIVATE_METRICS)
    for tweet in tweets:
        for metric in metrics:
            hidden = (metric in facts.TOTALS_PRIVATE_METRICS and str(tweet) in old) or (
                metric == "video_views" and str(tweet) in no_video
            )
            lifetime = 0 if hidden else DATA.lifetime(tweet, metric, now)
            assert body["t"][str(tweet)][metric] == str(lifetime)
    for metric in metrics:
        assert int(body["e"][metric]) == sum(int(body["t"][str(t)][metric]) for t in tweets)
    assert body.get("unsupported_for_impressions_engagements_tweet_ids") == (
        old if private and old else None
    )
    assert body.get("unsupported_for_video_views_tweet_ids") == (
        no_video if "video_views" in metrics and no_video else None
    )
    assert "start" not in body and "end" not in body


# Shapes: engagement-api.md §5.2 and the documented examples -------------------------------

NOW = utc(2015, 9, 15, 21, 17)
TWEET = tweet_at(utc(2015, 9, 14, 20, 10))
OTHER = tweet_at(utc(2015, 9, 15, 3, 55), 1)
SHAPE_METRICS = ("impressions", "favorites", "replies")
DAYS_28HR = {
    "2015-09-14": [f"{h:02}" for h in range(17, 24)],
    "2015-09-15": [f"{h:02}" for h in range(22)],
}


def shape(tree: Any) -> Any:
    """The tree with every leaf replaced by its type: a decimal string becomes "n"."""
    if isinstance(tree, str):
        assert tree.isdigit()
        return "n"
    return {key: shape(sub) for key, sub in tree.items()}


def by_type(leaf: Any) -> dict[str, Any]:
    return {m: leaf for m in SHAPE_METRICS}


def by_tweet(leaf: Any) -> dict[str, Any]:
    return {str(TWEET): leaf, str(OTHER): leaf}


def days_hours(leaf: Any) -> dict[str, Any]:
    return {day: {hour: leaf for hour in hours} for day, hours in DAYS_28HR.items()}


SHAPES = [
    (("engagement.type",), by_type("n")),
    (("tweet.id", "engagement.type"), by_tweet(by_type("n"))),
    (("engagement.type", "tweet.id"), by_type(by_tweet("n"))),
    (
        ("tweet.id", "engagement.type", "engagement.day"),
        by_tweet(by_type({d: "n" for d in DAYS_28HR})),
    ),
    (FOUR_KEYS, by_tweet(by_type(days_hours("n")))),
    (("engagement.type", "engagement.day", "engagement.hour"), by_type(days_hours("n"))),
    (
        ("engagement.type", "tweet.id", "engagement.day", "engagement.hour"),
        by_type(by_tweet(days_hours("n"))),
    ),
    (
        ("tweet.id", "engagement.type", "engagement.hour"),
        by_tweet(by_type({f"{h:02}": "n" for h in range(24)})),
    ),
    (("tweet.id",), by_tweet("n")),
]


@pytest.mark.parametrize(
    ("keys", "expected"), SHAPES, ids=lambda v: ",".join(v) if isinstance(v, tuple) else ""
)
def test_grouping_shapes_on_28hr(keys: tuple[str, ...], expected: Any) -> None:
    """The D1/ref-28hr clock: 29 hourly buckets from 17:00 on the 14th to 21:00 on the 15th."""
    parsed = request("28hr", [TWEET, OTHER], SHAPE_METRICS, {"G": keys}, NOW)
    body = answer(parsed, DATA, NOW)
    assert body.keys() == {"start", "end", "G"}
    assert (body["start"], body["end"]) == ("2015-09-14T17:00:00Z", "2015-09-15T22:00:00Z")
    assert shape(body["G"]) == expected
    assert list(shape(body["G"])) == list(expected)


def test_totals_shape_of_the_reference() -> None:
    """D1/ref-totals: {"G": {id: {favorites, quote_tweets, replies, retweets, video_views}}}."""
    metrics = ("favorites", "quote_tweets", "replies", "retweets", "video_views")
    parsed = request(
        "totals",
        ["1021817816134156288"],
        metrics,
        {"G": ("tweet.id", "engagement.type")},
        utc(2018, 8, 1),
    )
    body = answer(parsed, DATA, utc(2018, 8, 1))
    assert body.keys() == {"G"}
    assert shape(body) == {"G": {"1021817816134156288": {m: "n" for m in metrics}}}


def test_hour_without_day_is_hour_of_day_over_the_window() -> None:
    """D1/groupings asked 17:00-21:00; Part A §5 answers hour-of-day buckets 17 to 20."""
    now = utc(2016, 2, 12)
    tweet = tweet_at(utc(2016, 2, 10, 16, 30))
    parsed = request(
        "historical",
        [tweet],
        ["impressions", "engagements"],
        {"G": ("tweet.id", "engagement.type", "engagement.hour")},
        now,
        start="2016-02-10T17:00:00Z",
        end="2016-02-10T21:00:00Z",
    )
    body = answer(parsed, DATA, now)
    assert list(body["G"][str(tweet)]["impressions"]) == ["17", "18", "19", "20"]
    hourly = [DATA.hourly(tweet, "impressions", utc(2016, 2, 10, h)) for h in range(17, 21)]
    assert [int(v) for v in body["G"][str(tweet)]["impressions"].values()] == hourly


def test_hour_of_day_over_four_weeks_has_24_buckets() -> None:
    """R README: {"hourly_timeseries": {metric: {id: {"00": ..., "23": ...}}}}."""
    tweet = 695310089847111681
    now = utc(2016, 2, 9, 19, 43)
    parsed = request(
        "historical",
        [tweet],
        ["impressions"],
        {"hourly_timeseries": ("engagement.type", "tweet.id", "engagement.hour")},
        now,
    )
    body = answer(parsed, DATA, now)
    assert (body["start"], body["end"]) == ("2016-01-12T20:00:00Z", "2016-02-09T20:00:00Z")
    buckets = body["hourly_timeseries"]["impressions"][str(tweet)]
    assert list(buckets) == [f"{h:02}" for h in range(24)]
    assert total(buckets) == DATA.between(
        tweet, "impressions", utc(2016, 1, 12, 20), utc(2016, 2, 9, 20)
    )


def test_unavailable_tweets_are_listed_and_left_out() -> None:
    """D1/ref-historical: start, end, unavailable_tweet_ids and the groupings beside them."""
    now = utc(2015, 11, 19, 2, 27, 50)
    gone, kept = "323456789", "423456789"
    parsed = request(
        "historical",
        [gone, kept],
        ["favorites", "replies", "retweets"],
        {"group1": ("tweet.id", "engagement.type"), "all": ("engagement.type",)},
        now,
        start="2015-11-17T22:00:00Z",
        end="2015-11-19T02:27:50Z",
    )
    body = answer(parsed, DATA, now, frozenset({gone, "999"}))
    assert body["start"] == "2015-11-17T22:00:00Z"
    assert body["end"] == "2015-11-19T03:00:00Z"
    assert body["unavailable_tweet_ids"] == [gone]
    assert body["errors"] == ["1 Tweet ID(s) are unavailable"]
    assert list(body["group1"]) == [kept]
    assert shape(body["group1"]) == {kept: {"favorites": "n", "replies": "n", "retweets": "n"}}


def test_when_every_tweet_is_unavailable_the_groupings_are_empty_or_zero() -> None:
    parsed = request(
        "28hr",
        ["1", "2"],
        ["impressions"],
        {"t": ("tweet.id",), "e": ("engagement.type", "engagement.day")},
        NOW,
    )
    body = answer(parsed, DATA, NOW, frozenset({"1", "2"}))
    assert body["errors"] == ["2 Tweet ID(s) are unavailable"]
    assert body["t"] == {}
    assert body["e"] == {"impressions": {"2015-09-14": "0", "2015-09-15": "0"}}


def test_old_tweets_on_totals() -> None:
    """D1/interpreting: the 1800-day video list beside the grouping, video_views "0"; and
    impressions/engagements older than 90 days, with the error string of D1/error-messages."""
    now = utc(2024, 7, 1)
    old = ["479311209565413376", "477139122520219648"]
    recent = str(tweet_at(utc(2024, 6, 20, 8)))
    middle = str(tweet_at(utc(2023, 1, 1)))
    parsed = request(
        "totals",
        [*old, middle, recent],
        ["impressions", "favorites", "video_views"],
        {"G": ("tweet.id", "engagement.type")},
        now,
    )
    body = answer(parsed, DATA, now)
    assert body["unsupported_for_video_views_tweet_ids"] == old
    assert body["unsupported_for_impressions_engagements_tweet_ids"] == [*old, middle]
    assert body["errors"] == [
        "Impressions & engagements for tweets older than 90 days "
        "(created before 2024-04-02T00:00:00Z) are not supported"
    ]
    for tweet in old:
        assert body["G"][tweet]["video_views"] == "0"
        assert body["G"][tweet]["impressions"] == "0"
        assert body["G"][tweet]["favorites"] == str(DATA.lifetime(int(tweet), "favorites", now))
    assert body["G"][middle]["video_views"] == str(DATA.lifetime(int(middle), "video_views", now))
    assert body["G"][recent]["impressions"] == str(DATA.lifetime(int(recent), "impressions", now))


def test_public_tweets_have_no_age_lists() -> None:
    now = utc(2024, 7, 1)
    parsed = request(
        "totals", ["479311209565413376"], ["favorites"], {"G": ("engagement.type",)}, now
    )
    assert answer(parsed, DATA, now).keys() == {"G"}


def test_public_counts_read_zero_before_2015_09_15_on_historical() -> None:
    now = utc(2015, 10, 1)
    tweet = tweet_at(utc(2015, 9, 14, 12, 5))
    parsed = request(
        "historical",
        [tweet],
        ["favorites", "impressions"],
        {"G": ("engagement.type", "engagement.day")},
        now,
        start="2015-09-14",
        end="2015-09-16",
    )
    days = answer(parsed, DATA, now)["G"]
    assert days["favorites"]["2015-09-14"] == "0"
    assert int(days["impressions"]["2015-09-14"]) > 0
    assert days["favorites"]["2015-09-15"] == str(
        DATA.between(tweet, "favorites", utc(2015, 9, 15), utc(2015, 9, 16))
    )


def test_big_requests_are_answered_quickly() -> None:
    """250 Tweets × 7 metrics on /totals; 25 × 17 × 28 days with four keys on /historical."""
    now = utc(2024, 7, 1, 12, 30)
    source = SyntheticEngagement(7)
    tweets = [
        tweet_at(now - timedelta(days=20) + n * 97 * timedelta(minutes=1), n) for n in range(250)
    ]
    began = time.perf_counter()
    answer(
        request("totals", tweets, TOTALS_METRICS, {"G": ("tweet.id", "engagement.type")}, now),
        source,
        now,
    )
    answer(
        request(
            "historical",
            tweets[:25],
            SERIES_METRICS,
            {"G": FOUR_KEYS},
            now,
            start="2024-06-03T12:00:00Z",
            end="2024-07-01T12:00:00Z",
        ),
        source,
        now,
    )
    assert time.perf_counter() - began < 2
