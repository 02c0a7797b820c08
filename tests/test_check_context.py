"""What every rule shares (engql/check/context.py): suggestions of close names, the cap of
20 diagnostics per code per statement, and the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from check_harness import (
    NOW,
    T,
    body,
    check,
    codes,
    diagnose,
)

from engql.codes import Severity
from engql.limits import MAX_SHOWN_COLUMNS


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


def test_no_hint_when_nothing_is_close() -> None:
    (diagnostic,) = check(f"SELECT zzzz FROM totals WHERE tweet = {T}")
    assert (diagnostic.code, diagnostic.hint) == ("E102", None)


def test_at_most_five_suggestions() -> None:
    found = check(f"SELECT * FROM 28hr WHERE tweet = {T} GROUP BY engagement, tweet.id")
    (diagnostic,) = [d for d in found if d.code == "E105"]
    assert diagnostic.hint is not None and diagnostic.hint.startswith("did you mean ")
    assert 1 <= diagnostic.hint.count("'") // 2 <= 5


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


def test_checking_is_deterministic_with_a_fixed_clock() -> None:
    text = f"SELECT * FROM historical WHERE tweet = {T} AND time BETWEEN now - 2 days AND now"
    later = NOW + timedelta(days=400)
    assert codes(text) == []
    assert codes(text, now=later) == []
    assert codes(text.replace("now - 2 days", "'2016-02-01'"), now=later) == ["W401"]
