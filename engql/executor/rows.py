"""A merged grouping flattened into rows, for table, CSV and JSON Lines output.

A row is one combination of the grouping's keys other than ``engagement.type``. Its key
columns are ``tweet_id``, ``day`` and ``hour``, those the grouping has, always in that
order whatever the order of ``group_by``; the metrics are pivoted into one column each,
so a type-first grouping gives the same rows as a type-last one. Counts are integers,
Tweet IDs stay strings (a double would round them), days ``YYYY-MM-DD``, hours ``HH``.
Rows come sorted by Tweet ID as a number, then day, then hour.

The long form has one row per metric value instead: the key columns, ``metric``, ``value``.

A grouping without ``engagement.type`` has no documented shape (Part A §4): its leaves
are taken as one count each, whatever metrics it sums, given in a single ``value``
column, and its long form is the same as its wide form (no ``metric`` column, since no
metric can be named).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from engql import facts
from engql.executor.merge import MalformedAnswer, count

KEY_COLUMNS = (
    (facts.TWEET_ID, "tweet_id"),
    (facts.ENGAGEMENT_DAY, "day"),
    (facts.ENGAGEMENT_HOUR, "hour"),
)
"""Grouping keys with a column of their own, and its name, in column order."""
METRIC = "metric"
VALUE = "value"

Labels = tuple[str, ...]
_T = TypeVar("_T")


def columns(keys: Sequence[str], metrics: Sequence[str], long: bool = False) -> list[str]:
    """The column names of the rows of a grouping by ``keys``, in order."""
    names = _key_columns(keys)
    if facts.ENGAGEMENT_TYPE not in keys:
        return [*names, VALUE]
    return [*names, METRIC, VALUE] if long else [*names, *metrics]


def wide_rows(
    grouping: Mapping[str, Any], keys: Sequence[str], metrics: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """One row per combination of the keys other than engagement.type, one column per
    metric (0 where the grouping has no count for it; metrics not in ``metrics`` are left
    out). Raises MalformedAnswer when the grouping does not nest as ``keys`` say."""
    names = _key_columns(keys)
    if facts.ENGAGEMENT_TYPE not in keys:
        for labels, value in _sorted(_counts(grouping, keys), keys):
            yield {**dict(zip(names, labels, strict=True)), VALUE: value}
        return
    for labels, by_metric in _sorted(_pivot(grouping, keys), keys):
        row: dict[str, Any] = dict(zip(names, labels, strict=True))
        for metric in metrics:
            row[metric] = by_metric.get(metric, 0)
        yield row


def long_rows(
    grouping: Mapping[str, Any], keys: Sequence[str], metrics: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """One row per metric value, in the order of ``wide_rows`` and then of ``metrics``."""
    names = _key_columns(keys)
    if facts.ENGAGEMENT_TYPE not in keys:
        yield from wide_rows(grouping, keys, metrics)
        return
    for labels, by_metric in _sorted(_pivot(grouping, keys), keys):
        base = dict(zip(names, labels, strict=True))
        for metric in metrics:
            yield {**base, METRIC: metric, VALUE: by_metric.get(metric, 0)}


def _key_columns(keys: Sequence[str]) -> list[str]:
    return [name for key, name in KEY_COLUMNS if key in keys]


def _pivot(grouping: Mapping[str, Any], keys: Sequence[str]) -> dict[Labels, dict[str, int]]:
    """Key-column labels → metric → count."""
    last = len(keys) - 1
    metric_at = list(keys).index(facts.ENGAGEMENT_TYPE)
    pick = _picker(keys)
    table: dict[Labels, dict[str, int]] = {}
    for path, node in _parents(grouping, last, ()):
        try:
            if metric_at == last:  # the object is one row: metric → count
                table[pick(path)] = {metric: count(value) for metric, value in node.items()}
                continue
            metric = path[metric_at]
            for label, value in node.items():
                labels = pick((*path, label))
                by_metric = table.get(labels)
                if by_metric is None:
                    by_metric = table[labels] = {}
                by_metric[metric] = count(value)
        except MalformedAnswer as error:
            raise MalformedAnswer(f"under {list(path)}: {error}") from None
    return table


def _counts(grouping: Mapping[str, Any], keys: Sequence[str]) -> dict[Labels, int]:
    """Key-column labels → count, for a grouping without engagement.type."""
    pick = _picker(keys)
    table: dict[Labels, int] = {}
    for path, node in _parents(grouping, len(keys) - 1, ()):
        try:
            for label, value in node.items():
                table[pick((*path, label))] = count(value)
        except MalformedAnswer as error:
            raise MalformedAnswer(f"under {list(path)}: {error}") from None
    return table


def _picker(keys: Sequence[str]) -> Callable[[Labels], Labels]:
    """A path through the grouping (from the root) → its key-column labels, in order."""
    order = list(keys)
    at = [order.index(key) for key, _ in KEY_COLUMNS if key in order]
    if len(at) == 1:
        only = at[0]
        return lambda path: (path[only],)
    if not at:
        return lambda path: ()
    pick: Callable[[Labels], Labels] = itemgetter(*at)
    return pick


def _parents(node: Any, depth: int, path: Labels) -> Iterator[tuple[Labels, Mapping[str, Any]]]:
    """(labels from the root, object) of every object ``depth`` levels down: the
    innermost objects, whose values are counts, when ``depth`` is one less than the keys."""
    if not isinstance(node, Mapping):
        raise MalformedAnswer(f"at {list(path)}: expected an object, found {node!r}")
    if depth == 0:
        yield path, node
        return
    for label, child in node.items():
        yield from _parents(child, depth - 1, (*path, label))


def _sorted(table: dict[Labels, _T], keys: Sequence[str]) -> list[tuple[Labels, _T]]:
    """By Tweet ID as a number (when the grouping has one: it is the first label), then
    the other labels as text, which orders days and hours."""
    if facts.TWEET_ID not in keys:
        return sorted(table.items())
    try:
        return sorted(table.items(), key=lambda item: (int(item[0][0]), item[0][1:]))
    except ValueError:
        bad = next(labels[0] for labels in table if not labels[0].isdecimal())
        raise MalformedAnswer(f"Tweet ID {bad!r} is not a number") from None
