"""Injected failures, so clients can be tested against what real networks and servers do.

A fault is chosen per request, either by an exact script ("the 3rd request gets 503") or
by probability from a seeded generator, so every run of a test sees the same failures.
"""

from __future__ import annotations

import enum
import random
import threading
from collections.abc import Iterable, Mapping

import attrs

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


STATUS_BODIES: dict[Fault, tuple[int, str]] = {
    Fault.INTERNAL_ERROR: (500, "internal server error"),
    Fault.PROXY_ERROR: (502, "Proxy Error"),
    Fault.UNAVAILABLE: (503, "Service Unavailable"),
    Fault.RATE_LIMITED: (429, "Exceeded rate limit"),
}
"""The status and error string of the faults that are answers; the others break the wire."""


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
