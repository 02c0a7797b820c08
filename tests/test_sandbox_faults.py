"""Fault plans and the minute limiter, as pure objects."""

from __future__ import annotations

import pytest

from engql.sandbox.faults import Fault, FaultPlan, FaultSyntaxError, parse_rates, parse_script
from engql.sandbox.ratelimit import MinuteLimiter


def test_script_names_requests_and_ranges() -> None:
    assert parse_script(["3=503", "5-7=429", "1=drop"]) == {
        3: Fault.UNAVAILABLE,
        5: Fault.RATE_LIMITED,
        6: Fault.RATE_LIMITED,
        7: Fault.RATE_LIMITED,
        1: Fault.DROP,
    }


@pytest.mark.parametrize("spec", ["3", "x=503", "0=503", "3=504", "7-5=500", "=drop"])
def test_bad_scripts_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(FaultSyntaxError, match="--fault"):
        parse_script([spec])


def test_rates_are_probabilities() -> None:
    assert parse_rates(["503=0.25", "truncate=0.05"]) == {
        Fault.UNAVAILABLE: 0.25,
        Fault.TRUNCATE: 0.05,
    }
    for spec in ("503=2", "503", "nope=0.1"):
        with pytest.raises(FaultSyntaxError):
            parse_rates([spec])
    with pytest.raises(FaultSyntaxError):
        FaultPlan(rates={Fault.UNAVAILABLE: 0.7, Fault.DROP: 0.7})


def test_script_wins_and_rates_are_seeded() -> None:
    plan = FaultPlan({2: Fault.DROP}, {Fault.INTERNAL_ERROR: 0.3}, seed=5)
    again = FaultPlan({2: Fault.DROP}, {Fault.INTERNAL_ERROR: 0.3}, seed=5)
    drawn = [plan.fault_for(n) for n in range(1, 200)]
    assert drawn == [again.fault_for(n) for n in range(1, 200)]
    assert drawn[1] is Fault.DROP
    share = drawn.count(Fault.INTERNAL_ERROR) / len(drawn)
    assert 0.2 < share < 0.4
    assert FaultPlan().fault_for(1) is None


def test_limiter_counts_each_credential_per_calendar_minute() -> None:
    now = [120.0]
    limiter = MinuteLimiter(2, lambda: now[0])
    a = [limiter.take("a") for _ in range(3)]
    assert [x.allowed for x in a] == [True, True, False]
    assert [x.remaining for x in a] == [1, 0, 0]
    assert {x.reset for x in a} == {180}
    assert limiter.take("b").allowed
    now[0] = 180.5
    assert limiter.take("a").remaining == 1
    assert limiter.take("a").headers() == {
        "x-per-minute-limit": "2",
        "x-per-minute-remaining": "0",
        "x-per-minute-reset": "240",
    }
    with pytest.raises(ValueError):
        MinuteLimiter(0, lambda: 0.0)
