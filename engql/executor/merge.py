"""One statement's answers merged into the answer one unlimited request would have given.

A statement's requests cover different batches of Tweets and different time windows
(``engql.plan.planner``); each answer has the API's shape (engagement-api.md §5, Part A §9).
Merging them gives that shape again:

- each grouping is a deep union of the answers' nested objects; where two answers hold
  the same bucket, their counts are summed (a grand total over batches, a day cut in two
  by a window boundary, hour-of-day buckets over windows). Counts are decimal strings,
  and sums are written back as decimal strings; bare integers, which a few documented
  examples show, are read too, and negative counts (an undone like) are kept;
- ``start`` is the earliest start, ``end`` the latest end;
- the Tweet ID lists (unavailable, unsupported for a metric) are ordered unions;
- ``errors``: the "N Tweet ID(s) are unavailable" note is counted again from the union
  of unavailable IDs, when an answer had one (the API may list the IDs without it,
  Part B §5.3); every other note is kept once.

Each answer is merged in once, when added, and the merged data is never walked again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from engql.facts import (
    END_FIELD,
    ERRORS_KEY,
    LISTED_ID_KEYS,
    START_FIELD,
    UNAVAILABLE_IDS,
    UNAVAILABLE_NOTE,
)
from engql.times import as_utc

_UNAVAILABLE_NOTE = re.compile(re.escape(UNAVAILABLE_NOTE).replace(re.escape("{count}"), "[0-9]+"))


class MalformedAnswer(ValueError):
    """An answer that does not have the shape of its request; the message says where."""


MAX_COUNT = (1 << 63) - 1
"""The largest count: a signed 64-bit integer, as the stores, Parquet and pandas hold
counts; a count past it is no count a server means (and would fail there). Sums of
counts over batches are exact whatever their size."""
_FAST_DIGITS = len(str(MAX_COUNT)) - 1
"""Digit strings this long or shorter are below MAX_COUNT without converting them."""


def count(value: object) -> int:
    """A count as the API writes it: a decimal string (or an integer), maybe negative,
    within 64 bits."""
    text = value if type(value) is str else ""
    if text.isdigit() and text.isascii() and len(text) <= _FAST_DIGITS:
        return int(text)  # by far the most common
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _signed_digits(value):
        number = int(value) if len(value) <= _FAST_DIGITS + 3 else MAX_COUNT + 1
    else:
        raise MalformedAnswer(f"{_shown(value)} is not a count (a decimal integer)")
    if -MAX_COUNT - 1 <= number <= MAX_COUNT:
        return number
    shown = _shown(value) if isinstance(value, str) else "an integer"
    raise MalformedAnswer(f"{shown} is not a count: counts are 64-bit integers")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _signed_digits(text: str) -> bool:
    digits = text[1:] if text[:1] == "-" else text
    return digits.isdigit() and digits.isascii()


def all_counts(values: list[Any]) -> bool:
    """Whether every value is a count, at C speed when they are all digit strings."""
    if not values:
        return True
    try:
        digits = "".join(values)
    except TypeError:
        digits = ""
    if digits.isdigit() and digits.isascii():
        lengths = list(map(len, values))
        if min(lengths) >= 1 and max(lengths) <= _FAST_DIGITS:
            return True
    try:
        for value in values:
            count(value)
    except MalformedAnswer:
        return False
    return True


def merge_answers(
    groupings: Sequence[tuple[str, tuple[str, ...]]], answers: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The answers of one statement's requests merged into one answer of the API's shape."""
    merger = Merger(groupings)
    for answer in answers:
        merger.add(answer)
    return merger.result()


class Merger:
    """The merged answer of a statement's requests, built one answer at a time.

    The part of an answer that no earlier answer shares (a new Tweet, a new day) is taken
    over as it is, neither copied nor read; so an added answer must not be changed later,
    and its counts there stay as the server wrote them (a bare integer stays an integer).
    A taken-over object is copied once, the first time a later answer must be summed into
    it; answers themselves are never changed. Not thread-safe: add from one thread.
    """

    def __init__(self, groupings: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        self.names = tuple(name for name, _ in groupings)
        self.answers = 0
        """How many answers were added."""
        self._trees: dict[str, Any] = {}
        self._owned: set[int] = set()
        """ids of the objects this Merger made and shares with nobody: only those are
        changed in place. Each stays in the merged tree, so its id is not reused."""
        self._start: tuple[datetime, str] | None = None
        self._end: tuple[datetime, str] | None = None
        self._ids: dict[str, dict[str, None]] = {field: {} for field in LISTED_ID_KEYS}
        self._unavailable_notes: list[str] = []
        self._notes: list[object] = []

    def add(self, answer: Mapping[str, Any]) -> None:
        """Merge one 200 answer in. A grouping the answer lacks adds nothing to it."""
        self._add_range(answer)
        for field in LISTED_ID_KEYS:
            seen = self._ids[field]
            for tweet in _listed(answer, field):
                seen[str(tweet)] = None
        for note in _listed(answer, ERRORS_KEY):
            if isinstance(note, str) and _UNAVAILABLE_NOTE.fullmatch(note):
                if note not in self._unavailable_notes:
                    self._unavailable_notes.append(note)
            elif note not in self._notes:
                self._notes.append(note)
        for name in self.names:
            if name not in answer:
                continue
            theirs = answer[name]
            if name in self._trees:
                self._trees[name] = self._merged(self._trees[name], theirs, (name,))
            else:
                self._trees[name] = theirs
        self.answers += 1

    def result(self) -> dict[str, Any]:
        """The merged answer so far, keys in the order of an API answer; every grouping is
        present (``{}`` when no answer had it). Later ``add`` calls leave it unchanged."""
        body: dict[str, Any] = {}
        if self._start is not None:
            body[START_FIELD] = self._start[1]
        if self._end is not None:
            body[END_FIELD] = self._end[1]
        errors = self._errors()
        if errors:
            body[ERRORS_KEY] = errors
        for field, ids in self._ids.items():
            if ids:
                body[field] = list(ids)
        for name in self.names:
            body[name] = self._trees.get(name, {})
        self._owned.clear()  # the result now shares them: copy before changing
        return body

    def _errors(self) -> list[object]:
        """The unavailable note counted from the union, then the other notes. Without
        unavailable IDs to count, the answers' own unavailable notes are kept as they are;
        without a note in any answer, none is made up."""
        unavailable = self._ids[UNAVAILABLE_IDS]
        if unavailable and self._unavailable_notes:
            counted: list[object] = [UNAVAILABLE_NOTE.format(count=len(unavailable))]
        else:
            counted = list(self._unavailable_notes)
        return counted + self._notes

    def _add_range(self, answer: Mapping[str, Any]) -> None:
        if START_FIELD in answer:
            start = moment(START_FIELD, answer[START_FIELD])
            if self._start is None or start < self._start[0]:
                self._start = (start, answer[START_FIELD])
        if END_FIELD in answer:
            end = moment(END_FIELD, answer[END_FIELD])
            if self._end is None or end > self._end[0]:
                self._end = (end, answer[END_FIELD])

    def _merged(self, mine: Any, theirs: Any, path: tuple[str, ...]) -> Any:
        """``theirs`` summed into ``mine``: in place when this Merger owns ``mine``, else
        into a copy of it, which it then owns."""
        if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
            if id(mine) not in self._owned:
                mine = dict(mine)
                self._owned.add(id(mine))
            if mine.keys().isdisjoint(theirs.keys()):
                mine.update(theirs)
                return mine
            for key, value in theirs.items():
                if key not in mine:
                    mine[key] = value
                elif type(value) is str and type(mine[key]) is str:  # two counts, most often
                    mine[key] = _sum(mine[key], value, (*path, key))
                else:
                    mine[key] = self._merged(mine[key], value, (*path, key))
            return mine
        if isinstance(mine, Mapping) or isinstance(theirs, Mapping):
            raise MalformedAnswer(
                f"{_where(path)} is a count in one answer and an object in another"
            )
        return _sum(mine, theirs, path)


def _sum(mine: object, theirs: object, path: tuple[str, ...]) -> str:
    try:
        return str(count(mine) + count(theirs))
    except MalformedAnswer as error:
        raise MalformedAnswer(f"{_where(path)}: {error}") from None


def moment(field: str, value: object) -> datetime:
    """``start`` or ``end`` of an answer as a UTC time."""
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise MalformedAnswer(f"{field} {value!r} is not an ISO date-time")


def _listed(answer: Mapping[str, Any], field: str) -> list[Any]:
    """The list in ``field``; absent or null is an empty list."""
    value = answer.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedAnswer(f"{field} is not a list")
    return value


def _where(path: tuple[str, ...]) -> str:
    return f"grouping '{path[0]}'" + "".join(f"[{key!r}]" for key in path[1:])
