"""What a run shows on stderr while it goes, for ``engql run``, ``engql collect`` and the
shell alike.

On a terminal, a bar over the run's requests; a rate-limit wait is counted down in the
bar itself, about once a second, so the bar never stands still, and lines said meanwhile
are written above it, not across it. Closed, the bar leaves nothing behind. Without a bar
(stderr not a terminal, or a run of one request), a wait is one line:
``engql: rate limited, resuming at 14:03:10``. Quiet, nothing but what ``say`` is given.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

WAIT_SHOWN = 3.0
"""Seconds: a shorter wait is not shown."""
TICK = 1.0
"""Seconds between two redraws of a countdown."""


def resume_time(until: float, now: float | None = None) -> str:
    """When a wait ends, in local time: ``14:03:10`` today, else with its date."""
    ends = time.localtime(until)
    today = time.localtime(time.time() if now is None else now)
    if ends[:3] == today[:3]:
        return time.strftime("%H:%M:%S", ends)
    return time.strftime("%Y-%m-%d %H:%M:%S", ends)


def wait_text(until: float, now: float) -> str:
    """The bar's countdown: ``rate limited: resuming in 42 s`` (and when, past a minute)."""
    left = max(0, round(until - now))
    if left < 60:
        return f"rate limited: resuming in {left} s"
    at = resume_time(until, now)
    return f"rate limited: resuming at {at} (in {left // 60} min {left % 60:02d} s)"


class Progress:
    """The progress of one run on ``err``. Its hooks (``on_wait``, ``on_done``) are called
    from the run's worker threads; ``close`` (or the end of a ``with`` block) ends it."""

    def __init__(self, total: int, err: IO[str], *, bar: bool = True, quiet: bool = False) -> None:
        self._err = err
        self._quiet = quiet
        self._bar = _bar(total, err) if bar and not quiet else None
        self._lock = threading.Lock()
        self._until: float | None = None
        """When the wait shown ends; None when none is."""
        self._ticking: threading.Thread | None = None
        self._closed = threading.Event()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def on_done(self, _: object = None) -> None:
        """A request is finished."""
        if self._bar is not None:
            self._bar.update(1)

    def on_wait(self, seconds: float, until: float) -> None:
        """A rate limit holds the requests for ``seconds``, until the epoch time ``until``."""
        if seconds < WAIT_SHOWN or self._quiet:
            return
        if self._bar is None:
            self.say(f"engql: rate limited, resuming at {resume_time(until)}")
            return
        with self._lock:
            self._until = max(self._until or 0.0, until)
            if self._ticking is None:
                self._ticking = threading.Thread(
                    target=self._tick, name="engql-progress", daemon=True
                )
                self._ticking.start()
        self._show_wait()

    def say(self, line: str) -> None:
        """A line on ``err`` (quiet or not), above the bar when there is one."""
        if self._bar is None:
            print(line, file=self._err, flush=True)
        else:
            self._bar.write(line, file=self._err)

    def around(self, callback: Callable[[], None]) -> Callable[[], None]:
        """``callback``, with the bar out of the way of what it prints."""

        def cleared() -> None:
            with self._cleared():
                callback()

        return cleared

    def close(self) -> None:
        """Stop the countdown and clear the bar."""
        self._closed.set()
        if self._ticking is not None:
            self._ticking.join()
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @contextlib.contextmanager
    def _cleared(self) -> Iterator[None]:
        if self._bar is None:
            yield
            return
        with self._bar.external_write_mode(file=self._err):
            yield

    def _tick(self) -> None:
        while not self._closed.wait(TICK):
            self._show_wait()

    def _show_wait(self) -> None:
        """The countdown in the bar; once the wait is over, the bar without it."""
        with self._lock:
            until, now = self._until, time.time()
            if until is None:
                return
            if until <= now:
                self._until = None
        bar = self._bar
        if bar is not None and not self._closed.is_set():
            bar.set_postfix_str(wait_text(until, now) if until > now else "", refresh=True)


def _bar(total: int, err: IO[str]) -> Any:
    """A bar over requests on a terminal; none when stderr is not one or for one request."""
    if total < 2 or not err.isatty():
        return None
    from tqdm import tqdm  # type: ignore[import-untyped]  # loaded only for a terminal run

    return tqdm(total=total, unit="request", file=err, leave=False)
