"""Deterministic synthetic engagement: a count for every (Tweet, metric, UTC hour).

A Tweet's counts are zero before the hour it was created in; from that hour they start at
an amplitude drawn from a hash of (seed, Tweet, metric) and decay geometrically, with a
small jitter per hour, until they reach zero for good, at most ``MAX_ACTIVE_HOURS`` after
creation. So one (Tweet, metric) pair is a short list of integers; it is computed once,
with its running sums, and every sum over hours reads two of them. The law the answers
rest on: any sum equals the sum of ``hourly`` over the same hours, exactly.

Amplitudes keep the proportions of real Tweets: impressions ≫ engagements ≫ favorites ≫
retweets ≫ replies; only some Tweets carry media, a video or a link, and only those get
the matching metrics.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate

import attrs

from engql import facts
from engql.record import Record

MAX_ACTIVE_HOURS = 21 * 24
"""Hours after the creation hour in which a Tweet can still have engagement (3 weeks)."""

PRE_SNOWFLAKE_START = datetime(2008, 1, 1, tzinfo=UTC)
"""IDs without a time get a creation time from a hash, between this and the scheme's start."""

_ONE_HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MASK = (1 << 64) - 1
_LCG_MULTIPLIER = 6364136223846793005
_LCG_INCREMENT = 1442695040888963407
_UNIT = 1.0 / (1 << 24)

_REACH = (50.0, 50_000.0)
"""First-hour impressions of a Tweet, drawn log-uniformly from this range."""
_DECAY = (0.78, 0.92)
"""Per-hour decay factor of a Tweet's engagement (half-lives of about 3 to 8 hours)."""
_JITTER = (0.7, 1.3)
_FADED = 0.05
"""The level below which a series stops: what remains would be a 1 once in 20 hours."""

_SHARE: dict[str, float] = {
    "impressions": 1.0,
    "engagements": 0.03,
    "favorites": 0.01,
    "retweets": 0.002,
    "quote_tweets": 0.0003,
    "replies": 0.0008,
    "video_views": 0.2,
    "media_views": 0.25,
    "media_engagements": 0.012,
    "url_clicks": 0.005,
    "hashtag_clicks": 0.0012,
    "detail_expands": 0.008,
    "permalink_clicks": 0.0015,
    "app_install_attempts": 0.0001,
    "app_opens": 0.0002,
    "email_tweet": 0.00005,
    "user_follows": 0.0004,
    "user_profile_clicks": 0.002,
}
"""Each metric's amplitude as a share of the Tweet's first-hour impressions."""

_NEEDS: dict[str, str] = {
    "video_views": "video",
    "media_views": "media",
    "media_engagements": "media",
    "url_clicks": "link",
    "app_install_attempts": "app",
    "app_opens": "app",
}
"""Metrics that only Tweets with this kind of content have."""
_CONTENT_ODDS: dict[str, float] = {"video": 0.3, "media": 0.55, "link": 0.4, "app": 0.05}


@attrs.frozen(repr=False)
class Series(Record):
    """One (Tweet, metric) pair: its counts from ``first_hour`` on, and their running sums.

    Hours are counted since the Unix epoch. ``running[k]`` is the sum of ``counts[:k]``;
    every hour outside ``[first_hour, first_hour + len(counts))`` counts zero.
    """

    first_hour: int
    counts: tuple[int, ...]
    running: tuple[int, ...]

    def total(self, start: int, stop: int) -> int:
        """The sum of the hours ``start <= h < stop`` (epoch hours)."""
        size = len(self.counts)
        lo = min(max(start - self.first_hour, 0), size)
        hi = min(max(stop - self.first_hour, 0), size)
        return self.running[hi] - self.running[lo] if hi > lo else 0

    def window(self, start: int, stop: int) -> list[int]:
        """The counts of the hours ``start <= h < stop``, zero-filled."""
        length = max(stop - start, 0)
        offset = start - self.first_hour
        lo, hi = max(offset, 0), min(offset + length, len(self.counts))
        if hi <= lo:
            return [0] * length
        before = lo - offset
        return [0] * before + list(self.counts[lo:hi]) + [0] * (length - before - (hi - lo))


class SyntheticEngagement:
    """Counts per Tweet, metric and hour, a pure function of the seed and those three."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.series = lru_cache(maxsize=1 << 16)(self._series)
        """The Series of a (Tweet ID, metric) pair; cached, and safe across threads."""

    def created_at(self, tweet_id: int) -> datetime:
        """The Snowflake time of the ID, or for older IDs one drawn from a hash of the ID."""
        return tweet_created_at(tweet_id)

    def hourly(self, tweet_id: int, metric: str, hour: datetime) -> int:
        """The count of the UTC hour that starts at ``hour``."""
        return self.series(tweet_id, metric).total(epoch_hour(hour), epoch_hour(hour) + 1)

    def between(self, tweet_id: int, metric: str, start: datetime, end: datetime) -> int:
        """The sum over the hours that start in ``[start, end)``."""
        return self.series(tweet_id, metric).total(
            epoch_hour_at_or_after(start), epoch_hour_at_or_after(end)
        )

    def lifetime(self, tweet_id: int, metric: str, now: datetime) -> int:
        """The lifetime count as of ``now``: every hour that started before it, counted whole."""
        series = self.series(tweet_id, metric)
        return series.total(series.first_hour, epoch_hour_at_or_after(now))

    def hours(self, tweet_id: int, metric: str, start: datetime, end: datetime) -> list[int]:
        """The count of each hour that starts in ``[start, end)``, in order."""
        return self.series(tweet_id, metric).window(
            epoch_hour_at_or_after(start), epoch_hour_at_or_after(end)
        )

    def _series(self, tweet_id: int, metric: str) -> Series:
        share = _SHARE[metric]
        created = self.created_at(tweet_id)
        first_hour = epoch_hour(created)
        tweet = _digest(self.seed, tweet_id, "")
        content = _NEEDS.get(metric)
        if content is not None and not _carries(tweet, content):
            return Series(first_hour, (), (0,))
        reach = _REACH[0] * (_REACH[1] / _REACH[0]) ** _fraction(tweet, 0)
        decay = _between(*_DECAY, _fraction(tweet, 1))
        own = _digest(self.seed, tweet_id, metric)
        level = reach * share * _between(0.5, 1.5, _fraction(own, 0))
        level *= 1.0 - ((created - _EPOCH) % _ONE_HOUR) / _ONE_HOUR
        counts = _decaying(level, decay, own)
        return Series(first_hour, counts, tuple(accumulate(counts, initial=0)))


def _decaying(level: float, decay: float, state: int) -> tuple[int, ...]:
    """``level`` times ``decay`` per hour, jittered and rounded at random each hour, until
    the level falls below ``_FADED``; zero from then on.

    Random rounding keeps small metrics alive: a level of 0.3 is a 1 about every third
    hour, not always 0.
    """
    low, spread = _JITTER[0], (_JITTER[1] - _JITTER[0]) * _UNIT
    counts: list[int] = []
    append = counts.append
    for _ in range(MAX_ACTIVE_HOURS):
        if level < _FADED:
            break
        state = (state * _LCG_MULTIPLIER + _LCG_INCREMENT) & _MASK
        append(int(level * (low + (state >> 40) * spread) + ((state >> 16) & 0xFFFFFF) * _UNIT))
        level *= decay
    while counts and counts[-1] == 0:
        counts.pop()
    return tuple(counts)


def tweet_created_at(tweet_id: int) -> datetime:
    """The Snowflake time of a Tweet ID; for IDs without one, a time from a hash of the ID
    between 2008-01-01 and the Snowflake scheme's start (2010-11-04)."""
    created = facts.tweet_created_at(tweet_id)
    if created is not None:
        return created
    span = int((facts.SNOWFLAKE_SCHEME_START - PRE_SNOWFLAKE_START).total_seconds())
    seconds = _digest(0, tweet_id, "created") % span
    return PRE_SNOWFLAKE_START + timedelta(seconds=seconds)


def epoch_hour(moment: datetime) -> int:
    """The number of the UTC hour that contains ``moment``, counted from the Unix epoch."""
    return (moment - _EPOCH) // _ONE_HOUR


def epoch_hour_at_or_after(moment: datetime) -> int:
    """The number of the first hour that starts at or after ``moment``."""
    whole, rest = divmod(moment - _EPOCH, _ONE_HOUR)
    return whole + (1 if rest else 0)


def _digest(seed: int, tweet_id: int, name: str) -> int:
    text = f"{seed}:{tweet_id}:{name}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=32).digest(), "little")


def _fraction(digest: int, slot: int) -> float:
    """A number in [0, 1) from the 24 bits of the digest at ``slot``."""
    return ((digest >> (24 * slot)) & 0xFFFFFF) * _UNIT


def _carries(tweet_digest: int, content: str) -> bool:
    """Whether the Tweet has this kind of content (a video, media, a link, an app card)."""
    slot = 2 + sorted(_CONTENT_ODDS).index(content)
    return _fraction(tweet_digest, slot) < _CONTENT_ODDS[content]


def _between(low: float, high: float, fraction: float) -> float:
    return low + (high - low) * fraction
