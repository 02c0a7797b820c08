"""Sets of whole UTC hours, as sorted, disjoint ``[start, end)`` runs of epoch hours.

A collection reasons in hours: which a Tweet's metric has stored and settled, which a
query needs, which a request fetches. Epoch hours (hours since 1970-01-01T00Z) make that
integer arithmetic; times are converted only where they meet a database or a body.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

Run = tuple[int, int]
Hours = list[Run]
"""Sorted, disjoint, non-empty runs; adjacent runs are joined."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR = timedelta(hours=1)


def epoch_hour(moment: datetime) -> int:
    """The hour that holds ``moment``."""
    return (moment - _EPOCH) // _HOUR


def hour_start(hour: int) -> datetime:
    return _EPOCH + hour * _HOUR


def normal(runs: Iterable[Run]) -> Hours:
    """``runs`` sorted, empty ones dropped, overlapping and adjacent ones joined."""
    joined: Hours = []
    for start, end in sorted(r for r in runs if r[0] < r[1]):
        if joined and start <= joined[-1][1]:
            if end > joined[-1][1]:
                joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def union(a: Hours, b: Hours) -> Hours:
    return normal([*a, *b])


def minus(a: Hours, b: Hours) -> Hours:
    """The hours of ``a`` that ``b`` does not hold."""
    left: Hours = []
    at = 0
    for start, end in a:
        while at < len(b) and b[at][1] <= start:
            at += 1
        cursor, scan = start, at
        while scan < len(b) and b[scan][0] < end:
            if b[scan][0] > cursor:
                left.append((cursor, b[scan][0]))
            cursor = max(cursor, b[scan][1])
            scan += 1
        if cursor < end:
            left.append((cursor, end))
    return left


def intersection(a: Hours, b: Hours) -> Hours:
    return minus(a, minus(a, b))


def count(hours: Hours) -> int:
    return sum(end - start for start, end in hours)
