"""Every diagnostic code, triggered with its exact place and message, and valid queries clean.

Queries are checked at the harness's fixed clock, NOW = 2016-03-01T00:00Z. ``RECENT`` is
a Tweet ten days old then, so it draws no age warning.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from check_harness import (
    NOW,
    RECENT,
    RECENT_2,
    Expected,
    assert_codes,
    assert_valid,
    check,
    codes,
    diagnose,
    tweet_aged,
    tweet_created,
)

import engql
import engql.pipeline
import engql.syntax.parser
from engql import facts
from engql.check import CheckOptions
from engql.check.context import MAX_TWEET_IDS
from engql.codes import CODES, Severity
from engql.limits import MAX_SHOWN_COLUMNS
from engql.params import IdsFileParam
from engql.pipeline import analyse
from engql.syntax.source import Source

T = RECENT
OLD = tweet_aged(100)
"""100 days old: too old for impressions and engagements on /totals."""
FUTURE = tweet_aged(-10)
"""Ten days in NOW's future."""
JACK = "https://twitter.com/jack/status/20"
"""A Tweet from 2006, before Snowflake IDs: older than any limit."""
MID_JAN = tweet_created(datetime(2016, 1, 15, tzinfo=UTC))
FEB_RANGE = "time BETWEEN '2016-02-01' AND '2016-02-15'"


@attrs.frozen
class Case:
    code: str
    text: str
    expected: list[Expected]
    options: dict[str, Any] = attrs.field(factory=dict)


CASES: list[Case] = [
    # syntax
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
    # names
    Case(
        "E101",
        f"SELECT * FROM total WHERE tweet = {T}",
        [("E101", 1, 15, "unknown endpoint 'total'")],
    ),
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
        "E105",
        f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY tweet.id, engagment.type",
        [("E105", 1, 72, "unknown grouping key 'engagment.type'")],
    ),
    Case(
        "E106",
        f"SELECT * FROM totals WHERE tweet = {T} GROUP BY engagement.type, engagement.day",
        [("E106", 1, 81, "/totals cannot group by 'engagement.day'")],
    ),
    Case(
        "W101",
        f"SELECT favorites, retweets, favorites FROM totals WHERE tweet = {T}",
        [("W101", 1, 29, "metric 'favorites' is selected twice; sending it once")],
    ),
    # groupings
    Case(
        "E201",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.type\n"
        "GROUP BY tweet.id, engagement.type\n"
        "GROUP BY engagement.type, tweet.id\n"
        "GROUP BY engagement.type, engagement.day AS daily",
        [("E201", 5, 1, "a request holds at most 3 groupings; this is number 4")],
    ),
    Case(
        "E202",
        f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY engagement.type, engagement.type",
        [("E202", 1, 79, "grouping key 'engagement.type' appears twice in this grouping")],
    ),
    Case(
        "E203",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.day, engagement.hour, tweet.id, engagement.type",
        [("E203", 2, 1, "a grouping with four keys must be in one of the two documented orders")],
    ),
    Case(
        "E204",
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour\n"
        "GROUP BY engagement.type, tweet.id, engagement.day, engagement.hour",
        [("E204", 3, 1, "a request holds only one grouping with four keys")],
    ),
    Case(
        "E205",
        f"SELECT * FROM totals WHERE tweet = {T}\n"
        "GROUP BY engagement.type AS g\n"
        "GROUP BY tweet.id, engagement.type AS g",
        [("E205", 3, 39, "grouping name 'g' is already used on line 2")],
    ),
    Case(
        "E206",
        f'SELECT * FROM totals WHERE tweet = {T} GROUP BY engagement.type AS ""',
        [("E206", 1, 83, "a grouping name may not be empty")],
    ),
    Case(
        "W201",
        f"SELECT * FROM totals WHERE tweet = {T} GROUP BY tweet.id",
        [("W201", 1, 55, "a grouping without engagement.type has an undocumented response")],
    ),
    # Tweets
    Case("E301", "SELECT * FROM totals", [("E301", 1, 1, "the statement names no Tweets")]),
    Case(
        "E302",
        f"SELECT * FROM totals\nWHERE tweet = {T}\n  AND tweet IN ({RECENT_2})",
        [("E302", 3, 7, "Tweets are already given on line 2")],
    ),
    Case(
        "E303",
        f"SELECT * FROM totals WHERE tweet IN ({T}, 0, 9223372036854775808)",
        [
            ("E303", 1, 58, "Tweet ID 0 is out of range: IDs are positive 64-bit integers"),
            ("E303", 1, 61, "Tweet ID 9223372036854775808 is out of range"),
        ],
    ),
    Case(
        "E304",
        f"SELECT * FROM totals WHERE tweet IN ({T}, 'abc', 'https://example.com/status/5')",
        [
            ("E304", 1, 58, "'abc' is neither a Tweet ID nor a Tweet URL"),
            ("E304", 1, 65, "'https://example.com/status/5' is neither a Tweet ID nor a Tweet"),
        ],
    ),
    Case(
        "E305",
        "SELECT * FROM totals WHERE tweet IN ()",
        [("E305", 1, 37, "the list of Tweets is empty")],
    ),
    Case(
        "E306",
        "SELECT * FROM totals WHERE tweet IN :ids",
        [("E306", 1, 37, "parameter :ids is not bound")],
    ),
    Case(
        "E306",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN :start AND now",
        [("E306", 1, 76, "parameter :start is not bound")],
    ),
    Case(
        "E307",
        "SELECT * FROM totals WHERE tweet IN FILE 'ids.txt'",
        [("E307", 1, 37, "reading Tweet IDs from a file is not allowed here")],
    ),
    Case(
        "E308",
        "SELECT * FROM totals WHERE tweet IN FILE 'missing.txt'",
        [("E308", 1, 37, "cannot read IDs file")],
        {"allow_files": True},
    ),
    Case(
        "E310",
        "SELECT * FROM totals WHERE tweet IN :ids",
        [("E310", 1, 37, "parameter :ids is a float, not Tweet IDs")],
        {"params": {"ids": 1.5}},
    ),
    Case(
        "E311",
        "SELECT * FROM totals WHERE tweet IN FILE '../ids.txt'",
        [("E311", 1, 37, "IDs file '../ids.txt' leads out of base_dir")],
        {"allow_files": "base_dir"},
    ),
    Case(
        "E310",
        f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN :start AND now",
        [("E310", 1, 76, "parameter :start holds an int, not a time")],
        {"params": {"start": 5}},
    ),
    Case(
        "W301",
        f"SELECT favorites FROM totals WHERE tweet IN ({T}, {RECENT_2}, {T})",
        [("W301", 1, 86, f"Tweet {T} is listed twice; sending it once")],
    ),
    # time
    Case(
        "E401",
        f"SELECT favorites FROM totals WHERE tweet = {T} AND time BETWEEN now - 2 days AND now",
        [("E401", 1, 67, "/totals takes no time range: it always covers the Tweet's whole")],
    ),
    Case(
        "E401",
        f"SELECT favorites FROM 28hr WHERE tweet = {T} AND time BETWEEN now - 2 days AND now",
        [("E401", 1, 65, "/28hr takes no time range: it always covers the last 28 hours")],
    ),
    Case(
        "E402",
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN '2016-02-30' AND 'yesterday'",
        [
            ("E402", 2, 20, "'2016-02-30' is not an ISO date or date-time"),
            ("E402", 2, 37, "'yesterday' is not an ISO date or date-time"),
        ],
    ),
    Case(
        "E403",
        f"SELECT impressions FROM historical WHERE tweet = {MID_JAN}\n"
        "  AND time BETWEEN '2016-02-15' AND '2016-02-01'",
        [("E403", 2, 7, "the range starts (2016-02-15 00:00Z) at or after it ends (2016-02-01")],
    ),
    Case(
        "E404",
        "SELECT impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2014-08-31' AND '2014-09-10'",
        [("E404", 2, 20, "the range starts 2014-08-31, before the API's first day, 2014-09-01")],
    ),
    Case(
        "E405",
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN now - 1 day AND now + 1 hour",
        [("E405", 2, 36, "the range ends in the future (2016-03-01 01:00Z)")],
    ),
    Case(
        "E406",
        f"SELECT impressions FROM historical WHERE tweet = {MID_JAN}\n"
        f"  AND {FEB_RANGE}\n  AND {FEB_RANGE}",
        [("E406", 3, 7, "a time range is already given in this statement")],
    ),
    Case(
        "W401",
        "SELECT impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2015-02-01' AND '2015-02-20'",
        [("W401", 2, 20, "the range starts more than 365 days ago")],
    ),
    Case(
        "W402",
        "SELECT favorites, impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2015-09-01' AND '2015-09-20'",
        [("W402", 2, 20, "favorites read as zero before 2015-09-15 on /historical")],
    ),
    # Tweet age
    Case(
        "W501",
        f"SELECT impressions, favorites FROM totals WHERE tweet IN ({T}, {OLD})",
        [
            (
                "W501",
                1,
                79,
                f"Tweet {OLD} is older than 90 days, and /totals has no impressions for Tweets "
                "that old",
            )
        ],
    ),
    Case(
        "W502",
        f"SELECT video_views FROM totals WHERE tweet IN ({T}, '{JACK}')",
        [("W502", 1, 68, "Tweet 20 is older than 1800 days, and the API has no video_views")],
    ),
    Case(
        "W503",
        f"SELECT impressions FROM historical WHERE tweet = {T} AND {FEB_RANGE}",
        [
            (
                "W503",
                1,
                50,
                f"Tweet {T} is newer than the end of the range, so every count will be zero",
            )
        ],
    ),
    Case(
        "W504",
        f"SELECT favorites FROM totals WHERE tweet = {FUTURE}",
        [("W504", 1, 44, f"Tweet {FUTURE} is dated in the future by the time in the ID; check it")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    options = dict(case.options)
    if options.get("allow_files"):
        options["base_dir"] = tmp_path
    assert_codes(case.text, case.expected, **options)


@pytest.mark.parametrize(
    "end", ["'2016-03-01T12:00:00Z'", "'2016-03-01T11:14'", "'2016-03-01T11:59:59Z'"]
)
def test_an_end_in_the_current_hour_is_not_in_the_future(end: str) -> None:
    """The API rounds an end up to the hour before judging it: at 11:16 an end of 12:00 is
    the same hour as an end of 11:14, and both are accepted (E405 only past 12:00)."""
    now = datetime(2016, 3, 1, 11, 16, tzinfo=UTC)
    assert_valid(
        f"SELECT impressions FROM historical WHERE tweet = {T} "
        f"AND time BETWEEN now - 1 day AND {end}",
        now=now,
    )


def test_an_end_past_the_current_hour_is_e405() -> None:
    assert_codes(
        f"SELECT impressions FROM historical WHERE tweet = {T}\n"
        "  AND time BETWEEN now - 1 day AND '2016-03-01T12:00:01Z'",
        [("E405", 2, 36, "the end of the current hour, 2016-03-01 12:00Z")],
        now=datetime(2016, 3, 1, 11, 16, tzinfo=UTC),
    )


def test_extra_grouping_equal_to_an_earlier_one_is_numbered_by_its_place() -> None:
    text = (
        f"SELECT * FROM 28hr WHERE tweet = {T}\n"
        "GROUP BY engagement.type\n"
        "GROUP BY tweet.id, engagement.type\n"
        "GROUP BY engagement.type, tweet.id\n"
        "GROUP BY engagement.type"
    )
    assert_codes(text, [("E201", 5, 1, "this is number 4")])


def test_every_extra_grouping_is_numbered_by_its_place() -> None:
    text = f"SELECT * FROM 28hr WHERE tweet = {T}\n" + "GROUP BY engagement.type\n" * 5
    assert_codes(
        text,
        [
            ("E201", 5, 1, "at most 3 groupings; this is number 4"),
            ("E201", 6, 1, "at most 3 groupings; this is number 5"),
        ],
    )


def test_every_code_has_a_case() -> None:
    covered = {c.code for c in CASES} | {"E005", "E309"}  # tested below, outside CASES
    covered |= {"E006", "E007", "W001"}  # tested in test_limits.py
    assert covered == {code for code, entry in CODES.items() if not entry.at_run}


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


def test_too_many_tweet_ids() -> None:
    """Ten million IDs cost seconds, so the limit is lowered through CheckOptions."""
    defaults = engql.pipeline.options(None, NOW, allow_files=False, base_dir=None)
    assert defaults.max_tweet_ids == MAX_TWEET_IDS == 10_000_000
    text = "SELECT favorites FROM totals WHERE tweet IN (1, 2, 3, 4)"
    options = CheckOptions(now=NOW, max_tweet_ids=3)
    _, queries, diagnostics = analyse(Source(text), options)
    assert queries == []
    assert [(d.code, d.location(), d.message) for d in diagnostics] == [
        ("E309", ("<query>", 1, 45, 1, 57), "4 Tweet IDs; one statement takes at most 3")
    ]


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


# --- every problem in one run ----------------------------------------------------------


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


# --- hints ------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (f"SELECT favourites FROM totals WHERE tweet = {T}", "did you mean 'favorites'?"),
        (
            f"SELECT engagement FROM 28hr WHERE tweet = {T}",
            "did you mean 'engagements' or 'media_engagements'?",
        ),
        (
            f"SELECT url_click FROM 28hr WHERE tweet = {T}",
            "did you mean 'url_clicks', 'user_profile_clicks' or 'permalink_clicks'?",
        ),
        (
            f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY engagment.type",
            "did you mean 'engagement.type', 'engagement.day' or 'engagement.hour'?",
        ),
        (
            f"SELECT * FROM Totals WHERE tweet = {T}",
            "did you mean 'totals'? names are case-sensitive",
        ),
        (
            f"SELECT RETWEETS FROM totals WHERE tweet = {T}",
            "did you mean 'retweets'? names are case-sensitive",
        ),
        (
            f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY Engagement.Type",
            "did you mean 'engagement.type'? names are case-sensitive",
        ),
    ],
)
def test_suggestions_read_as_one_sentence(text: str, hint: str) -> None:
    """Names joined by commas and a last "or"; a match but for case names only that one."""
    (diagnostic,) = check(text)
    assert diagnostic.hint == hint


def test_a_deprecated_metric_is_never_suggested() -> None:
    (diagnostic,) = check(f"SELECT media_click FROM 28hr WHERE tweet = {T}")
    assert diagnostic.code == "E102"
    assert diagnostic.hint is not None and diagnostic.hint.startswith("did you mean ")
    assert "media_clicks" not in diagnostic.hint


def test_no_hint_when_nothing_is_close() -> None:
    (diagnostic,) = check(f"SELECT zzzz FROM totals WHERE tweet = {T}")
    assert (diagnostic.code, diagnostic.hint) == ("E102", None)


def test_at_most_five_suggestions() -> None:
    found = check(f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY engagement, tweet.id")
    (diagnostic,) = [d for d in found if d.code == "E105"]
    assert diagnostic.hint is not None and diagnostic.hint.startswith("did you mean ")
    assert 1 <= diagnostic.hint.count("'") // 2 <= 5


# --- duplicates -------------------------------------------------------------------------


def body(text: str, **options: Any) -> dict[str, Any]:
    options.setdefault("now", NOW)
    plan = engql.compile(text, **options)
    (request,) = plan.requests
    return request.body


def test_duplicate_metrics_warn_and_are_sent_once() -> None:
    text = f"SELECT retweets, favorites, retweets, retweets FROM totals WHERE tweet = {T}"
    assert_codes(text, [("W101", 1, 29), ("W101", 1, 39)])
    assert body(text)["engagement_types"] == ["retweets", "favorites"]


def test_duplicate_tweets_warn_and_are_sent_once_first_kept() -> None:
    url = f"https://x.com/someone/status/{T}"
    text = f"SELECT favorites FROM totals WHERE tweet IN ({RECENT_2}, '{url}', '00{T}', {RECENT_2})"
    assert_codes(
        text,
        [
            ("W301", 1, 117, f"Tweet {T} is listed twice; sending it once"),
            ("W301", 1, 141, f"Tweet {RECENT_2} is listed twice; sending it once"),
        ],
    )
    assert body(text)["tweet_ids"] == [str(RECENT_2), str(T)]


def test_packed_id_list_with_leading_zeros_is_canonical() -> None:
    text = f"SELECT favorites FROM totals WHERE tweet IN (0{T}, {T}, {RECENT_2})"
    assert codes(text) == ["W301"]
    assert body(text)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_largest_tweet_id_is_accepted() -> None:
    assert codes(f"SELECT favorites FROM totals WHERE tweet = {facts.MAX_TWEET_ID}") == ["W504"]


# --- FILE -------------------------------------------------------------------------------


def test_file_is_refused_by_default(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(f"{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    (diagnostic,) = check(text, base_dir=tmp_path)
    assert diagnostic.code == "E307"
    assert diagnostic.hint is not None and "allow_files=True" in diagnostic.hint
    with pytest.raises(engql.EngqlError):
        engql.compile(text, now=NOW, base_dir=tmp_path)


def test_file_is_read_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ids.txt").write_text(f"{T}\n{RECENT_2}\n{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'sub/ids.txt'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.location()) for d in found] == [
        ("W301", (str(tmp_path / "sub" / "ids.txt"), 3, 1, 3, 19))
    ]
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_ids_file_with_blank_lines_comments_and_urls(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(
        f"# campaign Tweets\n\n{T}\n   # indented comment\n"
        f"  https://x.com/a/status/{RECENT_2}  \n\n"
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert check(text, allow_files=True, base_dir=tmp_path) == []
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_bad_line_in_ids_file_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(f"# header\n{T}\n\n  not-an-id\n{RECENT_2}\n0\n")
    text = "SELECT favorites FROM totals\nWHERE tweet IN FILE 'ids.txt'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    where = [(d.code, d.location()) for d in found]
    path = str(tmp_path / "ids.txt")
    assert where == [("E304", (path, 4, 3, 4, 12)), ("E303", (path, 6, 1, 6, 2))]
    first = found[0].render().splitlines()
    assert first[0] == (
        f"{path}:4:3: error[E304]: 'not-an-id' is neither a Tweet ID nor a Tweet URL"
    )
    assert first[1:3] == ["4 |   not-an-id", "      ^^^^^^^^^"]


@pytest.mark.parametrize("header", ["tweet_id", "tweet_ids", "id", "Tweet_ID"])
def test_csv_ids_file_with_an_id_column(tmp_path: Path, header: str) -> None:
    (tmp_path / "ids.csv").write_text(
        f"# exported\nhandle,{header},likes\nalice,{T},3\n\nbob,{RECENT_2},5\n"
        f"# carol,none,0\nalice,{T},3\n"
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.location()[1:3]) for d in found if d.location()] == [("W301", (7, 7))]
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_csv_bad_cell_is_reported_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(f"tweet_id,note\n{T},ok\nnope,bad\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    (diagnostic,) = check(text, allow_files=True, base_dir=tmp_path)
    assert diagnostic.code == "E304"
    assert diagnostic.location() == (str(tmp_path / "ids.csv"), 3, 1, 3, 5)


def test_csv_bad_cell_in_a_later_column_is_underlined_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(f"handle,tweet_id\nalice,{T}\nbob,nope\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    (diagnostic,) = check(text, allow_files=True, base_dir=tmp_path)
    assert diagnostic.location() == (str(tmp_path / "ids.csv"), 3, 5, 3, 9)
    assert diagnostic.render().splitlines()[1:3] == ["3 | bob,nope", "        ^^^^"]


def test_csv_cells_quoted_or_padded_are_underlined_at_their_text(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(
        f'handle,tweet_id\nalice,{T}\nbob,"nope"\ncarol, nah \n"dan, jr",zip\n'
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    path = str(tmp_path / "ids.csv")
    assert [(d.code, d.location()) for d in found] == [
        ("E304", (path, 3, 6, 3, 10)),
        ("E304", (path, 4, 8, 4, 11)),
        ("E304", (path, 5, 11, 5, 14)),
    ]


def test_ids_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_bytes(b"\xff\xfe\x00 1\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert_codes(
        text,
        [("E308", 1, 45, "it is not UTF-8 text")],
        allow_files=True,
        base_dir=tmp_path,
    )


def test_empty_ids_file(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("# nothing yet\n\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert_codes(text, [("E305", 1, 45)], allow_files=True, base_dir=tmp_path)


def test_ids_file_named_by_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(f"{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN :ids"
    assert body(text, params={"ids": IdsFileParam(str(path))})["tweet_ids"] == [str(T)]
    missing = IdsFileParam(str(tmp_path / "none.txt"))
    assert_codes(text, [("E308", 1, 45, "No such file")], params={"ids": missing})


# --- parameters -------------------------------------------------------------------------

TWEETS_PARAM = "SELECT favorites FROM totals WHERE tweet IN :ids"


@pytest.mark.parametrize(
    "value",
    [
        [T, RECENT_2],
        [str(T), str(RECENT_2)],
        [f"https://x.com/a/status/{T}", RECENT_2],
        f"{T},{RECENT_2}",
        f" {T} , {RECENT_2} ",
        (T, RECENT_2),
    ],
)
def test_tweet_parameter_values(value: object) -> None:
    assert diagnose(TWEETS_PARAM, params={"ids": value}) == []
    assert body(TWEETS_PARAM, params={"ids": value})["tweet_ids"] == [str(T), str(RECENT_2)]


def test_single_tweet_parameter() -> None:
    text = "SELECT favorites FROM totals WHERE tweet = :id"
    assert body(text, params={"id": T})["tweet_ids"] == [str(T)]
    assert body(text, params={"id": str(T)})["tweet_ids"] == [str(T)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "parameter :ids is a float, not Tweet IDs"),
        (True, "parameter :ids is a bool, not Tweet IDs"),
        ({"a": 1}, "parameter :ids is a dict, not Tweet IDs"),
        (b"700832233681846272", "parameter :ids is a bytes, not Tweet IDs"),
        (bytearray(b"1"), "parameter :ids is a bytearray, not Tweet IDs"),
        ([T, 2.5], "parameter :ids holds values that are neither numbers nor strings"),
        ([T, None], "parameter :ids holds values that are neither numbers nor strings"),
    ],
)
def test_tweet_parameter_of_the_wrong_kind(value: object, message: str) -> None:
    assert_codes(TWEETS_PARAM, [("E310", 1, 45, message)], params={"ids": value})


@pytest.mark.parametrize(
    ("value", "kind"),
    [(NOW, "datetime"), (datetime(2016, 1, 1), "datetime"), (date(2016, 1, 1), "date")],
)
def test_time_bound_to_a_tweet_parameter_is_named_as_a_time(value: object, kind: str) -> None:
    assert_codes(
        TWEETS_PARAM,
        [("E310", 1, 45, f"parameter :ids is a {kind}, not Tweet IDs")],
        params={"ids": value},
    )


def test_bad_tweets_in_a_parameter_point_at_the_parameter() -> None:
    assert_codes(
        TWEETS_PARAM,
        [("E304", 1, 45, "'abc'"), ("E303", 1, 45, "Tweet ID 0 is out of range")],
        params={"ids": f"{T}, abc, 0"},
    )
    assert_codes(TWEETS_PARAM, [("E305", 1, 45)], params={"ids": []})
    assert_codes(TWEETS_PARAM, [("E305", 1, 45)], params={"ids": " , "})


TIME_PARAMS = (
    f"SELECT impressions FROM historical WHERE tweet = {MID_JAN} AND time BETWEEN :a AND :b"
)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2016, 2, 1, tzinfo=UTC), datetime(2016, 2, 15, tzinfo=UTC)),
        (datetime(2016, 2, 1), datetime(2016, 2, 15)),
        (date(2016, 2, 1), date(2016, 2, 15)),
        ("2016-02-01", "2016-02-15T00:00:00Z"),
        (
            datetime(2016, 2, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            "2016-02-15T01:00:00+01:00",
        ),
    ],
)
def test_time_parameter_values(start: object, end: object) -> None:
    params = {"a": start, "b": end}
    assert diagnose(TIME_PARAMS, params=params) == []
    sent = body(TIME_PARAMS, params=params)
    assert (sent["start"], sent["end"]) == ("2016-02-01T00:00:00Z", "2016-02-15T00:00:00Z")


def test_time_parameters_unbound_and_unreadable() -> None:
    assert_codes(
        TIME_PARAMS,
        [
            ("E306", 1, 86, "parameter :a is not bound"),
            ("E306", 1, 93, "parameter :b is not bound"),
        ],
    )
    found = assert_codes(
        TIME_PARAMS,
        [
            ("E402", 1, 86, "'soon' is not an ISO date"),
            ("E310", 1, 93, "parameter :b holds an int, not a time"),
        ],
        params={"a": "soon", "b": 5},
    )
    assert found[1].message == "parameter :b holds an int, not a time"
    wrong_kind = check(TIME_PARAMS, params={"a": "soon", "b": 5})[1]
    assert wrong_kind.hint == "bind a datetime, a date or ISO text like 2024-01-01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "parameter :a holds an int, not a time"),
        (1.5, "parameter :a holds a float, not a time"),
        (True, "parameter :a holds a bool, not a time"),
        ([date(2016, 2, 1)], "parameter :a holds a list, not a time"),
    ],
)
def test_time_parameter_of_the_wrong_kind(value: object, message: str) -> None:
    params = {"a": value, "b": date(2016, 2, 15)}
    found = assert_codes(TIME_PARAMS, [("E310", 1, 86, message)], params=params)
    assert found[0].message == message


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


# --- the cap of 20 diagnostics per code per statement ---------------------------------


def bad_list(n: int) -> str:
    return ", ".join(f"'x{i}'" for i in range(n))


def test_more_than_twenty_of_a_code_are_counted() -> None:
    """The count is one diagnostic placed at the statement's end, so it comes last."""
    text = f"SELECT favorites FROM totals WHERE tweet IN ({bad_list(1025)})"
    found = diagnose(text)
    assert [f.code for f in found] == ["E304"] * 21
    assert found[0].message == "'x0' is neither a Tweet ID nor a Tweet URL"
    assert found[19].message == "'x19' is neither a Tweet ID nor a Tweet URL"
    assert found[20] == (
        "E304",
        1,
        len(text) + 1,
        "1,005 more E304 problems are not shown for this statement",
    )
    rendered = check(text)[-1].render().splitlines()
    assert rendered[0] == (
        f"<query>:1:{len(text) + 1}: error[E304]: "
        "1,005 more E304 problems are not shown for this statement"
    )
    assert rendered[1] == "1 | ..." + text[-MAX_SHOWN_COLUMNS:]
    assert rendered[2] == " " * len("1 | ..." + text[-MAX_SHOWN_COLUMNS:]) + "^"
    first = len(text) - MAX_SHOWN_COLUMNS + 1
    assert rendered[3] == (
        f"  = note: line 1 is {len(text):,} characters long; "
        f"columns {first:,} to {len(text):,} are shown"
    )


def test_the_count_is_at_the_end_of_its_own_statement() -> None:
    text = (
        f"SELECT favorites FROM totals WHERE tweet = {T};\n"
        f"  SELECT favorites\n  FROM totals\n  WHERE tweet IN ({bad_list(22)})"
    )
    found = diagnose(text)
    assert [(f.code, f.line) for f in found[:20]] == [("E304", 4)] * 20
    assert found[20][:2] == ("E304", 4)
    assert found[20].message == "2 more E304 problems are not shown for this statement"


def test_a_count_of_one_is_singular() -> None:
    found = diagnose(f"SELECT favorites FROM totals WHERE tweet IN ({bad_list(21)})")
    assert found[-1].message == "1 more E304 problem is not shown for this statement"


def test_exactly_twenty_are_all_shown() -> None:
    found = diagnose(f"SELECT favorites FROM totals WHERE tweet IN ({bad_list(20)})")
    assert [f.code for f in found] == ["E304"] * 20
    assert all(f.line == 1 for f in found)


def test_cap_counts_each_code_apart() -> None:
    items = ", ".join([f"'x{i}'" for i in range(22)] + ["0"] * 3)
    found = diagnose(f"SELECT favorites FROM totals WHERE tweet IN ({items})")
    counts = {code: [f.code for f in found].count(code) for code in ("E303", "E304")}
    assert counts == {"E304": 21, "E303": 3}
    assert found[-1].message == "2 more E304 problems are not shown for this statement"


def test_cap_counts_each_statement_apart() -> None:
    statement = f"SELECT favorites FROM totals WHERE tweet IN ({bad_list(20)});\n"
    found = diagnose(statement * 2)
    assert [f.line for f in found] == [1] * 20 + [2] * 20


def test_duplicate_warnings_are_capped_too() -> None:
    text = f"SELECT favorites FROM totals WHERE tweet IN ({', '.join([str(T)] * 31)})"
    found = diagnose(text)
    assert [f.code for f in found] == ["W301"] * 21
    assert found[-1].message == "10 more W301 problems are not shown for this statement"
    assert check(text)[0].severity is Severity.WARNING
    assert body(text)["tweet_ids"] == [str(T)]


# --- valid queries ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_select_star_on_each_endpoint(endpoint: str) -> None:
    text = f"SELECT * FROM {endpoint} WHERE tweet IN ({T}, {RECENT_2})"
    assert_valid(text)
    assert body(text)["engagement_types"] == list(facts.ENDPOINTS[endpoint].metrics)


@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_every_metric_of_each_endpoint(endpoint: str) -> None:
    metrics = ", ".join(facts.ENDPOINTS[endpoint].metrics)
    assert_valid(f"SELECT {metrics} FROM {endpoint} WHERE tweet = {T}")


DOCUMENTED_GROUPINGS = [
    "engagement.type",
    "tweet.id, engagement.type",
    "engagement.type, tweet.id",
    "tweet.id, engagement.type, engagement.day",
    "tweet.id, engagement.type, engagement.hour",
    "engagement.type, tweet.id, engagement.hour",
    "engagement.type, engagement.day, engagement.hour",
    "tweet.id, engagement.type, engagement.day, engagement.hour",
    "engagement.type, tweet.id, engagement.day, engagement.hour",
]
"""The groupings engagement-api.md §4.3 lists as working or required."""


@pytest.mark.parametrize("endpoint", ["28hr", "historical"])
@pytest.mark.parametrize("keys", DOCUMENTED_GROUPINGS)
def test_documented_groupings_are_valid(endpoint: str, keys: str) -> None:
    text = f"SELECT impressions FROM {endpoint} WHERE tweet = {T} GROUP BY {keys} AS g"
    assert_valid(text)
    assert body(text)["groupings"] == {"g": {"group_by": keys.split(", ")}}


@pytest.mark.parametrize("keys", [k for k in DOCUMENTED_GROUPINGS if "day" not in k])
def test_documented_groupings_without_time_are_valid_on_totals(keys: str) -> None:
    if "hour" in keys:
        assert codes(f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY {keys}") == ["E106"]
        return
    assert_valid(f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY {keys}")


def test_tweet_id_alone_is_accepted_with_a_warning() -> None:
    text = f"SELECT favorites FROM totals WHERE tweet = {T} GROUP BY tweet.id"
    assert codes(text) == ["W201"]
    assert body(text)["groupings"] == {"by_tweet": {"group_by": ["tweet.id"]}}


@pytest.mark.parametrize(
    "keys", ["tweet.ids", "tweet.id, engagment.type", "Tweet.id", "tweet.id, engagement.days"]
)
def test_no_shape_warning_for_a_grouping_with_an_unknown_key(keys: str) -> None:
    """E105 already stops the statement; W201 about its shape would be noise."""
    assert codes(f"SELECT favorites FROM 28hr WHERE tweet = {T} GROUP BY {keys}") == ["E105"]


def test_explorer_request_three_groupings_one_with_four_keys() -> None:
    """The engagement-api-explorer's /historical request (engagement-api.md §8, E)."""
    text = f"""
        SELECT impressions, engagements FROM historical
        WHERE tweet IN ({MID_JAN})
          AND time BETWEEN '2016-01-20T13:00:00Z' AND '2016-02-17T13:00:00Z'
        GROUP BY engagement.type, engagement.day, engagement.hour AS aggregations
        GROUP BY tweet.id, engagement.type AS totals
        GROUP BY engagement.type, tweet.id, engagement.day, engagement.hour AS hourly_totals
    """
    assert_valid(text)
    sent = body(text)
    assert sent == {
        "tweet_ids": [str(MID_JAN)],
        "engagement_types": ["impressions", "engagements"],
        "groupings": {
            "aggregations": {"group_by": ["engagement.type", "engagement.day", "engagement.hour"]},
            "totals": {"group_by": ["tweet.id", "engagement.type"]},
            "hourly_totals": {
                "group_by": ["engagement.type", "tweet.id", "engagement.day", "engagement.hour"]
            },
        },
        "start": "2016-01-20T13:00:00Z",
        "end": "2016-02-17T13:00:00Z",
    }


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


@pytest.mark.parametrize("endpoint", ["totals", "28hr"])
@pytest.mark.parametrize(
    "range_text",
    [
        "'2015-02-01' AND '2015-02-20'",
        "'2015-09-01' AND '2015-09-20'",
        "'2014-06-01' AND '2014-09-15'",
    ],
)
def test_old_ranges_on_endpoints_without_a_range_give_only_e401(
    endpoint: str, range_text: str
) -> None:
    """W401, W402 and E404 describe /historical's data; elsewhere the range is E401 alone."""
    text = f"SELECT favorites FROM {endpoint} WHERE tweet = 20 AND time BETWEEN {range_text}"
    assert codes(text) == ["E401"]


def test_a_start_before_the_first_day_gives_no_public_counts_warning() -> None:
    text = (
        "SELECT favorites, impressions FROM historical WHERE tweet = 20\n"
        "  AND time BETWEEN '2014-06-01' AND '2014-09-15'"
    )
    assert_codes(text, [("E404", 2, 20, "the range starts 2014-06-01, before the API's first")])


def test_historical_start_on_the_first_day_warns_only_of_age() -> None:
    text = (
        "SELECT impressions FROM historical WHERE tweet = 20 AND time BETWEEN '2014-09-01' AND now"
    )
    assert codes(text) == ["W401"]


def test_historical_window_a_year_ago_is_not_too_old() -> None:
    text = (
        "SELECT impressions FROM historical WHERE tweet = 20"
        " AND time BETWEEN now - 365 days AND now"
    )
    assert_valid(text)
    assert codes(text.replace("365", "366")) == ["W401"]


def test_tweet_age_limits_are_exclusive_of_the_boundary_day() -> None:
    young = tweet_aged(89)
    assert_valid(f"SELECT impressions FROM totals WHERE tweet = {young}")
    assert codes(f"SELECT impressions FROM totals WHERE tweet = {tweet_aged(91)}") == ["W501"]
    now = datetime(2020, 1, 1, tzinfo=UTC)
    views = "SELECT video_views FROM totals WHERE tweet = {}"
    assert_valid(views.format(tweet_aged(1799, now)), now=now)
    assert codes(views.format(tweet_aged(1801, now)), now=now) == ["W502"]


def test_age_warnings_name_at_most_five_tweets() -> None:
    ids = [tweet_aged(100 + i) for i in range(7)]
    (diagnostic,) = check(
        f"SELECT impressions FROM totals WHERE tweet IN ({', '.join(map(str, ids))})"
    )
    assert diagnostic.code == "W501"
    named = ", ".join(str(i) for i in ids[:5])
    assert diagnostic.message == (
        f"7 Tweets ({named} and 2 more) are older than 90 days, and /totals has no "
        "impressions for Tweets that old"
    )
    assert diagnostic.location()[1:3] == (1, 47)


def test_age_warnings_name_the_metrics_in_the_order_selected() -> None:
    ids = f"{OLD}, {tweet_aged(120)}"
    text = f"SELECT engagements, favorites, impressions FROM totals WHERE tweet IN ({ids})"
    found = diagnose(text)
    assert [f.message for f in found] == [
        f"2 Tweets ({ids}) are older than 90 days, and /totals has no engagements or "
        "impressions for Tweets that old"
    ]
    found = diagnose(f"SELECT impressions, engagements FROM totals WHERE tweet = {OLD}")
    assert [f.message for f in found] == [
        f"Tweet {OLD} is older than 90 days, and /totals has no impressions or engagements "
        "for Tweets that old"
    ]


def test_pre_snowflake_ids_carry_no_time() -> None:
    assert_valid(f"SELECT impressions FROM historical WHERE tweet = 20 AND {FEB_RANGE}")


# --- diagnostics as data ----------------------------------------------------------------


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


def test_urls_without_a_user_name_give_their_tweet_id() -> None:
    urls = [f"https://x.com/status/{T}", f"https://twitter.com/i/web/status/{RECENT_2}"]
    text = f"SELECT favorites FROM totals WHERE tweet IN ('{urls[0]}', '{urls[1]}')"
    assert body(text)["tweet_ids"] == [str(T), str(RECENT_2)]


@pytest.mark.parametrize(
    "url",
    ["https://x.com//status/5", "https://x.comstatus/5", "https://x.com/status", "x.com/status/5"],
)
def test_malformed_urls_are_still_refused(url: str) -> None:
    assert codes(f"SELECT favorites FROM totals WHERE tweet = '{url}'") == ["E304"]


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


def test_checking_is_deterministic_with_a_fixed_clock() -> None:
    text = f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN now - 2 days AND now"
    later = NOW + timedelta(days=400)
    assert codes(text) == []
    assert codes(text, now=later) == []
    assert codes(text.replace("now - 2 days", "'2016-02-01'"), now=later) == ["W401"]
