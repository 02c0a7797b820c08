"""A whole text under check (engql/check/__init__.py and the pipeline around it): syntax
errors among the statements, every rule's problems at once and in place, hints, parameters
bound for every statement, valid queries, and diagnostics as data.

Queries are checked at the harness's fixed clock, NOW = 2016-03-01T00:00Z. ``RECENT`` is
a Tweet ten days old then, so it draws no age warning.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from check_harness import (
    FEB_RANGE,
    MID_JAN,
    NOW,
    RECENT_2,
    TIME_PARAMS,
    TWEETS_PARAM,
    Case,
    T,
    assert_case,
    assert_codes,
    assert_valid,
    body,
    check,
    codes,
    diagnose,
)
from test_check_endpoint import CASES as ENDPOINT_CASES
from test_check_groupings import CASES as GROUPINGS_CASES
from test_check_metrics import CASES as METRICS_CASES
from test_check_time_range import CASES as TIME_RANGE_CASES
from test_check_tweet_age import CASES as TWEET_AGE_CASES
from test_check_tweets import CASES as TWEETS_CASES

import engql
import engql.syntax.parser
from engql.codes import CODES, Severity

CASES: list[Case] = [
    Case(
        "E001",
        f"SELECT FROM totals WHERE tweet = {T}",
        [("E001", 1, 8, "found keyword FROM; expected a metric name or *")],
    ),
    Case(
        "E001",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN 2016-01-01 AND now",
        [("E001", 1, 76, "found number 2016; expected")],
    ),
    Case(
        "E002",
        "SELECT impressions FROM totals WHERE",
        [("E002", 1, 37, "statement ends too early; expected time or tweet")],
    ),
    Case(
        "E003",
        f"SELECT * FROM totals WHERE tweet = {T} @",
        [("E003", 1, 55, "unexpected character '@'")],
    ),
    Case(
        "E004",
        "SELECT * FROM totals WHERE tweet = '12",
        [("E004", 1, 36, "unterminated string: no closing ' on this line")],
    ),
    Case(
        "E004",
        f"SELECT * FROM totals WHERE tweet = {T} /* note",
        [("E004", 1, 55, "unterminated comment: no closing */")],
    ),
    Case(
        "E004",
        f'SELECT * FROM totals WHERE tweet = {T} GROUP BY tweet.id AS "x',
        [("E004", 1, 76, 'unterminated name: no closing "')],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    assert_case(case, tmp_path)


ALL_CASES = [
    *CASES,
    *ENDPOINT_CASES,
    *METRICS_CASES,
    *GROUPINGS_CASES,
    *TWEETS_CASES,
    *TIME_RANGE_CASES,
    *TWEET_AGE_CASES,
]
"""The cases of every rule's file, to show that each code has one."""


def test_every_code_has_a_case() -> None:
    covered = {c.code for c in ALL_CASES} | {"E005", "E309"}  # tested below, outside CASES
    covered |= {"E006", "E007", "W001"}  # tested in test_limits.py
    assert covered == {code for code, entry in CODES.items() if not (entry.at_run or entry.of_file)}


def test_code_letter_matches_severity() -> None:
    for code, entry in CODES.items():
        expected = Severity.ERROR if code.startswith("E") else Severity.WARNING
        assert entry.severity is expected, code


def test_query_too_large_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engql.syntax.parser, "MAX_QUERY_CHARS", 100)
    text = f"SELECT * FROM totals WHERE tweet IN ({', '.join(['1'] * 40)})"
    assert len(text) > 100
    found = diagnose(text)
    assert found == [
        (
            "E005",
            None,
            None,
            f"query is {len(text):,} characters long; the limit is 100",
        )
    ]
    (diagnostic,) = check(text)
    assert diagnostic.hint is not None and "IN FILE" in diagnostic.hint


def test_empty_statements_are_skipped_without_a_diagnostic() -> None:
    """Statements of only blanks and comments are harmless: skipped, never reported."""
    assert diagnose("") == []
    assert diagnose(";;\n-- only a comment\n;/* and another */;") == []
    assert engql.compile(";;\n-- only a comment\n;", now=NOW).requests == []
    assert_valid(f"SELECT * FROM totals WHERE tweet = {T};;")
    assert_codes(
        f"SELECT * FROM totals WHERE tweet = {T};\n;  -- nothing here\n;\nSELECT * FROM total",
        [("E301", 4, 1), ("E101", 4, 15)],
    )


def test_all_statements_report_all_their_problems_in_file_order() -> None:
    text = (
        f"SELECT impresions FROM totals WHERE tweet = {T};\n"
        f"SELECT favorites FROM total WHERE tweet = {T} GROUP BY engagement.day;\n"
        f"SELECT favorites FROM totals WHERE tweet = {T};\n"
        "SELECT FROM 28hr WHERE tweet = 1;\n"
        "SELECT retweets FROM totals WHERE tweet IN ('x', 0);\n"
    )
    assert_codes(
        text,
        [
            ("E102", 1, 8, "unknown metric 'impresions'"),
            ("E101", 2, 23, "unknown endpoint 'total'"),
            ("W201", 2, 62),
            ("E001", 4, 8, "found keyword FROM"),
            ("E304", 5, 45, "'x' is neither"),
            ("E303", 5, 50, "Tweet ID 0 is out of range"),
        ],
    )


def test_syntax_errors_take_their_place_among_the_statements() -> None:
    text = f"SELECT impresions FROM totals WHERE tweet = {T};\nSELECT FROM 28hr;\nSELECT * FROM x;"
    assert [(f.code, f.line) for f in diagnose(text)] == [
        ("E102", 1),
        ("E001", 2),
        ("E301", 3),
        ("E101", 3),
    ]


def test_one_statement_reports_every_rule_family_at_once() -> None:
    text = (
        "SELECT impresions, quote_tweets FROM historical\n"
        "WHERE tweet IN ('nope', 0)\n"
        "  AND time BETWEEN '2014-01-01' AND now + 1 day\n"
        "GROUP BY tweet.id, tweet.id"
    )
    assert codes(text) == ["E102", "E104", "E304", "E303", "E404", "E405", "W201", "E202"]


def test_compile_raises_with_every_diagnostic() -> None:
    text = f"SELECT impresions FROM totals WHERE tweet = {T};\nSELECT * FROM total WHERE tweet = 1;"
    with pytest.raises(engql.EngqlError) as raised:
        engql.compile(text, now=NOW)
    assert [d.code for d in raised.value.diagnostics] == ["E102", "E101"]
    assert str(raised.value).startswith("<query>:1:8: error[E102]: unknown metric 'impresions'")
    assert str(raised.value).endswith("(and 1 more)")


def test_warnings_do_not_stop_compile() -> None:
    plan = engql.compile(f"SELECT favorites FROM totals WHERE tweet IN ({T}, {T})", now=NOW)
    assert [w.code for w in plan.warnings] == ["W301"]
    assert len(plan.requests) == 1


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (f"SELECT * FROM total WHERE tweet = {T}", "did you mean 'totals'?"),
        (f"SELECT * FROM historcal WHERE tweet = {T}", "did you mean 'historical'?"),
        (f"SELECT * FROM hour28 WHERE tweet = {T}", "the endpoints are totals, 28hr, historical"),
        (f"SELECT favourites FROM totals WHERE tweet = {T}", "did you mean 'favorites'?"),
        (f"SELECT RETWEETS FROM totals WHERE tweet = {T}", "did you mean 'retweets'"),
        (
            f"SELECT * FROM totals WHERE tweet = {T} GROUP BY Tweet.id, engagement.type",
            "did you mean 'tweet.id'?",
        ),
        (
            f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY tweet.id, engagement.types",
            "did you mean 'engagement.type'",
        ),
        (
            f"SELECT * FROM totals WHERE tweet = {T} GROUP BY metric",
            "the keys are tweet.id, engagement.type, engagement.day, engagement.hour",
        ),
        (f"SELECT media_clicks FROM 28hr WHERE tweet = {T}", "select 'media_engagements' instead"),
        (
            f"SELECT * FROM 28hr WHERE tweet = {T}\n"
            "GROUP BY engagement.day, engagement.hour, tweet.id, engagement.type",
            "use (tweet.id, engagement.type, engagement.day, engagement.hour) or "
            "(engagement.type, tweet.id, engagement.day, engagement.hour)",
        ),
        (
            "SELECT * FROM totals WHERE tweet = 'abc'",
            "write an ID (1234567890) or a URL like https://x.com/user/status/1234567890",
        ),
        (
            "SELECT * FROM totals WHERE tweet = '12",
            "add the closing ' (write '' for a ' inside the text)",
        ),
        (
            f'SELECT * FROM totals WHERE tweet = {T} GROUP BY tweet.id AS "x',
            'add the closing " (write "" for a " inside the text)',
        ),
        (
            f"SELECT quote_tweets FROM 28hr WHERE tweet = {T}",
            "'quote_tweets' is offered by /totals",
        ),
        (
            f"SELECT impressions FROM totals WHERE tweet = {T}"
            " AND time BETWEEN now - 1 day AND now",
            "use FROM historical for a chosen window",
        ),
        (
            f"SELECT * FROM totals WHERE tweet = {T} AND time BETWEEN 2016-01-01 AND now",
            "write times in quotes: '2016-02-10T17:00:00Z'",
        ),
        (
            f'SELECT * FROM totals WHERE tweet = "{T}"',
            "values use single quotes: 'text'; double quotes are for grouping names",
        ),
    ],
)
def test_hints(text: str, hint: str) -> None:
    hints = [d.hint or "" for d in check(text)]
    assert any(hint in h for h in hints), hints


def test_unbound_parameter_hints_name_the_parameter() -> None:
    (tweets,) = check(TWEETS_PARAM)
    assert tweets.hint is not None and "-p ids=1,2,3" in tweets.hint
    assert "params={'ids': [...]}" in tweets.hint
    hints = [d.hint or "" for d in check(TIME_PARAMS)]
    assert "-p a=2024-01-01" in hints[0] and "params={'b': datetime(...)}" in hints[1]


def test_parameters_bind_for_every_statement() -> None:
    text = f"{TWEETS_PARAM};\nSELECT retweets FROM totals WHERE tweet IN :ids;\n"
    plan = engql.compile(text, now=NOW, params={"ids": [T]})
    assert [r.body["tweet_ids"] for r in plan.requests] == [[str(T)], [str(T)]]
    assert [(f.code, f.line) for f in diagnose(text)] == [("E306", 1), ("E306", 2)]


def test_public_totals_request_of_the_python_scripts() -> None:
    """engagement_totals.py without -o: public metrics of an unowned Tweet (§8, P; §5.2)."""
    text = """
        SELECT favorites, replies, retweets, quote_tweets, video_views
        FROM totals
        WHERE tweet = 'https://twitter.com/XDevelopers/status/1021817816134156288'
        GROUP BY tweet.id, engagement.type AS "per-tweet-metrics"
    """
    now = datetime(2018, 8, 1, tzinfo=UTC)
    assert_valid(text, now=now)
    plan = engql.compile(text, now=now)
    (request,) = plan.requests
    assert request.auth == "app"
    assert request.body == {
        "tweet_ids": ["1021817816134156288"],
        "engagement_types": ["favorites", "replies", "retweets", "quote_tweets", "video_views"],
        "groupings": {"per-tweet-metrics": {"group_by": ["tweet.id", "engagement.type"]}},
    }


def test_reference_body_example_compiles_to_the_documented_body() -> None:
    """engagement-api.md §4.2's body; its IDs are from 2018 and its window from 2015."""
    text = """
        SELECT favorites, replies, retweets, video_views, impressions, engagements
        FROM historical
        WHERE tweet IN (1060976163948904448, 1045709644067471360)
          AND time BETWEEN '2015-08-01' AND '2015-08-15'
        GROUP BY tweet.id, engagement.type AS perTweetMetricsOwned
    """
    now = datetime(2016, 3, 1, tzinfo=UTC)
    assert codes(text, now=now) == ["W503", "W504", "W402"]
    assert body(text, now=now) == {
        "tweet_ids": ["1060976163948904448", "1045709644067471360"],
        "engagement_types": [
            "favorites",
            "replies",
            "retweets",
            "video_views",
            "impressions",
            "engagements",
        ],
        "groupings": {"perTweetMetricsOwned": {"group_by": ["tweet.id", "engagement.type"]}},
        "start": "2015-08-01T00:00:00Z",
        "end": "2015-08-15T00:00:00Z",
    }


@pytest.mark.parametrize(
    "text",
    [
        f"select favorites from totals where tweet in ({T}) group by engagement.type as g",
        f"SeLeCt * FrOm 28hr WhErE TWEET.ID = {T}",
        f"SELECT * FROM totals WHERE tweet = '{T}'",
        f"SELECT * FROM totals WHERE tweet = 'https://x.com/jack/status/{T}'",
        f"SELECT * FROM totals WHERE tweet = 'https://mobile.twitter.com/i/web/status/{T}?s=20'",
        f"SELECT * FROM totals WHERE tweet = 'https://x.com/status/{T}'",
        f"SELECT * FROM totals WHERE tweet = 'https://twitter.com/i/web/status/{T}'",
        f"SELECT * FROM totals WHERE tweet = 'https://www.twitter.com/i/status/{T}'",
        f"SELECT * FROM totals WHERE tweet IN (\n  {T}, -- first\n  '{RECENT_2}' /* second */\n)",
        f"-- lead\nSELECT *\n  FROM historical\n WHERE tweet = {MID_JAN}\n   AND {FEB_RANGE};",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN now - 1 day AND now",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN today - 2 hours AND today",
        f"SELECT * FROM historical WHERE tweet = {MID_JAN} AND time BETWEEN '2016-02-01T17:30:00Z'"
        " AND '2016-02-01T21:00:00+02:00'",
        f"SELECT * FROM historical WHERE time BETWEEN now - 3 weeks AND now AND tweet = {MID_JAN}",
        f"SELECT * FROM totals WHERE tweet = {T} GROUP BY engagement.type GROUP BY engagement.type",
    ],
)
def test_valid_queries(text: str) -> None:
    assert_valid(text)


def test_diagnostic_json_and_location() -> None:
    text = f"SELECT *\nFROM total\nWHERE tweet = {T}"
    (diagnostic,) = check(text, name="q.engql")
    assert diagnostic.location() == ("q.engql", 2, 6, 2, 11)
    assert diagnostic.to_json() == {
        "code": "E101",
        "severity": "error",
        "message": "unknown endpoint 'total'",
        "file": "q.engql",
        "line": 2,
        "column": 6,
        "end": {"line": 2, "column": 11},
        "hint": "did you mean 'totals'?",
    }
    assert diagnostic.render() == (
        "q.engql:2:6: error[E101]: unknown endpoint 'total'\n"
        "2 | FROM total\n"
        "         ^^^^^\n"
        "  = hint: did you mean 'totals'?"
    )


def test_carets_line_up_under_tabs() -> None:
    """The source line is printed with its tabs expanded, and the carets counted the same way."""
    text = "SELECT\tfavorites\tFROM\ttotal\tWHERE tweet = 1"
    (diagnostic,) = check(text)
    assert diagnostic.location() == ("<query>", 1, 23, 1, 28)
    lines = diagnostic.render().splitlines()
    assert lines[1] == "1 | SELECT  favorites       FROM    total   WHERE tweet = 1"
    assert lines[2] == "                                    ^^^^^"
    assert lines[1][lines[2].index("^") :].startswith("total ")


def test_carets_span_a_tab_inside_what_they_underline() -> None:
    text = "SELECT favorites FROM totals\n\tWHERE tweet IN (1, 'a\tb',\n\t\t0)"
    first, second = check(text)
    assert first.render().splitlines()[1:3] == [
        "2 |         WHERE tweet IN (1, 'a   b',",
        "                               ^^^^^^^",
    ]
    assert second.render().splitlines()[1:3] == ["3 |                 0)", "                    ^"]


def test_warning_severity() -> None:
    (diagnostic,) = check(f"SELECT favorites, favorites FROM totals WHERE tweet = {T}")
    assert diagnostic.severity is Severity.WARNING
    assert not diagnostic.is_error
    assert diagnostic.render().startswith("<query>:1:19: warning[W101]: ")
