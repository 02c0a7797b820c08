"""Whether a 200 answer has the shape of the request it answers, before anything reads it.

A server can send anything; the merger, the rows and the accounting of missing Tweets
rely on the API's shape (engagement-api.md §5, Part A §9), and what the server made up
must not reach the output. So each answer is checked against the body that was sent,
and one that does not fit is a failed attempt, retried like a broken body:

- the answer is a JSON object; each requested grouping in it is an object nested as its
  ``group_by`` says, down to counts (``engql.executor.merge.count``);
- the keys of a ``tweet.id`` level are Tweets the request named, those of an
  ``engagement.type`` level metrics it asked for, day keys ``YYYY-MM-DD``, hour keys
  ``HH``;
- the lists of problem Tweets are lists of Tweets the request named, ``errors`` is a
  list, ``start`` and ``end`` are ISO date-times.

A grouping the answer leaves out is not a problem of shape: its Tweets are reported
missing as "not in the answer".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from itertools import chain
from typing import Any

from engql import facts
from engql.executor.merge import MalformedAnswer, all_counts, count, moment

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HOURS = frozenset(f"{hour:02}" for hour in range(24))
_OBJECT = frozenset({dict})
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}

Path = tuple[str, ...]


def answer_problem(answer: Any, request: Mapping[str, Any]) -> str | None:
    """What is wrong with ``answer`` as the answer to ``request`` (the body sent), or None."""
    if not isinstance(answer, dict):
        return f"the answer is a JSON {_json_type(answer)}, not an object"
    tweets = frozenset(str(tweet) for tweet in request[facts.TWEET_IDS_FIELD])
    for field in facts.LISTED_ID_KEYS:
        listed = answer.get(field)
        if listed is None:
            continue
        if not isinstance(listed, list):
            return f"{field} is a JSON {_json_type(listed)}, not an array"
        unasked = next((t for t in listed if str(t) not in tweets), None)
        if unasked is not None:
            return f"{field} names Tweet {unasked}, which was not asked for"
    errors = answer.get(facts.ERRORS_KEY, [])
    if not isinstance(errors, list):
        return f"{facts.ERRORS_KEY} is a JSON {_json_type(errors)}, not an array"
    for field in facts.RANGE_FIELDS:
        if field in answer:
            try:
                moment(field, answer[field])
            except MalformedAnswer as error:
                return str(error)
    metrics = frozenset(request[facts.ENGAGEMENT_TYPES_FIELD])
    for name, grouping in request[facts.GROUPINGS_FIELD].items():
        if name in answer:
            keys = grouping[facts.GROUP_BY_FIELD]
            if _grouping_fits(answer[name], keys, tweets, metrics):
                continue
            return _grouping_problem(answer[name], keys, tweets, metrics, (name,))
    return None


def _grouping_fits(
    tree: Any, keys: list[str], tweets: frozenset[str], metrics: frozenset[str]
) -> bool:
    """The check of ``_grouping_problem`` without the paths it needs only to say where:
    answers almost always fit, so each level is checked whole, its labels as one set and
    its counts as one string, instead of object by object."""
    level = [tree]
    for depth, key in enumerate(keys):
        if not set(map(type, level)) <= _OBJECT:
            return False
        if _key_check(key, tweets, metrics)(set(chain.from_iterable(level))) is not None:
            return False
        below = list(chain.from_iterable(map(dict.values, level)))
        if depth == len(keys) - 1:
            return all_counts(below)
        level = below
    return True


def _grouping_problem(
    tree: Any, keys: list[str], tweets: frozenset[str], metrics: frozenset[str], root: Path
) -> str | None:
    """What is wrong with a grouping, and where. Walks it one level at a time (no
    recursion: a deep answer cannot exhaust the stack), checking each level's keys and,
    at the last, the counts."""
    level: list[tuple[Path, Any]] = [(root, tree)]
    for depth, key in enumerate(keys):
        unknown = _key_check(key, tweets, metrics)
        last = depth == len(keys) - 1
        below: list[tuple[Path, Any]] = []
        for path, node in level:
            if not isinstance(node, dict):
                return f"{_where(path)} is a JSON {_json_type(node)}, not an object"
            problem = unknown(node)
            if problem is not None:
                return f"{_where(path)} {problem}"
            if last:
                try:
                    for value in node.values():
                        count(value)
                except MalformedAnswer as error:
                    return f"{_where(path)}: {error}"
            else:
                below.extend(((*path, label), child) for label, child in node.items())
        level = below
    return None


def _key_check(
    key: str, tweets: frozenset[str], metrics: frozenset[str]
) -> Callable[[Collection[str]], str | None]:
    """A check of the labels (an object's keys, or a whole level's) grouped by ``key``."""
    if key == facts.TWEET_ID:
        return lambda node: _outside(node, tweets, "names Tweet {}, which was not asked for")
    if key == facts.ENGAGEMENT_TYPE:
        return lambda node: _outside(node, metrics, "names metric {!r}, which was not asked for")
    if key == facts.ENGAGEMENT_HOUR:
        return lambda node: _outside(node, _HOURS, "has the hour {!r}, not 00 to 23")
    return _days


def _outside(labels: Collection[str], allowed: frozenset[str], problem: str) -> str | None:
    if allowed.issuperset(labels):
        return None
    return problem.format(next(k for k in labels if k not in allowed))


def _days(labels: Collection[str]) -> str | None:
    bad = next((k for k in labels if not _DAY.fullmatch(k)), None)
    return None if bad is None else f"has the day {bad!r}, not YYYY-MM-DD"


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "number")


def _where(path: Path) -> str:
    return f"grouping {path[0]!r}" + "".join(f"[{key!r}]" for key in path[1:])
