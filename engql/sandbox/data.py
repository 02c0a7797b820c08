"""Deterministic synthetic engagement: a count for every (Tweet, metric, UTC hour).

Each (Tweet, metric) pair is a running count in closed form, a handful of arithmetic
operations for any hour: zero before the hour the Tweet was created in, then rising along
a curve that is the same for all the Tweet's metrics up to a scale: a burst that decays
geometrically within a day or two, and a long tail that goes on for years, a little less
each week but never nothing (Tweets created before ``TAIL_START`` have no tail). An
hour's count is what the running count rises by in that hour and a sum over hours is the
difference of two running counts, so nothing loops over hours that an answer does not
list, and the law the answers rest on holds by construction: any sum equals the sum of
``hourly`` over the same hours, exactly.

A pair's curve is scaled by an amplitude drawn from a hash of (seed, Tweet, metric); the
burst decays by a factor drawn for the Tweet. Each hour boundary moves a little along the
curve (jitter), never past its neighbours, so counts vary from hour to hour but never go
negative. A rounding offset drawn per pair keeps small metrics alive: a curve that adds
up to 0.3 ends at 1 for about every third Tweet, not always at 0.

Amplitudes keep the proportions of real Tweets: impressions ≫ engagements ≫ favorites ≫
retweets ≫ replies; only some Tweets carry media, a video or a link, and only those get
the matching metrics.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import attrs

from engql import facts
from engql.record import Record

PRE_SNOWFLAKE_START = datetime(2008, 1, 1, tzinfo=UTC)
"""IDs without a time get a creation time from a hash, between this and the scheme's start."""
TAIL_START = datetime(2021, 1, 1, tzinfo=UTC)
"""Tweets created from this time on have the long tail. Older ones keep the sandbox's first
data, a burst that ends ``MAX_ACTIVE_HOURS`` after creation: their lifetime counts no longer
change, so what the documentation shows for the API docs' older Tweets (2017 to 2020),
run on the real clock, stays true on any day."""
MAX_ACTIVE_HOURS = 21 * 24
"""Hours after the creation hour in which a Tweet created before ``TAIL_START`` can still
have engagement (3 weeks)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MILLISECOND = timedelta(milliseconds=1)
_HOUR_MS = 3_600_000
_MASK = (1 << 64) - 1
_UNIT = 1.0 / (1 << 24)
_TAIL_START_MS = (TAIL_START - _EPOCH) // _ONE_MILLISECOND

_REACH = (50.0, 50_000.0)
"""First-hour impressions of a Tweet, drawn log-uniformly from this range."""
_DECAY = (0.78, 0.92)
"""Per-hour decay factor of a Tweet's engagement (half-lives of about 3 to 8 hours)."""
_TAIL_SHARE, _TAIL_KNEE, _TAIL_POWER = 0.25, 1000.0, 0.7
"""The tail's part of the curve ``clock`` hours after creation: ``share · ((1 + clock /
knee) ** power − 1)`` of the burst's mass. It adds about 0.02 % of that mass an hour in
the first weeks, then less and less (as ``clock ** (power − 1)``), never nothing: about a
fifth of the burst again in the first two months, so most of a young Tweet's engagement
comes in its first day, and five times the burst in ten years."""
_DAILY = (0.45, 15.0, 24.0)
_WEEKLY = (0.2, 159.0, 168.0)
"""The tail's rhythms, (amplitude, peak, period) in hours since 1970-01-01, a Thursday:
an hour of the tail counts up to 45 % more or less by the time of day (busiest at 15:00
UTC) and 20 % by the day of the week (busiest on Wednesdays). The tail's clock reads the
rhythms at whole hours, so an hour of it moves by 1 ± 0.65 plus the jitter of its two
ends (``_JITTER``): the amplitudes are small enough that it never runs backwards."""
_DAY_SIZE, _DAY_RATE = _DAILY[0] * _DAILY[2] / math.tau, math.tau / _DAILY[2]
_WEEK_SIZE, _WEEK_RATE = _WEEKLY[0] * _WEEKLY[2] / math.tau, math.tau / _WEEKLY[2]
_WEEK_HOURS = 168
_SETTLED = 50.0
_JITTER = 0.15
"""How far, in hours, an hour boundary moves along the curve at most: an hour counts what
the curve gains over 0.7 to 1.3 hours. Under half an hour, so boundaries never cross and
no count is negative."""
_SPARSE = 4
"""A window whose running count rises by at most 1 in this many hours is counted by finding
the hour each unit comes in (a binary search), not by the count of every hour: the tail of
most metrics rises by a few a day."""
_SHIFT_COUNT = 1024
_SHIFTS = tuple(map(random.Random(0).uniform, [-_JITTER] * _SHIFT_COUNT, [_JITTER] * _SHIFT_COUNT))
"""The boundary shifts, read in turn from a place drawn per Tweet: cheaper than a hash per
hour, and longer than a Tweet's burst, so the pattern repeats only in its tail, every
1,024 hours, where a repeat does not show."""

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

_REACH_SLOT, _DECAY_SLOT = 0, 1
_CONTENT_SLOT = {kind: 2 + n for n, kind in enumerate(sorted(_CONTENT_ODDS))}
_JITTER_SLOT = 2 + len(_CONTENT_ODDS)
"""The 24-bit slots of a Tweet's digest that its own draws are read from; its metrics draw
from the top 53 bits (``Tweet.metric_draw``)."""


@attrs.define(repr=False)
class Tweet(Record):
    """What the metrics of one Tweet share: its creation, reach, decay, jitter and digest.

    A metric's running count at the end of the Tweet's ``age``-th hour (0 in its creation
    hour) is ``floor(rounding + mass · level(age))``: ``mass`` is what the metric's burst
    adds up to, ``rounding`` an offset in [0, 1) drawn for the metric, and ``level`` the
    Tweet's curve, which all its metrics share.

    Not frozen, though nothing assigns to one: one is built for every new Tweet ID a
    /totals request names, and a frozen class costs four times as much to build.
    """

    first_hour: int
    """The epoch hour (hours since 1970) the Tweet was created in."""
    first_hour_left: float
    """The part of the creation hour after the Tweet was created, in (0, 1]."""
    reach_mass: float
    """The mass of the burst of impressions: first-hour reach ÷ (1 − decay)."""
    log_decay: float
    settled: float
    """The clock from which the burst is whole: ``decay^clock`` is under 10^−21 there, far
    below what a count can show, and the burst is taken as 1 without computing it."""
    jitter: int
    """Where in ``_SHIFTS`` the Tweet's hours start."""
    metric_draw: float
    """A number in [0, 1) from which each metric draws its own (``_METRIC_KEYS``)."""
    digest: int
    """A 256-bit hash of (seed, Tweet ID), read in 24-bit slots (``_*_SLOT``); its top 53
    bits are ``metric_draw``."""
    created_rhythm: float
    """``_rhythm`` at the Tweet's creation, where its tail's clock starts at 0."""
    fades: bool
    """Created before ``TAIL_START``: no tail, and nothing after ``MAX_ACTIVE_HOURS``."""

    def curve(self, ages: range) -> list[float]:
        """The curve at the end of each of the Tweet's hours in ``ages`` (0 is the creation
        hour): its burst, ``1 − decay^clock``, plus its tail, where ``clock`` is the hours
        since creation, moved by that hour boundary's jitter, and the tail's clock runs with
        the rhythms; 0 before creation. One loop for an hour and for a window, so that the
        two give the same floats, and a window costs no call per hour."""
        first_hour, left, jitter, fades = (
            self.first_hour,
            self.first_hour_left,
            self.jitter,
            self.fades,
        )
        log_decay, settled, created_rhythm = self.log_decay, self.settled, self.created_rhythm
        levels: list[float] = []
        append = levels.append
        for age in ages:
            if age < 0:
                append(0.0)
                continue
            if fades and age >= MAX_ACTIVE_HOURS:
                age = MAX_ACTIVE_HOURS - 1
            shift = _SHIFTS[(jitter + age) % _SHIFT_COUNT]
            clock = age + left + shift
            if clock <= 0.0:
                append(0.0)
                continue
            burst = -math.expm1(clock * log_decay) if clock < settled else 1.0
            tail_clock = clock + _RHYTHMS[(first_hour + age + 1) % _WEEK_HOURS] - created_rhythm
            if fades or tail_clock <= 0.0:
                append(burst)
            else:
                append(_TAIL_SHARE * ((1.0 + tail_clock / _TAIL_KNEE) ** _TAIL_POWER - 1.0) + burst)
        return levels

    def scale(self, metric: str) -> tuple[float, float]:
        """The metric's (mass, rounding); a mass of 0 for content the Tweet lacks."""
        content = _NEEDS.get(metric)
        if content is not None and not self.carries(content):
            return 0.0, 0.0
        factor_key, rounding_key = _METRIC_KEYS[metric]
        mass = self.reach_mass * _SHARE[metric] * (0.5 + self.metric_draw * factor_key % 1.0)
        return mass, self.metric_draw * rounding_key % 1.0

    def running(self, metric: str, hour: int) -> int:
        """The sum of the metric's counts of every hour up to and including ``hour``."""
        mass, rounding = self.scale(metric)
        if not mass:
            return 0
        age = hour - self.first_hour
        return int(rounding + mass * self.curve(range(age, age + 1))[0])

    def carries(self, content: str) -> bool:
        """Whether the Tweet has this kind of content (a video, media, a link, an app card)."""
        return _fraction(self.digest, _CONTENT_SLOT[content]) < _CONTENT_ODDS[content]

    def total(self, metric: str, start: int, stop: int) -> int:
        """The sum of the metric's counts of the hours ``start <= h < stop``."""
        if stop <= start:
            return 0
        return self.running(metric, stop - 1) - self.running(metric, start - 1)

    def levels(self, start: int, stop: int) -> tuple[float, ...]:
        """The curve at the end of each hour from ``start - 1`` to ``stop - 1``: the running
        counts before and after each hour ``start <= h < stop``, for any metric."""
        ages = range(start - 1 - self.first_hour, max(stop, start) - self.first_hour)
        if self.fades and ages[0] >= MAX_ACTIVE_HOURS:
            return tuple(self.curve(ages[:1])) * len(ages)
        return tuple(self.curve(ages))

    def window(self, metric: str, levels: tuple[float, ...]) -> list[int]:
        """The metric's counts of the hours that ``levels`` (from ``levels()``) bound."""
        mass, rounding = self.scale(metric)
        hours = len(levels) - 1
        if not mass:
            return [0] * hours
        low, high = int(rounding + mass * levels[0]), int(rounding + mass * levels[-1])
        if high - low > hours // _SPARSE:
            running = [int(rounding + mass * level) for level in levels]
            return [after - before for before, after in itertools.pairwise(running)]

        counts = [0] * hours
        at = 1
        for unit in range(low + 1, high + 1):
            # The first level whose running count reaches the unit: a search by the level
            # it takes, then a step or two where that quotient's rounding misleads (the
            # last level always reaches it).
            at = min(bisect.bisect_left(levels, (unit - rounding) / mass, at), hours)
            while int(rounding + mass * levels[at]) < unit:
                at += 1
            while int(rounding + mass * levels[at - 1]) >= unit:
                at -= 1
            counts[at - 1] += 1  # the hour that ends at levels[at] gains it
        return counts


class SyntheticEngagement:
    """Counts per Tweet, metric and hour, a pure function of the seed and those three."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._hash_of_seed = hashlib.blake2b(f"{seed}:".encode(), digest_size=32)
        """Each Tweet's digest goes on from a copy, a third cheaper than hashing it all."""
        self.tweet = lru_cache(maxsize=1 << 16)(self._tweet)
        """The Tweet of an ID; cached, and safe across threads."""
        self._levels = lru_cache(maxsize=64)(self._window_levels)
        """A window's curve, shared by the metrics of one Tweet that an answer asks for in
        turn: the curve costs more than applying it to a metric."""

    def created_at(self, tweet_id: int) -> datetime:
        """The Snowflake time of the ID, or for older IDs one drawn from a hash of the ID."""
        return tweet_created_at(tweet_id)

    def hourly(self, tweet_id: int, metric: str, hour: datetime) -> int:
        """The count of the UTC hour that starts at ``hour``."""
        number = epoch_hour(hour)
        return self.tweet(tweet_id).total(metric, number, number + 1)

    def between(self, tweet_id: int, metric: str, start: datetime, end: datetime) -> int:
        """The sum over the hours that start in ``[start, end)``."""
        return self.tweet(tweet_id).total(
            metric, epoch_hour_at_or_after(start), epoch_hour_at_or_after(end)
        )

    def lifetime(self, tweet_id: int, metric: str, now: datetime) -> int:
        """The lifetime count as of ``now``: every hour that started before it, counted whole."""
        return self.tweet(tweet_id).running(metric, epoch_hour_at_or_after(now) - 1)

    def hours(self, tweet_id: int, metric: str, start: datetime, end: datetime) -> list[int]:
        """The count of each hour that starts in ``[start, end)``, in order."""
        levels = self._levels(tweet_id, epoch_hour_at_or_after(start), epoch_hour_at_or_after(end))
        return self.tweet(tweet_id).window(metric, levels)

    def _window_levels(self, tweet_id: int, start: int, stop: int) -> tuple[float, ...]:
        return self.tweet(tweet_id).levels(start, stop)

    def _tweet(self, tweet_id: int) -> Tweet:
        created = _created_ms(tweet_id)
        first_hour, before = divmod(created, _HOUR_MS)
        fades = created < _TAIL_START_MS
        hashing = self._hash_of_seed.copy()
        hashing.update(f"{tweet_id}:".encode())
        digest = int.from_bytes(hashing.digest(), "little")
        decay = _DECAY[0] + (_DECAY[1] - _DECAY[0]) * _fraction(digest, _DECAY_SLOT)
        reach = _REACH[0] * (_REACH[1] / _REACH[0]) ** _fraction(digest, _REACH_SLOT)
        first_hour_left = 1.0 - before / _HOUR_MS
        jitter = (digest >> 24 * _JITTER_SLOT & 0xFFFFFF) % _SHIFT_COUNT
        metric_draw = (digest >> 256 - 53) / (1 << 53)
        # Positional: passing keywords would cost more than building the Tweet.
        return Tweet(
            first_hour,
            first_hour_left,
            reach / (1.0 - decay),
            math.log(decay),
            _SETTLED / -math.log(decay),
            jitter,
            metric_draw,
            digest,
            0.0 if fades else _rhythm(first_hour % _WEEK_HOURS + 1 - first_hour_left),
            fades,
        )


def tweet_created_at(tweet_id: int) -> datetime:
    """The Snowflake time of a Tweet ID; for IDs without one, a time from a hash of the ID
    between 2008-01-01 and the Snowflake scheme's start (2010-11-04)."""
    created = facts.tweet_created_at(tweet_id)
    if created is not None:
        return created
    span = int((facts.SNOWFLAKE_SCHEME_START - PRE_SNOWFLAKE_START).total_seconds())
    seconds = _digest(0, tweet_id, "created") % span
    return PRE_SNOWFLAKE_START + timedelta(seconds=seconds)


def _created_ms(tweet_id: int) -> int:
    """``tweet_created_at`` in milliseconds since the Unix epoch; for Snowflake IDs without
    building a datetime, which would cost as much as the rest of a Tweet's draws."""
    if tweet_id >= facts.SNOWFLAKE_FIRST_ID:
        return (tweet_id >> 22) + facts.SNOWFLAKE_EPOCH_MS
    return (tweet_created_at(tweet_id) - _EPOCH) // _ONE_MILLISECOND


def epoch_hour(moment: datetime) -> int:
    """The number of the UTC hour that contains ``moment``, counted from the Unix epoch."""
    elapsed = moment - _EPOCH
    return elapsed.days * 24 + elapsed.seconds // 3600


@lru_cache(maxsize=64)
def epoch_hour_at_or_after(moment: datetime) -> int:
    """The number of the first hour that starts at or after ``moment``; cached, as an
    answer on /totals asks it for the same ``now`` once for each (Tweet, metric) pair."""
    elapsed = moment - _EPOCH
    hours, seconds = divmod(elapsed.seconds, 3600)
    return elapsed.days * 24 + hours + (1 if seconds or elapsed.microseconds else 0)


def _rhythm(moment: float) -> float:
    """How many hours the tail's clock is ahead at ``moment`` (hours since the start of a
    week that starts on a Thursday): its rate is 1 plus ``amplitude · cos(2π (moment −
    peak) / period)`` of each rhythm."""
    return _DAY_SIZE * math.sin(_DAY_RATE * (moment - _DAILY[1])) + _WEEK_SIZE * math.sin(
        _WEEK_RATE * (moment - _WEEKLY[1])
    )


_RHYTHMS = tuple(map(_rhythm, range(_WEEK_HOURS)))
"""``_rhythm`` at each whole hour of the week, as the tail's clock reads it (both rhythms'
periods divide a week)."""


def _digest(seed: int, tweet_id: int, name: str) -> int:
    text = f"{seed}:{tweet_id}:{name}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=32).digest(), "little")


def _fraction(digest: int, slot: int) -> float:
    """A number in [0, 1) from the 24 bits of the digest at ``slot``."""
    return ((digest >> (24 * slot)) & 0xFFFFFF) * _UNIT


def _metric_keys(metric: str) -> tuple[float, float]:
    """Two multipliers in [2**20, 2**21): large enough that the fractional parts of their
    multiples of one draw are as good as independent draws."""
    digest = _digest(0, 0, metric)
    return 2**20 * (1 + (digest & _MASK) / 2**64), 2**20 * (1 + (digest >> 64 & _MASK) / 2**64)


_METRIC_KEYS = {metric: _metric_keys(metric) for metric in _SHARE}
"""A metric's amplitude factor and rounding offset are the fractional parts of its Tweet's
``metric_draw`` times these two keys: multiplicative hashing, in floating point because a
pair's draws are on the path of every count, and exact on every machine (IEEE 754)."""
