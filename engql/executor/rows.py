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

``row_values`` gives the rows as tuples in column order, the form the writers use (a
million rows a run); ``wide_rows`` and ``long_rows`` give them as dicts by column name.
The work goes a level or a column at a time (built-ins mapped over lists) rather than a
value at a time, since this runs for every row of every answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
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
METRIC = "metric"
VALUE = "value"

Labels = tuple[str, ...]
Row = tuple[Any, ...]
_OBJECT_TYPES = frozenset({dict})


def columns(keys: Sequence[str], metrics: Sequence[str], long: bool = False) -> list[str]:
    """The column names of the rows of a grouping by ``keys``, in order."""
    names = [name for key, name in KEY_COLUMNS if key in keys]
    if facts.ENGAGEMENT_TYPE not in keys:
        return [*names, VALUE]
    return [*names, METRIC, VALUE] if long else [*names, *metrics]


def row_values(
    grouping: Mapping[str, Any], keys: Sequence[str], metrics: Sequence[str], long: bool = False
) -> list[Row]:
    """The rows in order, each the tuple of its values in the order of ``columns``. Raises
    MalformedAnswer when the grouping does not nest as ``keys`` say or a leaf is not a
    count."""
    keys = tuple(keys)
    if facts.ENGAGEMENT_TYPE not in keys:
        labels, leaves = _leaves(grouping, keys)
        order = _order(labels, keys)
        return [(*labels[i], int(leaves[i])) for i in order]
    labels, by_metric = _pivot(grouping, keys)
    order = _order(labels, keys)
    labels = list(map(labels.__getitem__, order))
    by_metric = list(map(by_metric.__getitem__, order))
    if long:
        return [
            (*row_labels, metric, int(counts.get(metric, 0)))
            for row_labels, counts in zip(labels, by_metric, strict=True)
            for metric in metrics
        ]
    counts = [list(map(int, map(methodcaller("get", m, 0), by_metric))) for m in metrics]
    if not counts:
        return list(labels)
    return list(map(tuple.__add__, labels, zip(*counts, strict=True)))


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
) -> tuple[list[Labels], list[Mapping[str, Any]]]:
    """The key-column labels of every row, and for each its metric → count object (the
    counts checked, not yet converted), in the order the grouping has them."""
    last = len(keys) - 1
    metric_at = keys.index(facts.ENGAGEMENT_TYPE)
    paths, objects = _objects(grouping, last)
    _check_counts(paths, objects, _leaf_values(objects))
    at = _label_positions(keys)
    if metric_at == last:  # each object is one row: metric → count
        if at == list(range(last)):  # the path is the labels already
            return paths, objects
        return list(map(_picker(at), paths)), objects
    pick = _picker(at)
    table: dict[Labels, dict[str, Any]] = {}
    for path, node in zip(paths, objects, strict=True):
        metric = path[metric_at]
        for label, value in node.items():
            labels = pick((*path, label))
            counts = table.get(labels)
            if counts is None:
                counts = table[labels] = {}
            counts[metric] = value
    return list(table), list(table.values())


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
        objects = list(chain.from_iterable(node.values() for node in objects))
    _check_objects(paths, objects)
    return paths, objects


def _check_objects(paths: list[Labels], objects: list[Any]) -> None:
    if set(map(type, objects)) <= _OBJECT_TYPES:
        return
    for path, node in zip(paths, objects, strict=True):
        if not isinstance(node, Mapping):
            raise MalformedAnswer(f"at {list(path)}: expected an object, found {node!r}")


def _leaf_values(objects: list[Mapping[str, Any]]) -> list[Any]:
    return list(chain.from_iterable(node.values() for node in objects))


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


def _order(labels: list[Labels], keys: Labels) -> list[int]:
    """The indexes of ``labels`` by Tweet ID as a number (when the grouping has one: it is
    the first label), then the other labels as text, which orders days and hours; equal
    ones keep their order."""
    indexes = range(len(labels))
    if facts.TWEET_ID not in keys:
        return sorted(indexes, key=labels.__getitem__)
    try:
        numbers = list(map(int, map(itemgetter(0), labels)))
    except ValueError:
        raise MalformedAnswer(f"Tweet ID {_not_a_number(labels)!r} is not a number") from None
    if len(_label_positions(keys)) == 1:
        return sorted(indexes, key=numbers.__getitem__)
    order = list(zip(numbers, map(itemgetter(slice(1, None)), labels), strict=True))
    return sorted(indexes, key=order.__getitem__)


def _not_a_number(labels: list[Labels]) -> str:
    """The first Tweet ID label that ``int`` does not read."""
    return next(row[0] for row in labels if not _reads_as_int(row[0]))


def _reads_as_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
