"""Injected failures, so clients can be tested against what real networks and servers do.

A fault is chosen per request, either by an exact script ("the 3rd request gets 503") or
by probability from a seeded generator, so every run of a test sees the same failures.
Most faults replace the answer; those of ``ANSWER_FAULTS`` spoil the real one.
"""

from __future__ import annotations

import copy
import enum
import functools
import random
import struct
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from engql import facts
from engql.record import Record


class Fault(enum.StrEnum):
    INTERNAL_ERROR = "500"
    PROXY_ERROR = "502"
    UNAVAILABLE = "503"
    RATE_LIMITED = "429"
    DROP = "drop"
    """The connection closes without an answer."""
    TRUNCATE = "truncate"
    """The gzip body is cut in half."""
    MALFORMED = "malformed"
    """A 200 whose (well gzipped) body is not JSON."""
    NOT_AN_OBJECT = "not-an-object"
    """A 200 whose body is a JSON array."""
    STRING_BODY = "string-body"
    """A 200 whose body is a JSON string."""
    GZIP_BOMB = "gzip-bomb"
    """A 200 whose 1 MB of gzip expands to 1 GiB."""
    HUGE_RETRY_AFTER = "huge-retry-after"
    """A 429 that asks the client to wait a day."""
    STRING_GROUPING = "string-grouping"
    """The real answer with each grouping a string instead of an object."""
    LIST_GROUPING = "list-grouping"
    """The real answer with each grouping wrapped in a list."""
    BAD_COUNTS = "bad-counts"
    """The real answer with the first count of each grouping not a number."""
    EXTRA_IDS = "extra-ids"
    """The real answer naming a Tweet the request did not."""
    SLOW_BODY = "slow-body"
    """The real answer, its body sent one byte a second."""
    FAR_RESET = "far-reset"
    """The real answer, with the minute's allowance used up until a day later."""
    ZERO_LIMIT = "zero-limit"
    """The real answer, with a rate limit of 0 requests a minute."""


STATUS_BODIES: dict[Fault, tuple[int, str]] = {
    Fault.INTERNAL_ERROR: (500, "internal server error"),
    Fault.PROXY_ERROR: (502, "Proxy Error"),
    Fault.UNAVAILABLE: (503, "Service Unavailable"),
    Fault.RATE_LIMITED: (429, facts.RATE_LIMITED_ERROR),
    Fault.HUGE_RETRY_AFTER: (429, facts.RATE_LIMITED_ERROR),
}
"""The status and error string of the faults that are answers; the others break the wire."""
RETRY_AFTER = {Fault.RATE_LIMITED: "1", Fault.HUGE_RETRY_AFTER: "86400"}
"""The ``Retry-After`` seconds of the 429 faults."""
BODIES = {
    Fault.MALFORMED: b'{"errors": ["internal server err',
    Fault.NOT_AN_OBJECT: b'["not", "an", "object"]',
    Fault.STRING_BODY: b'"not an object"',
}
"""The body (before gzip) of the 200 faults that replace the answer with a fixed text."""
ANSWER_FAULTS = frozenset(
    {
        Fault.STRING_GROUPING,
        Fault.LIST_GROUPING,
        Fault.BAD_COUNTS,
        Fault.EXTRA_IDS,
        Fault.SLOW_BODY,
        Fault.FAR_RESET,
        Fault.ZERO_LIMIT,
    }
)
"""Faults that let the request be answered as usual, then spoil the answer."""
BAD_COUNT = "NaN-abc"
NOT_A_GROUPING = "not an object"
SLOW_BODY_SECONDS_PER_BYTE = 1.0
FAR_RESET_SECONDS = 86400
GZIP_BOMB_BYTES = 1 << 30
"""What ``gzip-bomb`` expands to: JSON whitespace, then ``{}``."""


class FaultSyntaxError(ValueError):
    """A fault specification that cannot be read; the message says which."""


@attrs.define(repr=False)
class FaultPlan(Record):
    """Which request (numbered from 1) gets which fault.

    ``script`` names requests exactly; ``rates`` gives each fault a probability for the
    requests the script does not name, drawn from a generator seeded with ``seed``.
    """

    script: Mapping[int, Fault] = attrs.field(factory=dict)
    rates: Mapping[Fault, float] = attrs.field(factory=dict)
    seed: int = 0
    _random: random.Random = attrs.field(init=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)
        if sum(self.rates.values()) > 1:
            raise FaultSyntaxError("fault probabilities add up to more than 1")

    def fault_for(self, number: int) -> Fault | None:
        if number in self.script:
            return self.script[number]
        if not self.rates:
            return None
        with self._lock:
            draw = self._random.random()
        for fault, rate in self.rates.items():
            if draw < rate:
                return fault
            draw -= rate
        return None


def parse_script(specs: Iterable[str]) -> dict[int, Fault]:
    """``["3=503", "5-7=429"]`` → {3: 503, 5: 429, 6: 429, 7: 429}."""
    script: dict[int, Fault] = {}
    for spec in specs:
        where, sep, name = spec.partition("=")
        first, dash, last = where.partition("-")
        try:
            fault = Fault(name.strip())
            numbers = range(int(first), int(last if dash else first) + 1)
        except ValueError:
            raise FaultSyntaxError(
                f"--fault takes N=FAULT or N-M=FAULT with FAULT one of "
                f"{', '.join(f.value for f in Fault)}; got {spec!r}"
            ) from None
        if not sep or numbers.start < 1 or not numbers:
            raise FaultSyntaxError(f"--fault needs request numbers from 1; got {spec!r}")
        script.update(dict.fromkeys(numbers, fault))
    return script


def parse_rates(specs: Iterable[str]) -> dict[Fault, float]:
    """``["503=0.1", "drop=0.02"]`` → {503: 0.1, drop: 0.02}."""
    rates: dict[Fault, float] = {}
    for spec in specs:
        name, sep, rate = spec.partition("=")
        try:
            fault, probability = Fault(name.strip()), float(rate)
        except ValueError:
            raise FaultSyntaxError(f"--fault-rate takes FAULT=PROBABILITY; got {spec!r}") from None
        if not sep or not 0 <= probability <= 1:
            raise FaultSyntaxError(f"a fault probability is between 0 and 1; got {spec!r}")
        rates[fault] = probability
    return rates


def spoiled(
    fault: Fault,
    answer: dict[str, Any],
    groupings: Mapping[str, Sequence[str]],
    tweets: Sequence[str],
) -> dict[str, Any]:
    """A 200 answer as ``fault`` spoils it; ``groupings`` maps each grouping's name to its
    ``group_by`` and ``tweets`` are the IDs requested. The answer itself is not changed."""
    names = [name for name in groupings if name in answer]
    if fault is Fault.STRING_GROUPING:
        return {**answer, **dict.fromkeys(names, NOT_A_GROUPING)}
    if fault is Fault.LIST_GROUPING:
        return {**answer, **{name: [answer[name]] for name in names}}
    spoilt = copy.deepcopy(answer)
    if fault is Fault.BAD_COUNTS:
        for name in names:
            _spoil_first_count(spoilt[name])
    elif fault is Fault.EXTRA_IDS:
        extra = unrequested_id(tweets)
        for name in names:
            keys = list(groupings[name])
            if facts.TWEET_ID in keys:
                _add_tweet(spoilt[name], keys.index(facts.TWEET_ID), extra)
        spoilt[facts.UNAVAILABLE_IDS] = [*spoilt.get(facts.UNAVAILABLE_IDS, ()), extra]
    return spoilt


def unrequested_id(tweets: Sequence[str]) -> str:
    """The smallest Tweet ID from 20 (the first Tweet) that is not among ``tweets``."""
    asked = set(tweets)
    return next(str(n) for n in range(20, 21 + len(asked)) if str(n) not in asked)


def _spoil_first_count(node: Any) -> None:
    while isinstance(node, dict) and node:
        key = next(iter(node))
        if not isinstance(node[key], dict):
            node[key] = BAD_COUNT
            return
        node = node[key]


def _add_tweet(node: Any, depth: int, tweet: str) -> None:
    """At ``depth`` (the level keyed by Tweet), a copy of the first Tweet's data under ``tweet``."""
    if not isinstance(node, dict) or not node:
        return
    if depth == 0:
        node[tweet] = copy.deepcopy(next(iter(node.values())))
        return
    for child in node.values():
        _add_tweet(child, depth - 1, tweet)


def limit_headers(fault: Fault, now: float) -> dict[str, str]:
    """The rate-limit headers ``far-reset`` and ``zero-limit`` put on the answer at ``now``
    (epoch seconds); no others change them."""
    if fault is Fault.FAR_RESET:
        return {
            facts.RATE_REMAINING_HEADER: "0",
            facts.RATE_RESET_HEADER: str(int(now) + FAR_RESET_SECONDS),
        }
    if fault is Fault.ZERO_LIMIT:
        return {
            facts.RATE_LIMIT_HEADER: "0",
            facts.RATE_REMAINING_HEADER: "0",
            facts.RATE_RESET_HEADER: str(int(now) + 1),
        }
    return {}


@functools.cache
def gzip_bomb() -> bytes:
    """A valid gzip stream of GZIP_BOMB_BYTES of spaces and then ``{}`` (valid JSON), about
    1 MB: after a full flush deflate starts afresh, so one compressed MiB is repeated."""
    mib = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b"{}") + compressor.flush(zlib.Z_FINISH)
    count = GZIP_BOMB_BYTES >> 20
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mib, crc)
    crc = zlib.crc32(b"{}", crc)
    trailer = struct.pack("<II", crc, (GZIP_BOMB_BYTES + 2) & 0xFFFFFFFF)
    return head + unit * (count - 1) + tail[:-8] + trailer
