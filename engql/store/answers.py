"""Answers made from stored facts, in the API's own shape, so that a collection's answer
goes through the same merge, rows and outputs as a run's.

A /historical or /28hr request's answer is made from the hours it covers: every grouping
sums the hourly counts over the keys it leaves out and over the hours its time keys fold
(a day, an hour of the day, the whole window), nests them in ``group_by`` order, and lists
every bucket of the window, ``"0"`` where nothing happened (Part A §5, §9): what the API
answers for those hours. A /totals request's answer is its snapshot's cells nested again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engql import facts
from engql.store.hours import Run, hour_start

_TIME_KEYS = (facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR)

Series = Mapping[tuple[str, str], Sequence[int]]
"""(Tweet ID, metric) → the count of each hour of the window, in order."""


def window_answer(
    groupings: Sequence[tuple[str, tuple[str, ...]]],
    tweets: Sequence[str],
    metrics: Sequence[str],
    window: Run,
    series: Series,
) -> dict[str, Any]:
    """The groupings of an answer over ``window`` for ``tweets``, each of which has a
    series for every metric."""
    labels = _Labels(window)
    return {name: _grouping(keys, tweets, metrics, series, labels) for name, keys in groupings}


def snapshot_answer(
    groupings: Sequence[tuple[str, tuple[str, ...]]],
    cells: Iterable[tuple[str, str | None, str | None, int]],
) -> dict[str, Any]:
    """Groupings without time keys nested again from their stored cells: (grouping,
    Tweet ID or None, metric or None, count)."""
    keyed = dict(groupings)
    answer: dict[str, Any] = {name: {} for name in keyed}
    for name, tweet, metric, value in cells:
        keys = keyed.get(name)
        if keys is None:
            continue
        by = {facts.TWEET_ID: tweet, facts.ENGAGEMENT_TYPE: metric}
        path = [by[key] for key in keys]
        if not path:
            answer[name] = str(value)
            continue
        node = answer[name]
        for label in path[:-1]:
            node = node.setdefault(label, {})
        node[path[-1]] = str(value)
    return answer


class _Labels:
    """The day and hour labels of a window's hours and how time keys fold them."""

    def __init__(self, window: Run) -> None:
        moments = [hour_start(h) for h in range(*window)]
        self.length = len(moments)
        self.days = [f"{m:%Y-%m-%d}" for m in moments]
        self.hours = [f"{m:%H}" for m in moments]
        self.day_runs: list[tuple[str, int, int]] = []
        for at, day in enumerate(self.days):
            if self.day_runs and self.day_runs[-1][0] == day:
                self.day_runs[-1] = (day, self.day_runs[-1][1], at + 1)
            else:
                self.day_runs.append((day, at, at + 1))
        self.hour_of_day = sorted(range(min(self.length, 24)), key=self.hours.__getitem__)
        """The first index of each hour of the day in the window, by hour."""

    def tree(self, keys: tuple[str, ...], counts: Sequence[int]) -> Any:
        """The subtree of the time ``keys`` (in their order) over hourly ``counts``."""
        if not keys:
            return str(sum(counts))
        if keys == (facts.ENGAGEMENT_DAY,):
            return {day: str(sum(counts[lo:hi])) for day, lo, hi in self.day_runs}
        if keys == (facts.ENGAGEMENT_HOUR,):
            return {self.hours[j]: str(sum(counts[j::24])) for j in self.hour_of_day}
        if keys == (facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR):
            hours = self.hours
            return {
                day: dict(zip(hours[lo:hi], map(str, counts[lo:hi]), strict=True))
                for day, lo, hi in self.day_runs
            }
        days = self.days
        return {
            self.hours[j]: dict(zip(days[j::24], map(str, counts[j::24]), strict=True))
            for j in self.hour_of_day
        }

    def cells(self, keys: tuple[str, ...], counts: Sequence[int]) -> list[tuple[list[str], str]]:
        """The time buckets as (labels in ``keys`` order, count), in tree order."""
        tree = self.tree(keys, counts)
        if not keys:
            return [([], tree)]
        found: list[tuple[list[str], str]] = []
        for outer, inner in tree.items():
            if isinstance(inner, dict):
                found.extend(([outer, label], value) for label, value in inner.items())
            else:
                found.append(([outer], inner))
        return found


def _grouping(
    keys: tuple[str, ...],
    tweets: Sequence[str],
    metrics: Sequence[str],
    series: Series,
    labels: _Labels,
) -> Any:
    time_keys = tuple(k for k in keys if k in _TIME_KEYS)
    outer = keys[: len(keys) - len(time_keys)]
    parts = _parts(keys, tweets, metrics, series, labels.length)
    if set(outer).isdisjoint(_TIME_KEYS):  # time keys last, by far the most common
        if not outer:
            return labels.tree(time_keys, parts[0][1])
        root: dict[str, Any] = {}
        for path, counts in parts:
            node = root
            for label in path[:-1]:
                node = node.setdefault(label, {})
            node[path[-1]] = labels.tree(time_keys, counts)
        return root
    placed = [keys.index(k) for k in keys if k not in _TIME_KEYS]
    timed = [keys.index(k) for k in time_keys]
    root = {}
    for path, counts in parts:
        for time_labels, value in labels.cells(time_keys, counts):
            full = [""] * len(keys)
            for at, label in zip(placed, path, strict=True):
                full[at] = label
            for at, label in zip(timed, time_labels, strict=True):
                full[at] = label
            node = root
            for label in full[:-1]:
                node = node.setdefault(label, {})
            node[full[-1]] = value
    return root


def _parts(
    keys: tuple[str, ...],
    tweets: Sequence[str],
    metrics: Sequence[str],
    series: Series,
    length: int,
) -> list[tuple[list[str], Sequence[int]]]:
    """The hourly counts summed over the keys the grouping leaves out, each with its
    Tweet and metric labels in ``keys`` order."""
    by_tweet, by_metric = facts.TWEET_ID in keys, facts.ENGAGEMENT_TYPE in keys
    tweet_first = (
        by_tweet and by_metric and keys.index(facts.TWEET_ID) < keys.index(facts.ENGAGEMENT_TYPE)
    )
    tweet_groups = [[t] for t in tweets] if by_tweet else [list(tweets)]
    metric_groups = [[m] for m in metrics] if by_metric else [list(metrics)]
    outer, inner = (tweet_groups, metric_groups)
    if by_tweet and by_metric and not tweet_first:
        outer, inner = metric_groups, tweet_groups
    parts: list[tuple[list[str], Sequence[int]]] = []
    for first in outer:
        for second in inner:
            group_tweets, group_metrics = (
                (first, second) if outer is tweet_groups else (second, first)
            )
            path = []
            if by_tweet and by_metric:
                path = [first[0], second[0]]
            elif by_tweet:
                path = [group_tweets[0]]
            elif by_metric:
                path = [group_metrics[0]]
            chosen = [series[t, m] for t in group_tweets for m in group_metrics]
            if len(chosen) == 1:
                parts.append((path, chosen[0]))
            else:
                parts.append((path, [sum(c) for c in zip(*chosen, strict=True)] or [0] * length))
    return parts
