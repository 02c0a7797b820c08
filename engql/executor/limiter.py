"""One request gate per credential, fed by the server's rate-limit headers.

Workers take a slot before each send. The gate knows the minute's allowance from
``x-per-minute-limit``/``-remaining``/``-reset`` (or a configured limit when the server
sends none), waits for the reset when the minute is used up, and after a 429 waits until
``Retry-After`` or the reset, not for a fixed time (Part A §10). A wait longer than
``max_wait`` is not waited: the request gives up (``WaitTooLong``). A limit below 1 a
minute is no limit a server can mean, and is not believed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

from engql.facts import (
    RATE_LIMIT_HEADER,
    RATE_REMAINING_HEADER,
    RATE_RESET_HEADER,
    RETRY_AFTER_HEADER,
)

WaitHook = Callable[[float, float], None]
"""Called with (seconds to wait, epoch time it ends) before a wait."""


class WaitTooLong(Exception):
    """The server asks for a wait longer than the gate's ``max_wait``."""

    def __init__(self, until: float, max_wait: float) -> None:
        super().__init__(until, max_wait)
        self.until = until
        self.max_wait = max_wait


class RateGate:
    """Slots for one credential's requests; thread-safe."""

    def __init__(
        self,
        per_minute: int | None = None,
        clock: Callable[[], float] = time.time,
        on_wait: WaitHook | None = None,
        max_wait: float | None = None,
    ) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._on_wait = on_wait
        self._max_wait = max_wait
        self._cond = threading.Condition()
        self._remaining: int | None = per_minute
        self._reset: float | None = None
        self._announced: float | None = None
        self._probing = per_minute is None
        """Until the first reply tells the allowance, one request at a time: a burst of
        workers on an unknown limit would overshoot it."""
        self._probe_out = False

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Block until a request may be sent, and count it; False when ``stop`` is set.
        Raises WaitTooLong when the wait would last longer than ``max_wait``."""
        with self._cond:
            while stop is None or not stop.is_set():
                now = self._clock()
                if self._reset is not None and now >= self._reset:
                    self._remaining, self._reset = self._per_minute, None
                if self._remaining is not None and self._remaining <= 0 and self._reset is None:
                    self._reset = (now // 60 + 1) * 60
                if self._probing:
                    if not self._probe_out:
                        self._probe_out = True
                        return True
                    self._cond.wait(0.5)
                    continue
                if self._remaining is None or self._remaining > 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                        if self._reset is None:
                            self._reset = (now // 60 + 1) * 60
                    return True
                assert self._reset is not None  # set above whenever nothing remains
                delay = self._reset - now
                if self._max_wait is not None and delay > self._max_wait:
                    raise WaitTooLong(self._reset, self._max_wait)
                if self._on_wait is not None and self._announced != self._reset:
                    self._announced = self._reset
                    self._on_wait(delay, self._reset)
                self._cond.wait(min(delay, 0.5))
            return False

    def update(self, headers: Mapping[str, str]) -> None:
        """Learn the minute's allowance from a response's headers (called for every
        reply, with or without them)."""
        self._replied()
        limit = _int(headers.get(RATE_LIMIT_HEADER))
        if limit is not None and limit < 1:
            limit = None
        remaining = _int(headers.get(RATE_REMAINING_HEADER))
        reset = _int(headers.get(RATE_RESET_HEADER))
        if remaining is None or reset is None:
            return
        with self._cond:
            if limit is not None:
                self._per_minute = limit
            if self._reset is None or reset > self._reset:
                self._remaining, self._reset = remaining, float(reset)
            elif self._remaining is not None:
                self._remaining = min(self._remaining, remaining)
            else:
                self._remaining = remaining
            self._cond.notify_all()

    def refused(self, headers: Mapping[str, str]) -> None:
        """A 429: no slot until ``Retry-After`` or the minute's reset."""
        self._replied()
        now = self._clock()
        retry_after = _retry_after(
            headers.get(RETRY_AFTER_HEADER) or headers.get(RETRY_AFTER_HEADER.lower()), now
        )
        reset = _int(headers.get(RATE_RESET_HEADER))
        if retry_after is not None:
            until = retry_after
        elif reset is not None and reset > now:
            until = float(reset)
        else:
            until = (now // 60 + 1) * 60
        with self._cond:
            self._remaining = 0
            self._reset = max(self._reset or 0.0, until) if retry_after is None else until
            self._cond.notify_all()

    def _replied(self) -> None:
        """A reply came: the probe is over, whatever it said."""
        if self._probing:
            with self._cond:
                self._probing = False
                self._cond.notify_all()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None, now: float) -> float | None:
    """The epoch time a ``Retry-After`` ends: seconds, or an HTTP date (RFC 9110 §10.2.3)."""
    seconds = _int(value)
    if seconds is not None:
        return now + seconds
    try:
        moment = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
