"""Which hours of each Tweet's metric a store holds for good: the ``coverage`` table.

An hour is settled when it was fetched at least the settle period after it ended; a
settled hour is never fetched again. Each (Tweet, metric) keeps its settled hours as
disjoint runs, joined as they grow, so a year of daily collections is a row or two,
not 365.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from engql.store.database import Database, chunks, placeholders
from engql.store.hours import Hours, Run, epoch_hour, hour_start, normal, union
from engql.times import floor_hour

Key = tuple[int, str]
"""(Tweet ID, metric)."""
READ_CHUNK = 500
"""Tweet IDs a coverage query names at once."""


def settled_until(fetched_at: datetime, settle: timedelta) -> int:
    """The first hour not yet settled when fetched at ``fetched_at``: hours before it
    ended at least ``settle`` before the fetch."""
    return epoch_hour(floor_hour(fetched_at - settle))


def read(db: Database, tweets: Sequence[int]) -> dict[Key, Hours]:
    """The settled hours of every metric of ``tweets`` (none: absent)."""
    found: dict[Key, list[Run]] = {}
    for part in chunks([(t,) for t in tweets], READ_CHUNK):
        ids = [t for (t,) in part]
        rows = db.query(
            "SELECT tweet_id, metric, settled_from, settled_until FROM coverage "
            f"WHERE tweet_id IN ({placeholders(len(ids))})",
            ids,
        )
        for tweet, metric, start, end in rows:
            run = (epoch_hour(db.timestamp(start)), epoch_hour(db.timestamp(end)))
            found.setdefault((tweet, metric), []).append(run)
    return {key: normal(runs) for key, runs in found.items()}


def add(db: Database, tweets: Sequence[int], metrics: Sequence[str], run: Run) -> None:
    """Mark ``run`` settled for every metric of every Tweet given; call it inside the
    transaction that stores those hours."""
    if run[0] >= run[1] or not tweets or not metrics:
        return
    have = read(db, tweets)
    rows = []
    for tweet in tweets:
        for metric in metrics:
            for start, end in union(have.get((tweet, metric), []), [run]):
                rows.append((tweet, metric, db.stamp(hour_start(start)), db.stamp(hour_start(end))))
    named = placeholders(len(metrics))
    for part in chunks([(t,) for t in tweets], READ_CHUNK):
        ids = [t for (t,) in part]
        db.execute(
            f"DELETE FROM coverage WHERE tweet_id IN ({placeholders(len(ids))}) "
            f"AND metric IN ({named})",
            (*ids, *metrics),
        )
    db.insert("coverage", ("tweet_id", "metric", "settled_from", "settled_until"), rows)
