"""SELECT names metrics the endpoint offers, each once (engql/check/metrics.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_harness import (
    Case,
    T,
    assert_case,
    assert_codes,
    assert_valid,
    body,
    check,
)

from engql import facts

CASES: list[Case] = [
    Case(
        "E102",
        f"SELECT impresions FROM totals WHERE tweet = {T}",
        [("E102", 1, 8, "unknown metric 'impresions'")],
    ),
    Case(
        "E103",
        f"SELECT media_clicks FROM 28hr WHERE tweet = {T}",
        [("E103", 1, 8, "metric 'media_clicks' was replaced by 'media_engagements'")],
    ),
    Case(
        "E104",
        f"SELECT quote_tweets FROM historical WHERE tweet = {T}",
        [("E104", 1, 8, "metric 'quote_tweets' is not offered by /historical")],
    ),
    Case(
        "E104",
        f"SELECT favorites, media_views FROM totals WHERE tweet = {T}",
        [("E104", 1, 19, "metric 'media_views' is not offered by /totals")],
    ),
    Case(
        "W101",
        f"SELECT favorites, retweets, favorites FROM totals WHERE tweet = {T}",
        [("W101", 1, 29, "metric 'favorites' is selected twice; sending it once")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


def test_a_deprecated_metric_is_never_suggested() -> None:
    (diagnostic,) = check(f"SELECT media_click FROM 28hr WHERE tweet = {T}")
    assert diagnostic.code == "E102"
    assert diagnostic.hint is not None and diagnostic.hint.startswith("did you mean ")
    assert "media_clicks" not in diagnostic.hint


def test_duplicate_metrics_warn_and_are_sent_once() -> None:
    text = f"SELECT retweets, favorites, retweets, retweets FROM totals WHERE tweet = {T}"
    assert_codes(text, [("W101", 1, 29), ("W101", 1, 39)])
    assert body(text)["engagement_types"] == ["retweets", "favorites"]


@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_every_metric_of_each_endpoint(endpoint: str) -> None:
    metrics = ", ".join(facts.ENDPOINTS[endpoint].metrics)
    assert_valid(f"SELECT {metrics} FROM {endpoint} WHERE tweet = {T}")
