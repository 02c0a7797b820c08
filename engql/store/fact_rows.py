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
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engql import facts
from engql.check import Query
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
        by_tweet = facts.TWEET_ID in keys
        by_metric = facts.ENGAGEMENT_TYPE in keys
        grain = grain_of(keys)
        bucket = _buckets(grain, stamp)
        head = (*fixed, name, query.endpoint)
        for values in row_values(grouping, keys, metrics, long=True):
            at = 0
            tweet = None
            if by_tweet:
                tweet, at = int(values[0]), 1
            labels = values[at : at + _LABELS[grain]]
            at += _LABELS[grain]
            metric = values[at] if by_metric else None
            rows.append((*head, tweet, metric, grain, bucket(labels), values[-1], *tail))
    return rows


_LABELS = {HOUR: 2, DAY: 1, HOUR_OF_DAY: 1, TOTAL: 0}
"""The time labels (day, hour) a row of each grain has."""


def _buckets(grain: str, stamp: Callable[[datetime], Any]) -> Callable[[tuple[str, ...]], Any]:
    """Time labels → the stored bucket_start, each made once."""
    made: dict[tuple[str, ...], Any] = {}

    def bucket(labels: tuple[str, ...]) -> Any:
        if grain == TOTAL:
            return None
        found = made.get(labels)
        if found is None:
            found = made[labels] = stamp(bucket_time(grain, labels))
        return found

    return bucket


def bucket_time(grain: str, labels: tuple[str, ...]) -> datetime:
    """The UTC start of the bucket an answer labels (day ``YYYY-MM-DD``, hour ``HH``)."""
    if grain == HOUR:
        day, hour = labels
    elif grain == DAY:
        day, hour = labels[0], "00"
    else:
        day, hour = EPOCH_DAY, labels[0]
    return datetime.fromisoformat(f"{day}T{hour}:00:00").replace(tzinfo=UTC)
