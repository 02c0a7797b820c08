"""The formatter's guarantees: idempotent, keeps every comment, never changes the meaning."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from hypothesis import given, settings
from strategies import script_tokens, scripts, spliced, statement_tokens, with_comments

from engql.diagnostics import EngqlError
from engql.formatter import LINE_WIDTH, format_script, format_text
from engql.syntax import ast
from engql.syntax.parser import parse

CANONICAL = """\
SELECT retweets, quote_tweets, favorites, replies
FROM totals
WHERE tweet IN (1260294888811347969, 850006245121695744)
GROUP BY tweet.id, engagement.type AS "engagement-types-by-id";

SELECT impressions, engagements
FROM historical
WHERE tweet = 697506383516729344
  AND time BETWEEN '2016-02-10T17:00:00Z' AND '2016-02-10T21:00:00Z'
GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour AS series
GROUP BY engagement.type AS "Grand Totals";
"""

MESSY = """\
select retweets,quote_tweets ,favorites,  replies from totals
  where TWEET.ID in ( 1260294888811347969 ,850006245121695744 )
group by tweet.id,engagement.type as "engagement-types-by-id" ;
Select impressions , engagements From historical Where tweet.id=697506383516729344 and Time
between '2016-02-10T17:00:00Z' AND '2016-02-10T21:00:00Z' group BY tweet.id, engagement.type,
engagement.day, engagement.hour as "series" group by engagement.type AS "Grand Totals"
"""

COMMENTS_EVERYWHERE = """\
-- before the script
SELECT /* after select */ impressions, -- after the first metric
  engagements
/* before from */ FROM historical -- after the endpoint
WHERE
  -- before the first condition
  tweet IN ( -- after the open parenthesis
    -- before an item
    1, 'https://x.com/u/status/2' /* inside a line */, 3 -- after an item
    -- before the close
  ) -- after the list
  AND time BETWEEN now - 90 days /* mid-range */ AND now -- after a condition
GROUP BY tweet.id -- after a grouping
; -- after the semicolon
-- after the last statement
"""

COMMENTS_EVERYWHERE_FORMATTED = """\
-- before the script
/* after select */
SELECT impressions, engagements -- after the first metric
/* before from */
FROM historical -- after the endpoint
-- before the first condition
WHERE tweet IN ( -- after the open parenthesis
    -- before an item
    1,
    'https://x.com/u/status/2',
    /* inside a line */
    3 -- after an item
    -- before the close
) -- after the list
  /* mid-range */
  AND time BETWEEN now - 90 days AND now -- after a condition
-- after a grouping
GROUP BY tweet.id; -- after the semicolon

-- after the last statement
"""

LONG_LIST = "select favorites from totals where tweet in ({}) and tweet in ({})".format(
    ",".join(str(10**18 + n) for n in range(12)),
    ",".join(f"'https://x.com/u/status/{n}'" for n in range(6)),
)

LONG_LIST_FORMATTED = """\
SELECT favorites
FROM totals
WHERE tweet IN (
    1000000000000000000, 1000000000000000001, 1000000000000000002, 1000000000000000003,
    1000000000000000004, 1000000000000000005, 1000000000000000006, 1000000000000000007,
    1000000000000000008, 1000000000000000009, 1000000000000000010, 1000000000000000011
)
  AND tweet IN (
      'https://x.com/u/status/0', 'https://x.com/u/status/1', 'https://x.com/u/status/2',
      'https://x.com/u/status/3', 'https://x.com/u/status/4', 'https://x.com/u/status/5'
  );
"""

SPELLINGS = """\
select * from 28HR where tweet = :id and tweet.id in :ids and TWEET in file 'it''s.txt'
and tweet = 'https://x.com/u/status/1' and tweet = +007 and tweet in ()
and time between today-1 DAY and :end
group by a . b as "select" group by x as "plain" group by y as "two words" group by z as Q
"""

SPELLINGS_FORMATTED = """\
SELECT *
FROM 28HR
WHERE tweet = :id
  AND tweet IN :ids
  AND tweet IN FILE 'it''s.txt'
  AND tweet = 'https://x.com/u/status/1'
  AND tweet = +007
  AND tweet IN ()
  AND time BETWEEN today - 1 day AND :end
GROUP BY a.b AS "select"
GROUP BY x AS plain
GROUP BY y AS "two words"
GROUP BY z AS Q;
"""

GOLDEN = [
    pytest.param(MESSY, CANONICAL, id="messy-case-and-spacing"),
    pytest.param(CANONICAL, CANONICAL, id="canonical-is-a-fixed-point"),
    pytest.param(COMMENTS_EVERYWHERE, COMMENTS_EVERYWHERE_FORMATTED, id="comments-everywhere"),
    pytest.param(LONG_LIST, LONG_LIST_FORMATTED, id="long-lists-wrap"),
    pytest.param(SPELLINGS, SPELLINGS_FORMATTED, id="operands-and-names"),
    pytest.param("", "", id="empty"),
    pytest.param("-- only\n/* comments */", "-- only\n/* comments */\n", id="only-comments"),
]


def comment_texts(text: str) -> Counter[str]:
    return Counter(c.text for c in parse(text).comments)


def meaning(text: str) -> object:
    return ast.dump(parse(text).statements)


@pytest.mark.parametrize(("query", "expected"), GOLDEN)
def test_golden(query: str, expected: str) -> None:
    assert format_text(query) == expected


@pytest.mark.parametrize(("query", "expected"), GOLDEN)
def test_examples_keep_their_guarantees(query: str, expected: str) -> None:
    formatted = format_text(query)
    assert format_text(formatted) == formatted
    assert comment_texts(formatted) == comment_texts(query)
    assert meaning(formatted) == meaning(query)


@given(scripts())
def test_idempotent(query: str) -> None:
    formatted = format_text(query)
    assert format_text(formatted) == formatted


@given(with_comments())
def test_idempotent_with_comments(query: str) -> None:
    formatted = format_text(query)
    assert format_text(formatted) == formatted


@settings(max_examples=500)
@given(spliced())
def test_idempotent_on_every_text_it_accepts(query: str) -> None:
    """Whatever ``fmt`` takes, formatting its output again changes nothing (fmt --write)."""
    try:
        formatted = format_text(query)
    except EngqlError:
        return
    assert format_text(formatted) == formatted


def test_an_unclosed_comment_after_the_last_statement_is_refused() -> None:
    with pytest.raises(EngqlError) as error:
        format_text("SELECT favorites FROM totals WHERE tweet = 1;\n/* open\n")
    assert [d.code for d in error.value.diagnostics] == ["E004"]


@given(with_comments(script_tokens()))
def test_keeps_every_comment(query: str) -> None:
    assert comment_texts(format_text(query)) == comment_texts(query)


@given(with_comments(statement_tokens()))
def test_line_comments_end_their_line(query: str) -> None:
    formatted = format_text(query)
    for comment in parse(formatted).comments:
        if comment.text.startswith("--"):
            assert formatted[comment.span.end] == "\n"


@given(with_comments())
def test_never_changes_the_meaning(query: str) -> None:
    assert meaning(format_text(query)) == meaning(query)


def test_syntax_error_raises() -> None:
    with pytest.raises(EngqlError):
        format_text("SELECT FROM totals")


def test_wrapped_rows_fit_the_width() -> None:
    ids = ", ".join(str(n) for n in range(10**6, 10**6 + 500))
    formatted = format_text(f"SELECT a FROM totals WHERE tweet IN ({ids})")
    assert max(len(line) for line in formatted.splitlines()) <= LINE_WIDTH


def test_a_million_ids_format_quickly() -> None:
    ids = ",".join(str(10**18 + n) for n in range(1_000_000))
    script = parse(f"SELECT favorites FROM totals WHERE tweet IN ({ids})")
    began = time.perf_counter()
    formatted = format_script(script)
    assert time.perf_counter() - began < 3
    assert formatted.count("\n") > 1_000_000 // 5
