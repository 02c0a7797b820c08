"""Per-credential, per-minute request limits, as the API enforces its contract's limit.

Windows are calendar minutes; ``x-per-minute-reset`` is the epoch second the next one
starts (Part A §10). A request refused with 429 does not use up the allowance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs

from engql import facts
from engql.record import Record


@attrs.frozen(repr=False)
class Allowance(Record):
    """What one request learns about its credential's minute: the response headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            facts.RATE_LIMIT_HEADER: str(self.limit),
            facts.RATE_REMAINING_HEADER: str(self.remaining),
            facts.RATE_RESET_HEADER: str(self.reset),
        }


class MinuteLimiter:
    """Counts each credential's requests in the current minute; thread-safe."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        if limit < 1:
            raise ValueError("the rate limit must be at least 1 request a minute")
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._minute = -1
        self._used: dict[str, int] = {}

    def take(self, credential: str) -> Allowance:
        """Count one request of ``credential`` if the minute has room for it."""
        with self._lock:
            minute = int(self._clock() // 60)
            if minute != self._minute:
                self._minute, self._used = minute, {}
            used = self._used.get(credential, 0)
            allowed = used < self.limit
            if allowed:
                used += 1
                self._used[credential] = used
            return Allowance(allowed, self.limit, self.limit - used, (minute + 1) * 60)
