"""What engql.compile makes of a script: requests with exact bodies, URLs and auth.

The Engagement API documentation's own request examples (D1 in shared/engagement-api.md)
are query files in tests/queries/docs/, each beside the request the documentation shows.
Where the documentation sends numbers or date-only times, the expectation follows Part A:
IDs as JSON strings, times as ``YYYY-MM-DDTHH:MM:SSZ``. Bodies are compared as JSON text,
so key order counts too.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import engql
from engql import facts
from engql.params import IdsFileParam, parse_cli_params

NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)


def compile_at_now(text: str, **options: Any) -> engql.Plan:
    return engql.compile(text, now=NOW, **options)


def only_request(text: str, **options: Any) -> engql.Request:
    requests = compile_at_now(text, **options).requests
    assert len(requests) == 1
    return requests[0]


def assert_same_json(actual: Any, expected_text: str) -> None:
    """Equal values with keys in the same order: the JSON texts match."""
    expected = json.loads(expected_text)
    assert json.dumps(actual, indent=1) == json.dumps(expected, indent=1)


def error_codes(text: str, **options: Any) -> list[str]:
    with pytest.raises(engql.EngqlError) as caught:
        compile_at_now(text, **options)
    return [d.code for d in caught.value.diagnostics if d.is_error]


# --- The documentation's request examples ----------------------------------------------
# Each is a query file in tests/queries/docs/ beside the request the documentation shows,
# checked by tests/test_queries.py; the tests below read two of them.

DOCUMENTED = Path(__file__).parent / "queries" / "docs"
GETTING_STARTED = (DOCUMENTED / "getting_started.engql").read_text(encoding="utf-8")
BODY_4_2_ON_HISTORICAL = (DOCUMENTED / "body_4_2_historical.engql").read_text(encoding="utf-8")
"""§4.2's body with its start and end, which only /historical takes."""


def test_grand_totals_and_time_series_in_one_historical_request() -> None:
    request = only_request(
        """
        SELECT impressions, engagements FROM historical
        WHERE tweet = 697506383516729344
          AND time BETWEEN '2016-02-10T17:00:00Z' AND '2016-02-10T21:00:00Z'
        GROUP BY engagement.type AS "Grand Totals"
        GROUP BY tweet.id, engagement.type, engagement.hour AS series;
        """
    )
    assert_same_json(
        request.body,
        """
        {
          "tweet_ids": ["697506383516729344"],
          "engagement_types": ["impressions", "engagements"],
          "groupings": {
            "Grand Totals": {"group_by": ["engagement.type"]},
            "series": {"group_by": ["tweet.id", "engagement.type", "engagement.hour"]}
          },
          "start": "2016-02-10T17:00:00Z",
          "end": "2016-02-10T21:00:00Z"
        }
        """,
    )


def test_documented_hour_rounding_example() -> None:
    """D1/ref-historical: 12:24 to 08:37 is sent as 12:00 to 09:00."""
    body = only_request(
        """
        SELECT impressions FROM historical WHERE tweet = 697506383516729344
          AND time BETWEEN '2015-07-01T12:24:00Z' AND '2015-07-10T08:37:00Z';
        """
    ).body
    assert (body["start"], body["end"]) == ("2015-07-01T12:00:00Z", "2015-07-10T09:00:00Z")


def test_historical_example_warnings_are_the_expected_ones() -> None:
    """§4.2 on /historical: a window over 365 days ago and before 2015-09-15, Tweets
    over 1800 days old (video_views) and created after the window: warnings only."""
    plan = compile_at_now(BODY_4_2_ON_HISTORICAL)
    assert {w.code for w in plan.warnings} == {"W401", "W402", "W502", "W503"}


def test_getting_started_tweets_written_as_urls_give_the_same_body() -> None:
    as_numbers = only_request(GETTING_STARTED).body
    as_urls = only_request(
        """
        SELECT retweets, quote_tweets, favorites, replies FROM totals
        WHERE tweet IN ('https://x.com/X/status/1260294888811347969?ref_src=twsrc%5Etfw',
                        'https://twitter.com/TwitterDev/status/850006245121695744')
        GROUP BY tweet.id, engagement.type AS "engagement-types-by-id";
        """
    ).body
    assert as_urls == as_numbers


def test_capitalised_key_from_the_getting_started_guide_is_an_error_with_a_suggestion() -> None:
    """The guide writes "Tweet.id"; keys are case-sensitive, engql suggests tweet.id."""
    with pytest.raises(engql.EngqlError) as caught:
        compile_at_now(
            "SELECT favorites FROM totals WHERE tweet = 1 GROUP BY Tweet.id, engagement.type"
        )
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E105"
    assert diagnostic.hint == "did you mean 'tweet.id'? names are case-sensitive"


# --- Body shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        ("FROM totals WHERE tweet = 1", ["tweet_ids", "engagement_types", "groupings"]),
        ("FROM 28hr WHERE tweet = 1", ["tweet_ids", "engagement_types", "groupings"]),
        ("FROM historical WHERE tweet = 1", ["tweet_ids", "engagement_types", "groupings"]),
        (
            "FROM historical WHERE time BETWEEN '2024-06-01' AND '2024-06-02' AND tweet = 1",
            ["tweet_ids", "engagement_types", "groupings", "start", "end"],
        ),
    ],
)
def test_body_keys_and_their_order(where: str, keys: list[str]) -> None:
    assert list(only_request(f"SELECT favorites {where}").body) == keys


def test_bodies_are_plain_json() -> None:
    plan = compile_at_now(
        "SELECT * FROM historical WHERE tweet IN (1, 2) "
        "AND time BETWEEN '2024-05-01' AND '2024-06-01'; "
        "SELECT favorites FROM totals WHERE tweet = 3"
    )
    for request in plan.requests:
        data = request.to_json()
        assert json.loads(json.dumps(data)) == data


def test_request_to_json_fields() -> None:
    request = only_request("SELECT favorites FROM totals WHERE tweet = 1")
    assert request.to_json() == {
        "statement": 0,
        "endpoint": "totals",
        "url": "https://data-api.twitter.com/insights/engagement/totals",
        "auth": "app",
        "batch": 0,
        "window": None,
        "body": {
            "tweet_ids": ["1"],
            "engagement_types": ["favorites"],
            "groupings": {"by_tweet_type": {"group_by": ["tweet.id", "engagement.type"]}},
        },
    }
    assert "statement" not in request.to_json(with_statement=False)
    assert request.tweet_ids == ["1"]


def test_ids_are_canonical_strings_in_query_order_without_duplicates() -> None:
    plan = compile_at_now(
        "SELECT favorites FROM totals WHERE tweet IN "
        "(30, '0010', 20, 'https://x.com/a/status/30', 10, '20', 5)"
    )
    assert plan.requests[0].tweet_ids == ["30", "10", "20", "5"]
    assert [w.code for w in plan.warnings] == ["W301", "W301", "W301"]


@pytest.mark.parametrize("endpoint", ["28hr", "historical"])
def test_no_start_or_end_without_a_range(endpoint: str) -> None:
    plan = compile_at_now(f"SELECT impressions FROM {endpoint} WHERE tweet = 1")
    (statement,) = plan.statements
    assert statement.windows == ()
    assert statement.window_count == 1
    (request,) = statement.requests
    assert request.window is None
    assert "start" not in request.body and "end" not in request.body


def test_times_with_offsets_are_sent_in_utc() -> None:
    body = only_request(
        "SELECT impressions FROM historical WHERE tweet = 1 "
        "AND time BETWEEN '2024-06-01T02:30:00+02:00' AND '2024-06-02T10:00:00-05:00'"
    ).body
    assert (body["start"], body["end"]) == ("2024-06-01T00:00:00Z", "2024-06-02T15:00:00Z")


@pytest.mark.parametrize(
    ("range_text", "start", "end"),
    [
        ("now - 7 days AND now", "2024-06-24T12:00:00Z", "2024-07-01T12:00:00Z"),
        ("today - 2 weeks AND today", "2024-06-17T00:00:00Z", "2024-07-01T00:00:00Z"),
        ("now - 36 hours AND now - 1 hour", "2024-06-30T00:00:00Z", "2024-07-01T11:00:00Z"),
        ("'today' AND 'now'", "2024-07-01T00:00:00Z", "2024-07-01T12:00:00Z"),
        ("'2024-06-10 10:15' AND NOW", "2024-06-10T10:00:00Z", "2024-07-01T12:00:00Z"),
    ],
)
def test_relative_times_resolve_against_now(range_text: str, start: str, end: str) -> None:
    body = only_request(
        f"SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN {range_text}"
    ).body
    assert (body["start"], body["end"]) == (start, end)


# --- Auth -------------------------------------------------------------------------------

PUBLIC = ["favorites", "retweets", "replies", "quote_tweets", "video_views"]


@pytest.mark.parametrize(
    ("endpoint", "metrics", "auth"),
    [
        *[("totals", metric, "app") for metric in PUBLIC],
        ("totals", ", ".join(PUBLIC), "app"),
        ("totals", "impressions", "user"),
        ("totals", "engagements", "user"),
        ("totals", "favorites, impressions", "user"),
        ("totals", "*", "user"),
        ("28hr", "favorites", "user"),
        ("28hr", "favorites, retweets, replies, video_views", "user"),
        ("historical", "favorites", "user"),
        ("historical", "favorites, retweets, replies, video_views", "user"),
        ("historical", "*", "user"),
    ],
)
def test_auth_level(endpoint: str, metrics: str, auth: str) -> None:
    """Part A §7: an app-only bearer token only for /totals with public metrics."""
    plan = compile_at_now(f"SELECT {metrics} FROM {endpoint} WHERE tweet IN (1, 2)")
    (statement,) = plan.statements
    assert statement.auth == auth
    assert {r.auth for r in statement.requests} == {auth}


def test_auth_is_per_statement() -> None:
    plan = compile_at_now(
        "SELECT favorites FROM totals WHERE tweet = 1;"
        "SELECT impressions FROM totals WHERE tweet = 1;"
    )
    assert [r.auth for r in plan.requests] == ["app", "user"]


# --- URL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        ("https://data-api.twitter.com", "https://data-api.twitter.com"),
        ("https://data-api.x.com", "https://data-api.x.com"),
        ("https://data-api.x.com/", "https://data-api.x.com"),
        ("http://127.0.0.1:8081//", "http://127.0.0.1:8081"),
        ("https://proxy.example/engagement-api/", "https://proxy.example/engagement-api"),
    ],
)
@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_url_from_base_url(base_url: str, prefix: str, endpoint: str) -> None:
    request = only_request(f"SELECT favorites FROM {endpoint} WHERE tweet = 1", base_url=base_url)
    assert request.url == f"{prefix}/insights/engagement/{endpoint}"


# --- SELECT * ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["totals", "28hr", "historical"])
def test_select_star_sends_every_metric_of_the_endpoint(endpoint: str) -> None:
    """In the order of facts.py, which tests/test_facts.py checks against the API docs."""
    body = only_request(f"SELECT * FROM {endpoint} WHERE tweet = 1").body
    assert body["engagement_types"] == list(facts.ENDPOINTS[endpoint].metrics)


def test_select_order_is_kept_and_duplicates_dropped() -> None:
    plan = compile_at_now("SELECT replies, favorites, replies FROM totals WHERE tweet = 1")
    assert plan.requests[0].body["engagement_types"] == ["replies", "favorites"]
    assert [w.code for w in plan.warnings] == ["W101"]


# --- Groupings --------------------------------------------------------------------------


def test_default_grouping_without_group_by() -> None:
    body = only_request("SELECT favorites FROM totals WHERE tweet = 1").body
    assert body["groupings"] == {"by_tweet_type": {"group_by": ["tweet.id", "engagement.type"]}}


@pytest.mark.parametrize(
    ("group_by", "names"),
    [
        ("GROUP BY engagement.type", ["by_type"]),
        ("GROUP BY engagement.type, tweet.id", ["by_type_tweet"]),
        ("GROUP BY tweet.id, engagement.type, engagement.day", ["by_tweet_type_day"]),
        (
            "GROUP BY engagement.type, engagement.day, engagement.hour",
            ["by_type_day_hour"],
        ),
        (
            "GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour",
            ["by_tweet_type_day_hour"],
        ),
        (
            "GROUP BY engagement.type GROUP BY engagement.type",
            ["by_type", "by_type_2"],
        ),
        (
            "GROUP BY tweet.id, engagement.type GROUP BY engagement.type AS by_tweet_type",
            ["by_tweet_type_2", "by_tweet_type"],
        ),
        (
            'GROUP BY engagement.type AS "Grand Totals" GROUP BY engagement.type',
            ["Grand Totals", "by_type"],
        ),
        ('GROUP BY engagement.type AS "say ""hi"""', ['say "hi"']),
    ],
)
def test_grouping_names(group_by: str, names: list[str]) -> None:
    body = only_request(f"SELECT favorites FROM historical WHERE tweet = 1 {group_by}").body
    assert list(body["groupings"]) == names


def test_grouping_keys_keep_their_order() -> None:
    body = only_request(
        "SELECT favorites FROM 28hr WHERE tweet = 1 "
        "GROUP BY engagement.type, engagement.day, engagement.hour AS a "
        "GROUP BY engagement.type, tweet.id AS b"
    ).body
    assert body["groupings"] == {
        "a": {"group_by": ["engagement.type", "engagement.day", "engagement.hour"]},
        "b": {"group_by": ["engagement.type", "tweet.id"]},
    }


# --- Statements -------------------------------------------------------------------------

REPORT = """
-- public counts of everything
SELECT favorites, retweets FROM totals WHERE tweet IN (1, 2, 3);

/* an empty statement and a comment-only one are skipped */ ;
-- nothing here
;
SELECT impressions FROM 28hr WHERE tweet IN (1, 2)
GROUP BY engagement.type, engagement.hour AS hours;
SELECT impressions FROM historical WHERE tweet = 3
  AND time BETWEEN '2024-04-01' AND '2024-06-01'
"""


def test_multi_statement_plan() -> None:
    plan = compile_at_now(REPORT)
    assert [s.query.index for s in plan.statements] == [0, 1, 2]
    assert [s.query.endpoint for s in plan.statements] == ["totals", "28hr", "historical"]
    assert [len(s.requests) for s in plan.statements] == [1, 1, 3]
    assert plan.requests == [r for s in plan.statements for r in s.requests]
    assert [r.statement for r in plan.requests] == [0, 1, 2, 2, 2]
    assert [r.to_json()["statement"] for r in plan.requests] == [0, 1, 2, 2, 2]
    assert [r.window for r in plan.requests] == [None, None, 0, 1, 2]


def test_statement_index_counts_statements_not_semicolons() -> None:
    plan = compile_at_now(";; SELECT favorites FROM totals WHERE tweet = 1 ;;")
    assert [r.statement for r in plan.requests] == [0]


def test_an_error_in_any_statement_fails_the_whole_compile() -> None:
    codes = error_codes(
        "SELECT favorites FROM totals WHERE tweet = 1;"
        "SELECT favorite FROM totals WHERE tweet = 1;"
        "SELECT favorites FROM 28hr WHERE tweet = 1 AND time BETWEEN now - 1 day AND now;"
    )
    assert codes == ["E102", "E401"]


def test_warnings_of_every_statement_are_in_the_plan() -> None:
    plan = compile_at_now(
        "SELECT favorites FROM totals WHERE tweet IN (1, 1);"
        "SELECT favorites FROM historical WHERE tweet = 1 GROUP BY tweet.id;"
    )
    assert [w.code for w in plan.warnings] == ["W301", "W201"]


# --- Batches and windows, concretely ----------------------------------------------------


@pytest.mark.parametrize(("endpoint", "size"), [("totals", 250), ("28hr", 25), ("historical", 25)])
def test_batch_sizes(endpoint: str, size: int) -> None:
    ids = list(range(1000, 1000 + 2 * size + 1))
    plan = compile_at_now(
        f"SELECT favorites FROM {endpoint} WHERE tweet IN :ids", params={"ids": ids}
    )
    (statement,) = plan.statements
    assert statement.batch_size == size
    assert statement.batch_count == 3
    assert [len(r.tweet_ids) for r in plan.requests] == [size, size, 1]
    assert [r.batch for r in plan.requests] == [0, 1, 2]
    assert [i for r in plan.requests for i in r.tweet_ids] == [str(i) for i in ids]


def test_a_long_range_is_split_into_windows_of_28_days() -> None:
    plan = compile_at_now(
        "SELECT impressions FROM historical WHERE tweet IN :ids "
        "AND time BETWEEN '2024-03-01T10:30:00Z' AND '2024-05-01T00:00:00Z'",
        params={"ids": list(range(1, 31))},
    )
    (statement,) = plan.statements
    day = timedelta(days=1)
    assert [w.end - w.start for w in statement.windows] == [
        28 * day,
        28 * day,
        timedelta(days=4, hours=14),
    ]
    assert [(r.batch, r.window) for r in plan.requests] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
    ]
    assert [(r.body["start"], r.body["end"]) for r in plan.requests[:3]] == [
        ("2024-03-01T10:00:00Z", "2024-03-29T10:00:00Z"),
        ("2024-03-29T10:00:00Z", "2024-04-26T10:00:00Z"),
        ("2024-04-26T10:00:00Z", "2024-05-01T00:00:00Z"),
    ]


def test_exactly_28_days_is_one_window() -> None:
    plan = compile_at_now(
        "SELECT impressions FROM historical WHERE tweet = 1 "
        "AND time BETWEEN '2024-05-01' AND '2024-05-29'"
    )
    assert len(plan.requests) == 1


# --- Parameters and files ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        [1805611403965680808, "1807340799391367249"],
        ("1805611403965680808", "https://x.com/u/status/1807340799391367249"),
        "1805611403965680808, 1807340799391367249",
        "1805611403965680808 1807340799391367249",
    ],
)
def test_tweet_parameter_values(value: object) -> None:
    request = only_request(
        "SELECT favorites FROM totals WHERE tweet IN :ids", params={"ids": value}
    )
    assert request.tweet_ids == ["1805611403965680808", "1807340799391367249"]


def test_single_tweet_parameter() -> None:
    request = only_request("SELECT favorites FROM totals WHERE tweet = :id", params={"id": 7})
    assert request.tweet_ids == ["7"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 6, 1), datetime(2024, 6, 2, 6, 30, tzinfo=UTC)),
        ("2024-06-01", "2024-06-02T06:30:00Z"),
        (datetime(2024, 6, 1), "2024-06-02T08:30:00+02:00"),
    ],
)
def test_time_parameter_values(start: object, end: object) -> None:
    body = only_request(
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN :start AND :end",
        params={"start": start, "end": end},
    ).body
    assert (body["start"], body["end"]) == ("2024-06-01T00:00:00Z", "2024-06-02T07:00:00Z")


def test_command_line_parameters() -> None:
    params = parse_cli_params(["ids=3,1,2", "start=2024-06-01", ":end=2024-06-03"])
    body = only_request(
        "SELECT impressions FROM historical WHERE tweet IN :ids AND time BETWEEN :start AND :end",
        params=params,
    ).body
    assert body["tweet_ids"] == ["3", "1", "2"]
    assert (body["start"], body["end"]) == ("2024-06-01T00:00:00Z", "2024-06-03T00:00:00Z")


def test_unbound_parameters_are_errors() -> None:
    assert error_codes(
        "SELECT impressions FROM historical WHERE tweet IN :ids AND time BETWEEN :a AND now"
    ) == ["E306", "E306"]


def test_ids_file_parameter(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("# launch week\n5\n\n4\n5\n", encoding="utf-8")
    request = only_request(
        "SELECT favorites FROM totals WHERE tweet IN :ids",
        params={"ids": IdsFileParam(str(ids))},
    )
    assert request.tweet_ids == ["5", "4"]


@pytest.mark.parametrize(
    "content",
    [
        "3\n1\n2\n",
        "3\r\n1\r\n2",
        "# exported 2024-06-30\n3\n\nhttps://x.com/u/status/1\n  2  \n",
        "tweet_id,label\n3,a\n1,b\n2,c\n",
        "name,id\na,3\nb,'1'\nc,2\n".replace("'", '"'),
        "\ufefftweet_ids\n3\n1\n2\n3\n",
    ],
    ids=["plain", "crlf", "comments-and-urls", "csv-tweet_id", "csv-id-quoted", "csv-bom"],
)
def test_ids_file_formats(tmp_path: Path, content: str) -> None:
    (tmp_path / "ids.txt").write_text(content, encoding="utf-8")
    request = only_request(
        "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'",
        allow_files=True,
        base_dir=tmp_path,
    )
    assert request.tweet_ids == ["3", "1", "2"]


def test_file_paths_are_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "ids.txt").write_text("9\n", encoding="utf-8")
    request = only_request(
        "SELECT favorites FROM totals WHERE tweet IN FILE 'lists/ids.txt'",
        allow_files=True,
        base_dir=tmp_path,
    )
    assert request.tweet_ids == ["9"]


def test_file_is_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("9\n", encoding="utf-8")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert error_codes(text, base_dir=tmp_path) == ["E307"]
    assert error_codes(
        text.replace("ids.txt", "missing.txt"), allow_files=True, base_dir=tmp_path
    ) == ["E308"]


# --- Bugs found while writing these tests, now fixed ------------------------------------


def test_a_range_ending_now_ends_with_the_current_hour() -> None:
    """The body's window is the plan's, on whole hours (Part A §3): the API accepts an end
    up to the end of the current hour."""
    now = datetime(2024, 7, 1, 12, 30, 15, 500000, tzinfo=UTC)
    plan = engql.compile(
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN now - 7 days AND now",
        now=now,
    )
    (statement,) = plan.statements
    (request,) = plan.requests
    assert (request.body["start"], request.body["end"]) == (
        "2024-06-24T12:00:00Z",
        "2024-07-01T13:00:00Z",
    )
    (window,) = statement.windows
    assert (window.start, window.end) == (
        datetime(2024, 6, 24, 12, tzinfo=UTC),
        datetime(2024, 7, 1, 13, tzinfo=UTC),
    )


def test_in_the_first_second_of_an_hour_the_current_hour_is_still_asked_for() -> None:
    """The body once carried the clock's time to the second, 12:00:00, which the API does
    not round up: the hour the plan meant, 12:00 to 13:00, was never asked for."""
    now = datetime(2024, 7, 1, 12, 0, 0, 250000, tzinfo=UTC)
    plan = engql.compile(
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN now - 2 hours AND now",
        now=now,
    )
    (request,) = plan.requests
    assert request.body["end"] == "2024-07-01T13:00:00Z"
    assert plan.statements[0].windows[-1].end == datetime(2024, 7, 1, 13, tzinfo=UTC)


def test_every_window_ends_on_the_hour() -> None:
    now = datetime(2024, 7, 1, 12, 30, tzinfo=UTC)
    plan = engql.compile(
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN now - 40 days AND now",
        now=now,
    )
    assert [(r.body["start"], r.body["end"]) for r in plan.requests] == [
        ("2024-05-22T12:00:00Z", "2024-06-19T12:00:00Z"),
        ("2024-06-19T12:00:00Z", "2024-07-01T13:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("end", "sent"),
    [
        ("'2024-07-01T11:15:00Z'", "2024-07-01T12:00:00Z"),
        ("'2024-07-01T12:00:00Z'", "2024-07-01T12:00:00Z"),
        ("'2024-07-01T12:15:00Z'", "2024-07-01T13:00:00Z"),
        ("'2024-07-01T13:00:00Z'", "2024-07-01T13:00:00Z"),
        ("now", "2024-07-01T13:00:00Z"),
    ],
)
def test_the_end_is_rounded_up_to_the_hour(end: str, sent: str) -> None:
    plan = engql.compile(
        "SELECT impressions FROM historical WHERE tweet = 1 "
        f"AND time BETWEEN now - 3 hours AND {end}",
        now=datetime(2024, 7, 1, 12, 30, tzinfo=UTC),
    )
    (request,) = plan.requests
    assert request.body["end"] == sent


def test_too_many_groupings_names_the_right_grouping() -> None:
    with pytest.raises(engql.EngqlError) as caught:
        compile_at_now(
            "SELECT favorites FROM historical WHERE tweet = 1 "
            "GROUP BY tweet.id, engagement.type GROUP BY engagement.day, engagement.type "
            "GROUP BY engagement.type GROUP BY engagement.type"
        )
    (e201,) = [d for d in caught.value.diagnostics if d.code == "E201"]
    assert e201.message.endswith("this is number 4")


def test_a_naive_clock_is_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN now - 2 hours AND now"
    )
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = engql.compile(text, now=datetime(2024, 7, 1, 12, 30)).requests[0].body
    finally:
        monkeypatch.undo()
        time.tzset()
    aware = engql.compile(text, now=datetime(2024, 7, 1, 12, 30, tzinfo=UTC)).requests[0].body
    assert naive == aware
    assert (naive["start"], naive["end"]) == ("2024-07-01T10:00:00Z", "2024-07-01T13:00:00Z")
