"""A merged grouping flattened into rows, for table, CSV and JSON Lines output.

A row is one combination of the grouping's keys other than ``engagement.type``. Its key
columns are ``tweet_id``, ``day`` and ``hour``, those the grouping has, always in that
order whatever the order of ``group_by``, and ``bucket_start`` after them when the
grouping has days: the UTC start of the row's day or hour as RFC 3339 text
(``2026-11-30T14:00:00Z``), which data tools read as a timestamp while ``day`` and
``hour`` stay the API's labels (an hour-of-day grouping, hours without days, has no time
to start at and so no ``bucket_start``); the metrics are pivoted into one column each,
so a type-first grouping gives the same rows as a type-last one. Counts are integers,
Tweet IDs stay strings (a double would round them), days ``YYYY-MM-DD``, hours ``HH``.
Rows come sorted by Tweet ID as a number, then day, then hour.

The long form has one row per metric value instead: the key columns, ``metric``, ``value``.

A grouping without ``engagement.type`` has no documented shape (Part A §4): its leaves
are taken as one count each, whatever metrics it sums, given in a single ``value``
column, and its long form is the same as its wide form (no ``metric`` column, since no
metric can be named).

``row_values`` gives the rows as tuples in column order, the form the writers use (a
million rows a run); ``wide_rows`` and ``long_rows`` give them as dicts by column name.
The work goes a level or a column at a time (built-ins mapped over lists) rather than a
value at a time, since this runs for every row of every answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import Any

from engql import facts
from engql.executor.merge import MalformedAnswer, all_counts, count

KEY_COLUMNS = (
    (facts.TWEET_ID, "tweet_id"),
    (facts.ENGAGEMENT_DAY, "day"),
    (facts.ENGAGEMENT_HOUR, "hour"),
)
"""Grouping keys with a column of their own, and its name, in column order."""
BUCKET_START = "bucket_start"
"""The column of a row's bucket's UTC start, where the grouping has days."""
METRIC = "metric"
VALUE = "value"

Labels = tuple[str, ...]
Row = tuple[Any, ...]
_OBJECT_TYPES = frozenset({dict})
_values = methodcaller("values")


def columns(
    keys: Sequence[str], metrics: Sequence[str], long: bool = False, bucket: bool = True
) -> list[str]:
    """The column names of the rows of a grouping by ``keys``, in order; ``bucket``
    False leaves out ``bucket_start``."""
    names = [name for key, name in KEY_COLUMNS if key in keys]
    if bucket and facts.ENGAGEMENT_DAY in keys:
        names.append(BUCKET_START)
    if facts.ENGAGEMENT_TYPE not in keys:
        return [*names, VALUE]
    return [*names, METRIC, VALUE] if long else [*names, *metrics]


def row_values(
    grouping: Mapping[str, Any],
    keys: Sequence[str],
    metrics: Sequence[str],
    long: bool = False,
    bucket: bool = True,
) -> list[Row]:
    """The rows in order, each the tuple of its values in the order of ``columns`` (with
    the same ``bucket``). Raises MalformedAnswer when the grouping does not nest as
    ``keys`` say or a leaf is not a count."""
    keys = tuple(keys)
    if facts.ENGAGEMENT_TYPE not in keys:
        labels, leaves = _leaves(grouping, keys)
        counts = [list(map(int, leaves))]
    else:
        labels, column = _pivot(grouping, keys)
        counts = [list(map(int, column(metric))) for metric in metrics]
    width = len(labels[0]) if labels else 0
    label_columns = [list(map(itemgetter(at), labels)) for at in range(width)]
    order = _order(label_columns, len(labels), keys)
    if bucket and label_columns and facts.ENGAGEMENT_DAY in keys:
        label_columns.append(_bucket_starts(label_columns, keys))
        labels = list(zip(*label_columns, strict=True))
    if long and facts.ENGAGEMENT_TYPE in keys:
        return [
            (*labels[i], metric, values[i])
            for i in order
            for metric, values in zip(metrics, counts, strict=True)
        ]
    if not label_columns and not counts:  # no key column and no metric: empty rows
        return [()] * len(order)
    rows = list(zip(*label_columns, *counts, strict=True))
    return list(map(rows.__getitem__, order))


def _bucket_starts(label_columns: list[list[str]], keys: Labels) -> list[str]:
    """Each row's ``bucket_start``, from its day (and hour) labels as the API gave them."""
    day_at = 1 if facts.TWEET_ID in keys else 0
    days = label_columns[day_at]
    if facts.ENGAGEMENT_HOUR in keys:
        return list(map("{}T{}:00:00Z".format, days, label_columns[day_at + 1]))
    return list(map("{}T00:00:00Z".format, days))


def wide_rows(
    grouping: Mapping[str, Any], keys: Sequence[str], metrics: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """One row per combination of the keys other than engagement.type, one column per
    metric (0 where the grouping has no count for it; metrics not in ``metrics`` are left
    out). Raises MalformedAnswer when the grouping does not nest as ``keys`` say."""
    names = columns(keys, metrics)
    for row in row_values(grouping, keys, metrics):
        yield dict(zip(names, row, strict=True))


def long_rows(
    grouping: Mapping[str, Any], keys: Sequence[str], metrics: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """One row per metric value, in the order of ``wide_rows`` and then of ``metrics``."""
    names = columns(keys, metrics, long=True)
    for row in row_values(grouping, keys, metrics, long=True):
        yield dict(zip(names, row, strict=True))


def _pivot(
    grouping: Mapping[str, Any], keys: Labels
) -> tuple[list[Labels], Callable[[str], list[Any]]]:
    """The key-column labels of every row, in the order the grouping has them, and a
    function from a metric to its counts in the rows (checked, not yet converted; 0 where
    there is none). The counts go a column at a time: a day or an hour object at once."""
    last = len(keys) - 1
    metric_at = keys.index(facts.ENGAGEMENT_TYPE)
    paths, objects = _objects(grouping, last)
    _check_counts(paths, objects, _leaf_values(objects))
    at = _label_positions(keys)
    if metric_at == last:  # each object is one row: metric → count
        labels = paths if at == list(range(last)) else list(map(_picker(at), paths))
        return labels, lambda metric: list(map(methodcaller("get", metric, 0), objects))
    # Each leaf is one metric's count of one row: (row labels, metric) → count.
    leaves = [(*path, label) for path, node in zip(paths, objects, strict=True) for label in node]
    labels = list(map(_picker(at), leaves))
    metrics = list(map(itemgetter(metric_at), leaves))
    counts = dict(zip(zip(labels, metrics, strict=True), _leaf_values(objects), strict=True))
    labels = list(dict.fromkeys(labels))

    def column(metric: str) -> list[Any]:
        cells = zip(labels, repeat(metric), strict=False)  # repeat() has no end
        return list(map(counts.get, cells, repeat(0)))

    return labels, column


def _leaves(grouping: Mapping[str, Any], keys: Labels) -> tuple[list[Labels], list[Any]]:
    """The key-column labels of every leaf and its count (checked, not yet converted), for
    a grouping without engagement.type."""
    paths, objects = _objects(grouping, len(keys) - 1)
    leaves = _leaf_values(objects)
    _check_counts(paths, objects, leaves)
    at = _label_positions(keys)
    labels = [(*path, label) for path, node in zip(paths, objects, strict=True) for label in node]
    if at != list(range(len(keys))):
        labels = list(map(_picker(at), labels))
    return labels, leaves


def _label_positions(keys: Labels) -> list[int]:
    """Where in a path from the root each key column's label is, in column order."""
    return [keys.index(key) for key, _ in KEY_COLUMNS if key in keys]


def _picker(at: list[int]) -> Callable[[Labels], Labels]:
    """A path through the grouping (from the root) → its key-column labels, in order."""
    if len(at) == 1:
        only = at[0]
        return lambda path: (path[only],)
    if not at:
        return lambda path: ()
    pick: Callable[[Labels], Labels] = itemgetter(*at)
    return pick


def _objects(node: Any, depth: int) -> tuple[list[Labels], list[Mapping[str, Any]]]:
    """The labels from the root of every object ``depth`` levels down, and the objects,
    in the grouping's order: the innermost objects, whose values are counts, when
    ``depth`` is one less than the keys. Walks a level at a time (no recursion)."""
    paths: list[Labels] = [()]
    objects: list[Any] = [node]
    for _ in range(depth):
        _check_objects(paths, objects)
        paths = [
            (*path, label) for path, node in zip(paths, objects, strict=True) for label in node
        ]
        objects = list(chain.from_iterable(map(_values, objects)))
    _check_objects(paths, objects)
    return paths, objects


def _check_objects(paths: list[Labels], objects: list[Any]) -> None:
    if set(map(type, objects)) <= _OBJECT_TYPES:
        return
    for path, node in zip(paths, objects, strict=True):
        if not isinstance(node, Mapping):
            raise MalformedAnswer(f"at {list(path)}: expected an object, found {node!r}")


def _leaf_values(objects: list[Mapping[str, Any]]) -> list[Any]:
    return list(chain.from_iterable(map(_values, objects)))


def _check_counts(paths: list[Labels], objects: list[Mapping[str, Any]], leaves: list[Any]) -> None:
    """Every leaf (value of the innermost objects) is a count; after this ``int`` reads
    each as ``count`` would."""
    if all_counts(leaves):
        return
    for path, node in zip(paths, objects, strict=True):
        try:
            for value in node.values():
                count(value)
        except MalformedAnswer as error:
            raise MalformedAnswer(f"under {list(path)}: {error}") from None


def _order(columns: list[list[str]], rows: int, keys: Labels) -> list[int]:
    """The indexes of ``rows`` rows, whose labels are ``columns``, by Tweet ID as a number
    (when the grouping has one: it is the first column), then the other labels as text,
    which orders days and hours; equal ones keep their order. One stable sort a column,
    the last first, so that each compares single values, not tuples."""
    order = list(range(rows))
    keyed: list[list[Any]] = list(columns)
    if facts.TWEET_ID in keys and order:
        try:
            keyed[0] = list(map(int, columns[0]))
        except ValueError:
            bad = next(t for t in columns[0] if not _reads_as_int(t))
            raise MalformedAnswer(f"Tweet ID {bad!r} is not a number") from None
    for column in reversed(keyed):
        order.sort(key=column.__getitem__)
    return order


def _reads_as_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
