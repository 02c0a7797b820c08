"""Rate limits: 429s and the server's minute limit in a run, and the RateGate's rules on a
fake clock."""

from __future__ import annotations

import threading
import time

import pytest
from run_helpers import (
    FAST,
    IDS_600,
    NOW,
    TOTALS_QUERY,
    SandboxFactory,
    compile_for,
    not_at_a_minute_end,
    settings_of,
    statuses,
    unlimited_answer,
)

from engql.executor.limiter import RateGate
from engql.executor.runner import Executor, RunOptions
from engql.sandbox.faults import Fault, FaultPlan

pytestmark = pytest.mark.usefixtures("no_machine_credentials")


def test_a_429_burst_is_waited_out(engql_sandbox_factory: SandboxFactory) -> None:
    """Scripted 429s carry Retry-After: 1; the run waits that second, then completes."""
    faults = FaultPlan(dict.fromkeys((1, 2, 3), Fault.RATE_LIMITED))
    api = engql_sandbox_factory(now=NOW, faults=faults)
    plan = compile_for(api, TOTALS_QUERY, IDS_600)
    waits: list[float] = []
    started = time.monotonic()
    executor = Executor(
        settings_of(api), FAST, on_wait=lambda seconds, until: waits.append(seconds)
    )
    result = executor.run(plan)
    took = time.monotonic() - started
    assert result.statements[0].answer == unlimited_answer(plan)
    assert result.missing == {}
    assert result.stats.rate_limited == 3
    assert result.stats.retries == 0  # a 429 is waited out, not counted as a failure
    assert statuses(api).count(429) == 3 and statuses(api).count(200) == 3
    assert waits and max(waits) <= 1.0
    assert took >= 0.9


class _Waiting(Exception):
    """Raised from an on_wait hook: the gate was about to wait (so the test need not)."""


def test_the_servers_minute_limit_holds_requests_back_without_429s(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    not_at_a_minute_end(2)
    api = engql_sandbox_factory(now=NOW, rate_limit=2)
    waits: list[tuple[float, float]] = []

    def on_wait(seconds: float, until: float) -> None:
        waits.append((seconds, until))
        raise _Waiting

    executor = Executor(settings_of(api), RunOptions(concurrency=1), on_wait=on_wait)
    with pytest.raises(_Waiting):
        executor.run(compile_for(api, TOTALS_QUERY, IDS_600))
    assert statuses(api) == [200, 200]
    next_minute = (int(time.time()) // 60 + 1) * 60
    seconds, until = waits[0]
    assert until == next_minute
    assert 0 < seconds <= 60


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def waiting_gate(per_minute: int | None, clock: FakeClock) -> tuple[RateGate, list[float]]:
    """A gate whose waits raise _Waiting and record the time the wait would end."""
    ends: list[float] = []

    def on_wait(seconds: float, until: float) -> None:
        assert seconds == pytest.approx(until - clock.now)
        ends.append(until)
        raise _Waiting

    return RateGate(per_minute, clock=clock, on_wait=on_wait), ends


def test_gate_without_a_limit_probes_once_then_never_waits() -> None:
    """With no limit known, one request goes first; once any reply is in, no waits."""
    gate, ends = waiting_gate(None, FakeClock(1000.0))
    assert gate.acquire()
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert gate.acquire(stop) is False  # the second waits for the first reply
    gate.update({})
    assert all(gate.acquire() for _ in range(500))
    assert ends == []


def test_gate_with_a_configured_limit_waits_for_the_next_minute() -> None:
    clock = FakeClock(1000.0)  # 16 min 40 s: the minute ends at 1020
    gate, ends = waiting_gate(2, clock)
    assert gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [1020.0]
    clock.now = 1020.0
    assert gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends[-1] == 1080.0


def test_gate_learns_the_limit_from_the_headers() -> None:
    clock = FakeClock(1000.0)
    gate, ends = waiting_gate(None, clock)
    gate.update(
        {"x-per-minute-limit": "3", "x-per-minute-remaining": "1", "x-per-minute-reset": "1020"}
    )
    assert gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [1020.0]
    clock.now = 1021.0  # a new minute: the learnt limit, 3
    assert gate.acquire() and gate.acquire() and gate.acquire()
    with pytest.raises(_Waiting):
        gate.acquire()


def test_gate_ignores_missing_or_garbled_headers() -> None:
    gate, ends = waiting_gate(None, FakeClock(1000.0))
    gate.update({})
    gate.update({"x-per-minute-remaining": "0"})  # no reset: nothing learnt
    gate.update({"x-per-minute-remaining": "zero", "x-per-minute-reset": "soon"})
    assert all(gate.acquire() for _ in range(10))
    assert ends == []


@pytest.mark.parametrize(
    ("headers", "until"),
    [
        ({"retry-after": "7"}, 1007.0),
        ({"Retry-After": "7", "x-per-minute-reset": "1020"}, 1007.0),
        ({"x-per-minute-reset": "1030"}, 1030.0),
        ({}, 1020.0),
    ],
    ids=["retry-after", "retry-after-wins", "reset", "next-minute"],
)
def test_gate_after_a_429_waits_until_retry_after_or_the_reset(
    headers: dict[str, str], until: float
) -> None:
    clock = FakeClock(1000.0)
    gate, ends = waiting_gate(None, clock)
    gate.refused(headers)
    with pytest.raises(_Waiting):
        gate.acquire()
    assert ends == [until]
    clock.now = until
    assert gate.acquire()


def test_gate_gives_up_when_the_run_stops() -> None:
    stop = threading.Event()
    stop.set()
    gate, _ = waiting_gate(1, FakeClock(1000.0))
    assert gate.acquire(stop) is False
