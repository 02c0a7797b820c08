"""The body of a 200 answer: one nested object per grouping, and the partial-success keys.

Every count starts as one list per (Tweet, metric): the hourly counts of the request's
window on /28hr and /historical, the lifetime count on /totals. A grouping sums those
lists over the keys it leaves out and over the hours its time keys merge, so every
grouping of one answer adds up to the same totals. Nesting follows ``group_by``; every
requested bucket is present, ``"0"`` when nothing happened (Part A §5, §9).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from engql import facts
from engql.sandbox.data import SyntheticEngagement
from engql.sandbox.rules import ParsedRequest, iso

WITH_ERRORS, IDS_ONLY = "with-errors", "ids-only"
UNAVAILABLE_FORMS = (WITH_ERRORS, IDS_ONLY)
"""The two ways Part B §5.3 shows unavailable Tweets: ``unavailable_tweet_ids`` with the
``facts.UNAVAILABLE_NOTE`` in ``errors`` (the error messages' table), or the IDs alone (the
reference's example answer)."""
TOO_OLD_FOR_TOTALS = (
    "Impressions & engagements for tweets older than {days} days (created before {cutoff}) "
    "are not supported"
)
"""Part B §5.3; the real text has ``*TIME_PERIOD*`` in the parentheses, whose format is
unknown: the emulator names the cutoff time."""

_TIME_KEYS = (facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR)
_HOUR = timedelta(hours=1)

Counts = dict[tuple[str, str], list[int]]
"""(Tweet ID, metric) → the counts of each hour of the window, or [lifetime] on /totals."""


def unowned_refusal(tweets: list[str]) -> str:
    """The 403 text that names the Tweets a user does not own: Part B §6, the docs' example
    ``Forbidden to access tweets: 1054424731825229824;``, several IDs joined by ``, `` as
    in the 2016 form."""
    return f"{facts.UNOWNED_ERROR}: {', '.join(tweets)};"


def answer(
    request: ParsedRequest,
    data: SyntheticEngagement,
    now: datetime,
    unavailable: frozenset[str] = frozenset(),
    unavailable_form: str = WITH_ERRORS,
) -> dict[str, Any]:
    """The 200 body for a parsed request at ``now``; ``unavailable`` Tweets get no data
    and are listed in ``unavailable_tweet_ids``, with the ``errors`` string or without
    it as ``unavailable_form`` says."""
    missing = [t for t in request.tweet_ids if t in unavailable]
    tweets = [t for t in request.tweet_ids if t not in unavailable]
    too_old = _too_old_for_totals(request, tweets, data, now)
    no_video = _too_old_for_video(request, tweets, data, now)
    counts = _counts(request, tweets, data, now, too_old, no_video)
    timeline = Timeline(request.window)
    body: dict[str, Any] = {}
    if request.echo_start is not None and request.echo_end is not None:
        body[facts.START_FIELD], body[facts.END_FIELD] = request.echo_start, request.echo_end
    errors = []
    if missing and unavailable_form == WITH_ERRORS:
        errors.append(facts.UNAVAILABLE_NOTE.format(count=len(missing)))
    if too_old:
        cutoff = iso(now - facts.TOTALS_PRIVATE_MAX_AGE)
        errors.append(
            TOO_OLD_FOR_TOTALS.format(days=facts.TOTALS_PRIVATE_MAX_AGE.days, cutoff=cutoff)
        )
    if errors:
        body[facts.ERRORS_KEY] = errors
    if missing:
        body[facts.UNAVAILABLE_IDS] = missing
    if too_old:
        body[facts.UNSUPPORTED_IMPRESSIONS_IDS] = too_old
    if no_video:
        body[facts.UNSUPPORTED_VIDEO_VIEWS_IDS] = no_video
    for name, keys in request.groupings:
        body[name] = grouping(keys, tweets, request.metrics, counts, timeline)
    return body


def _too_old_for_totals(
    request: ParsedRequest, tweets: list[str], data: SyntheticEngagement, now: datetime
) -> list[str]:
    """/totals has impressions and engagements only for Tweets of the last 90 days."""
    if request.endpoint != "totals" or not set(request.metrics) & set(facts.TOTALS_PRIVATE_METRICS):
        return []
    cutoff = now - facts.TOTALS_PRIVATE_MAX_AGE
    return [t for t in tweets if data.created_at(int(t)) < cutoff]


def _too_old_for_video(
    request: ParsedRequest, tweets: list[str], data: SyntheticEngagement, now: datetime
) -> list[str]:
    """``video_views`` exist only for Tweets of the last 1800 days, on every endpoint."""
    if "video_views" not in request.metrics:
        return []
    cutoff = now - facts.VIDEO_VIEWS_MAX_AGE
    return [t for t in tweets if data.created_at(int(t)) < cutoff]


def _counts(
    request: ParsedRequest,
    tweets: list[str],
    data: SyntheticEngagement,
    now: datetime,
    too_old: list[str],
    no_video: list[str],
) -> Counts:
    zeroed = {(t, m) for t in too_old for m in facts.TOTALS_PRIVATE_METRICS}
    zeroed |= {(t, "video_views") for t in no_video}
    window = request.window
    counts: Counts = {}
    for tweet in tweets:
        number = int(tweet)
        for metric in request.metrics:
            if window is None:
                value = 0 if (tweet, metric) in zeroed else data.lifetime(number, metric, now)
                counts[tweet, metric] = [value]
                continue
            start, end = window
            if (tweet, metric) in zeroed:
                counts[tweet, metric] = [0] * ((end - start) // _HOUR)
                continue
            hours = data.hours(number, metric, start, end)
            if request.endpoint == "historical" and metric in facts.PUBLIC_COUNTS_METRICS:
                _zero_before(hours, start, facts.PUBLIC_COUNTS_START)
            counts[tweet, metric] = hours
    return counts


def _zero_before(hours: list[int], start: datetime, moment: datetime) -> None:
    """favorites, replies and retweets read as zero on /historical before 2015-09-15."""
    blank = min(max((moment - start) // _HOUR, 0), len(hours))
    hours[:blank] = [0] * blank


class Timeline:
    """The labels of a window's hours (day ``YYYY-MM-DD`` and hour ``HH``), and the ways
    a time grouping folds a list of hourly counts; on /totals, a single lifetime count."""

    def __init__(self, window: tuple[datetime, datetime] | None) -> None:
        hours: list[datetime] = []
        if window is not None:
            moment, end = window
            while moment < end:
                hours.append(moment)
                moment += _HOUR
        self.length = len(hours) if window is not None else 1
        self.days = [f"{h:%Y-%m-%d}" for h in hours]
        self.hours = [f"{h:%H}" for h in hours]
        self.day_runs: list[tuple[str, int, int]] = []
        """(day, first index, end index) of each day, in order."""
        for index, day in enumerate(self.days):
            if self.day_runs and self.day_runs[-1][0] == day:
                self.day_runs[-1] = (day, self.day_runs[-1][1], index + 1)
            else:
                self.day_runs.append((day, index, index + 1))
        self.hour_of_day = sorted(range(min(len(hours), 24)), key=self.hours.__getitem__)
        """The first index of each hour of the day, by hour: hour-of-day buckets hold the
        counts at that index and every 24th after it."""

    def tree(self, keys: tuple[str, ...], counts: list[int]) -> Any:
        """The subtree of time ``keys`` (day, hour, both or neither) over hourly counts."""
        day, hour = self.days, self.hours
        if not keys:
            return str(sum(counts))
        if keys == (facts.ENGAGEMENT_DAY,):
            return {d: str(sum(counts[lo:hi])) for d, lo, hi in self.day_runs}
        if keys == (facts.ENGAGEMENT_HOUR,):
            return {hour[j]: str(sum(counts[j::24])) for j in self.hour_of_day}
        if keys == (facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR):
            return {
                d: dict(zip(hour[lo:hi], map(str, counts[lo:hi]), strict=True))
                for d, lo, hi in self.day_runs
            }
        return {
            hour[j]: dict(zip(day[j::24], map(str, counts[j::24]), strict=True))
            for j in self.hour_of_day
        }

    def cells(self, keys: tuple[str, ...], counts: list[int]) -> Iterator[tuple[list[str], int]]:
        """The buckets of time ``keys`` as (labels in key order, count), in tree order."""
        tree = self.tree(keys, counts)
        if not keys:
            yield [], int(tree)
            return
        for outer, inner in tree.items():
            if isinstance(inner, dict):
                for label, value in inner.items():
                    yield [outer, label], int(value)
            else:
                yield [outer], int(inner)


def grouping(
    keys: tuple[str, ...],
    tweets: list[str],
    metrics: tuple[str, ...],
    counts: Counts,
    timeline: Timeline,
) -> Any:
    """One grouping's answer: nested in ``keys`` order, leaves decimal strings."""
    by_tweet = facts.TWEET_ID in keys
    by_metric = facts.ENGAGEMENT_TYPE in keys
    time_keys = tuple(k for k in keys if k in _TIME_KEYS)
    outer = keys[: len(keys) - len(time_keys)]
    parts = list(_combined(tweets, metrics, counts, by_tweet, by_metric, timeline.length))
    if set(outer).isdisjoint(_TIME_KEYS):
        return _nest_trailing(outer, time_keys, parts, timeline)
    root: dict[str, Any] = {}
    for labels, series in parts:
        for time_labels, value in timeline.cells(time_keys, series):
            labels.update(zip(time_keys, time_labels, strict=True))
            path = [labels[k] for k in keys]
            node = root
            for label in path[:-1]:
                node = node.setdefault(label, {})
            node[path[-1]] = str(value)
    return root


def _nest_trailing(
    outer: tuple[str, ...],
    time_keys: tuple[str, ...],
    parts: list[tuple[dict[str, str], list[int]]],
    timeline: Timeline,
) -> Any:
    """The usual case, time keys last: each part's time subtree hung under its labels."""
    if not outer:
        return timeline.tree(time_keys, parts[0][1])
    root: dict[str, Any] = {}
    for labels, series in parts:
        node = root
        for key in outer[:-1]:
            node = node.setdefault(labels[key], {})
        node[labels[outer[-1]]] = timeline.tree(time_keys, series)
    return root


def _combined(
    tweets: list[str],
    metrics: tuple[str, ...],
    counts: Counts,
    by_tweet: bool,
    by_metric: bool,
    length: int,
) -> Iterator[tuple[dict[str, str], list[int]]]:
    """The counts summed over the keys a grouping leaves out, each with its labels."""
    tweet_groups = [[t] for t in tweets] if by_tweet else [tweets]
    metric_groups = [[m] for m in metrics] if by_metric else [list(metrics)]
    for tweet_group in tweet_groups:
        for metric_group in metric_groups:
            labels: dict[str, str] = {}
            if by_tweet:
                labels[facts.TWEET_ID] = tweet_group[0]
            if by_metric:
                labels[facts.ENGAGEMENT_TYPE] = metric_group[0]
            series = [counts[t, m] for t in tweet_group for m in metric_group]
            if len(series) == 1:
                yield labels, series[0]
            else:
                yield labels, [sum(column) for column in zip(*series, strict=True)] or [0] * length
