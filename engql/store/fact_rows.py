"""A statement's answer as rows of the fact table: one per (Tweet, metric, bucket).

The rows come from the same flattening the outputs use (``engql.executor.rows``, long
form), so a store holds exactly what ``--format jsonl --long`` prints. A bucket is a real
UTC time with its grain, read off the grouping's time keys:

| time keys | grain | ``bucket_start`` |
|---|---|---|
| day and hour | ``hour`` | the hour |
| day | ``day`` | midnight UTC of the day |
| hour alone | ``hour_of_day`` | that hour of 1970-01-01: only the hour means anything |
| none | ``total`` | NULL |
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

from engql import facts
from engql.check import Query
from engql.executor.merge import all_counts
from engql.executor.rows import row_values
from engql.syntax import ast

HOUR, DAY, HOUR_OF_DAY, TOTAL = "hour", "day", "hour_of_day", "total"
GRAINS = (HOUR, DAY, HOUR_OF_DAY, TOTAL)
EPOCH_DAY = "1970-01-01"
"""The day an hour-of-day bucket is put on."""


def query_id(query: Query) -> str:
    """What names a statement's rows in the store: a hash of what it says (endpoint,
    metrics, conditions, groupings), not of its layout, comments or resolved values, so
    that running it again, even over other Tweets or another day, replaces its rows."""
    said = json.dumps(ast.dump(query.statement), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(said.encode()).hexdigest()[:16]


def grain_of(keys: tuple[str, ...]) -> str:
    day, hour = facts.ENGAGEMENT_DAY in keys, facts.ENGAGEMENT_HOUR in keys
    if day:
        return HOUR if hour else DAY
    return HOUR_OF_DAY if hour else TOTAL


def fact_rows(
    query: Query,
    answer: dict[str, Any],
    stamp: Callable[[datetime], Any],
    fixed: tuple[Any, ...],
    tail: tuple[Any, ...],
    metrics: tuple[str, ...] | None = None,
) -> list[tuple[Any, ...]]:
    """The rows of every grouping of ``answer``: ``fixed`` + (grouping, endpoint,
    tweet_id, metric, grain, bucket_start, value) + ``tail``; times made by ``stamp``
    (the database's form of a UTC time). ``metrics`` are the ones the answer's request
    asked (default: the query's)."""
    metrics = query.metrics if metrics is None else metrics
    rows: list[tuple[Any, ...]] = []
    for name, keys in query.groupings:
        grouping = answer.get(name, {})
        head = (*fixed, name, query.endpoint)
        if keys == HOURLY_KEYS:
            hourly = _hourly_rows(grouping, metrics, stamp, head, tail)
            if hourly is not None:
                rows.extend(hourly)
                continue
        values = row_values(grouping, keys, metrics, long=True, bucket=False)
        if values:
            rows.extend(_grouping_rows(keys, values, stamp, head, tail))
    return rows


HOURLY_KEYS = facts.FOUR_KEY_ORDERS[0]
"""Tweet, metric, day, hour: the grouping a collection fetches, millions of rows a run."""


def _hourly_rows(
    grouping: Any,
    metrics: tuple[str, ...],
    stamp: Callable[[datetime], Any],
    head: tuple[Any, ...],
    tail: tuple[Any, ...],
) -> list[tuple[Any, ...]] | None:
    """The rows of a Tweet-metric-day-hour grouping, a day's hours at a time; None when
    the grouping is not of the plain shape the API answers (the metrics asked, and only
    those, under every Tweet, each with the same days and hours; counts as decimal
    text), which the general path then reads, zero-filling, or reports."""
    if not isinstance(grouping, dict):
        return None
    rows: list[tuple[Any, ...]] = []
    days: dict[str, dict[str, Any]] = {}
    fixed = [repeat(value) for value in head]
    after = [repeat(value) for value in tail]
    grain = repeat(HOUR)
    asked = set(metrics)
    for tweet, by_metric in grouping.items():
        if not isinstance(by_metric, dict) or not tweet.isdigit() or by_metric.keys() != asked:
            return None
        number = repeat(int(tweet))
        first: dict[str, Any] | None = None
        for metric in metrics:
            by_day = by_metric.get(metric)
            if not isinstance(by_day, dict) or not _same_buckets(by_day, first):
                return None
            first = first or by_day
            named = repeat(metric)
            for day, hours in by_day.items():
                if not isinstance(hours, dict):
                    return None
                counts = list(hours.values())
                if not all_counts(counts) or not all(type(c) is str for c in counts):
                    return None
                stamps = days.get(day)
                if stamps is None:
                    stamps = days[day] = {}
                try:
                    buckets = [stamps[hour] for hour in hours]
                except KeyError:
                    for hour in hours:
                        if hour not in stamps:
                            stamps[hour] = stamp(bucket_time(HOUR, (day, hour)))
                    buckets = [stamps[hour] for hour in hours]
                values = map(int, counts)
                found = zip(*fixed, number, named, grain, buckets, values, *after, strict=False)
                rows.extend(found)
    return rows


def _same_buckets(by_day: dict[str, Any], first: dict[str, Any] | None) -> bool:
    """Whether a metric's days and hours are those of the Tweet's first metric."""
    if first is None:
        return True
    if by_day.keys() != first.keys():
        return False
    for day, hours in by_day.items():
        theirs = first[day]
        if not isinstance(hours, dict) or not isinstance(theirs, dict):
            return False
        if hours.keys() != theirs.keys():
            return False
    return True


def _grouping_rows(
    keys: tuple[str, ...],
    values: list[tuple[Any, ...]],
    stamp: Callable[[datetime], Any],
    head: tuple[Any, ...],
    tail: tuple[Any, ...],
) -> Iterator[tuple[Any, ...]]:
    """The fact rows of one grouping's long rows, built a column at a time (a run
    stores millions): each Tweet ID is read and each bucket's time made once."""
    grain = grain_of(keys)
    columns = list(zip(*values, strict=True))
    at = 0
    nothing = repeat(None, len(values))
    tweets: Iterable[Any] = nothing
    if facts.TWEET_ID in keys:
        numbers = {text: int(text) for text in set(columns[0])}
        tweets, at = map(numbers.__getitem__, columns[0]), 1
    labels = columns[at : at + _LABELS[grain]]
    at += _LABELS[grain]
    buckets: Iterable[Any] = repeat(None, len(values))
    if labels:
        keyed = list(zip(*labels, strict=True))
        made = {key: stamp(bucket_time(grain, key)) for key in set(keyed)}
        buckets = map(made.__getitem__, keyed)
    metrics = columns[at] if facts.ENGAGEMENT_TYPE in keys else repeat(None, len(values))
    fixed = [repeat(value) for value in head]
    after = [repeat(value) for value in tail]
    return zip(  # repeat() has no end
        *fixed, tweets, metrics, repeat(grain), buckets, columns[-1], *after, strict=False
    )


_LABELS = {HOUR: 2, DAY: 1, HOUR_OF_DAY: 1, TOTAL: 0}
"""The time labels (day, hour) a row of each grain has."""


def bucket_time(grain: str, labels: tuple[str, ...]) -> datetime:
    """The UTC start of the bucket an answer labels (day ``YYYY-MM-DD``, hour ``HH``)."""
    if grain == HOUR:
        day, hour = labels
    elif grain == DAY:
        day, hour = labels[0], "00"
    else:
        day, hour = EPOCH_DAY, labels[0]
    return datetime.fromisoformat(f"{day}T{hour}:00:00").replace(tzinfo=UTC)
