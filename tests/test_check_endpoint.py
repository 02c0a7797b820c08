"""FROM names an endpoint (engql/check/endpoint.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_harness import (
    RECENT_2,
    Case,
    T,
    assert_case,
    assert_valid,
    body,
)

from engql import facts

CASES: list[Case] = [
    Case(
        "E101",
        f"SELECT * FROM total WHERE tweet = {T}",
        [("E101", 1, 15, "unknown endpoint 'total'")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_select_star_on_each_endpoint(endpoint: str) -> None:
    text = f"SELECT * FROM {endpoint} WHERE tweet IN ({T}, {RECENT_2})"
    assert_valid(text)
    assert body(text)["engagement_types"] == list(facts.ENDPOINTS[endpoint].metrics)
