"""The syntax stage: what parses to what, and syntax errors a user can act on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

import engql
from engql.syntax import ast
from engql.syntax.parser import lark_parser
from engql.syntax.statements import is_complete, scan
from engql.syntax.syntax_errors import TERMINAL_WORDS


def only(text: str) -> ast.Statement:
    (statement,) = engql.parse(text).statements
    return statement


ROOT = Path(__file__).resolve().parent.parent


def test_grammar_has_no_conflicts() -> None:
    grammar = (ROOT / "grammar" / "engql.lark").read_text(encoding="utf-8")
    Lark(grammar, parser="lalr", lexer="contextual", strict=True)


def test_generated_parser_is_made_from_the_grammar() -> None:
    script = ROOT / "grammar" / "generate_parser.py"
    checked = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_parsing_does_not_import_lark() -> None:
    """The generated parser is what keeps start-up short; lark itself must stay unloaded."""
    probe = "import sys, engql; engql.compile('SELECT * FROM totals WHERE tweet = 20'); "
    probe += "print('lark' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert ran.stdout.strip() == "False", ran.stderr


def test_every_terminal_has_english_words() -> None:
    names = {t.name for t in lark_parser().terminals} | {"$END"}
    ignored = {"WS", "LINE_COMMENT", "BLOCK_COMMENT"}
    assert names - ignored <= set(TERMINAL_WORDS)


def test_getting_started_query() -> None:
    statement = only(
        "SELECT retweets, quote_tweets, favorites, replies\n"
        "FROM totals\n"
        "WHERE tweet IN (1260294888811347969, 850006245121695744)\n"
        'GROUP BY tweet.id, engagement.type AS "engagement-types-by-id";'
    )
    assert statement.metrics is not None
    assert [m.text for m in statement.metrics] == [
        "retweets",
        "quote_tweets",
        "favorites",
        "replies",
    ]
    assert statement.endpoint.text == "totals"
    (condition,) = statement.conditions
    assert isinstance(condition, ast.TweetCondition)
    assert isinstance(condition.tweets, ast.IdList)
    assert condition.tweets.ids == ["1260294888811347969", "850006245121695744"]
    (grouping,) = statement.groupings
    assert [k.text for k in grouping.keys] == ["tweet.id", "engagement.type"]
    assert grouping.name is not None and grouping.name.text == "engagement-types-by-id"


def test_keywords_are_case_insensitive() -> None:
    lower = only("select * from totals where tweet in (1) group by tweet.id as x")
    upper = only("SELECT * FROM totals WHERE TWEET IN (1) GROUP BY tweet.id AS x")
    assert ast.dump(lower) == ast.dump(upper)
    assert lower.metrics is None


def test_words_that_begin_with_a_keyword_are_names() -> None:
    statement = only(
        "SELECT fromage, asset, byline, insights, andy, selection, wherever, grouping, filed\n"
        "FROM timeline WHERE tweet = 1 GROUP BY tweet.id AS asset"
    )
    assert statement.metrics is not None
    assert [m.text for m in statement.metrics] == [
        "fromage",
        "asset",
        "byline",
        "insights",
        "andy",
        "selection",
        "wherever",
        "grouping",
        "filed",
    ]
    assert statement.endpoint.text == "timeline"
    (grouping,) = statement.groupings
    assert grouping.name is not None and grouping.name.text == "asset"


def test_keywords_may_be_split_by_any_blank() -> None:
    plain = only("SELECT a FROM totals WHERE tweet = 1 GROUP BY tweet.id")
    spaced = only("SELECT a FROM totals WHERE tweet = 1 group\tby\n  tweet.id")
    assert ast.dump(spaced) == ast.dump(plain)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECTa FROM totals WHERE tweet = 1", ("E001", 1, 1, "found 'SELECTa'; expected SELECT")),
        ("SELECT a FROMtotals WHERE tweet = 1", ("E001", 1, 10, "found 'FROMtotals'")),
        ("SELECT a FROM totals WHERE tweet = 1 ANDtime", ("E001", 1, 38, "found 'ANDtime'")),
        (
            "SELECT a FROM totals WHERE tweet = 1 GROUPBY tweet.id",
            ("E001", 1, 38, "found 'GROUPBY'; expected AND, GROUP BY or end of statement"),
        ),
        (
            "SELECT a FROM totals WHERE tweet = 1 GROUP BY tweet.id asset",
            ("E001", 1, 56, "found 'asset'; expected AS, GROUP BY"),
        ),
        ("SELECT a FROM totals WHERE tweet IN FILEx", ("E001", 1, 37, "found 'FILEx'")),
        (
            "SELECT a FROM historical WHERE tweet = 1 AND time BETWEEN nowish AND now",
            ("E001", 1, 59, "found 'nowish'"),
        ),
    ],
)
def test_keywords_are_whole_words(text: str, expected: tuple[str, int, int, str]) -> None:
    """`GROUP BY tweet.id asset` is a stray word, not `AS set`."""
    ((code, line, col, message),) = diagnose(text)
    assert (code, line, col) == expected[:3]
    assert message.startswith(expected[3]), message


def test_comments_anywhere_whitespace_is() -> None:
    text = (
        "-- lead\nSELECT /* a */ favorites -- b\n, /* c */ retweets FROM /**/ totals\n"
        "WHERE tweet IN (1, /* the second */ 2) -- tail\n"
    )
    script = engql.parse(text)
    plain = only("SELECT favorites, retweets FROM totals WHERE tweet IN (1, 2)")
    assert ast.dump(script.statements[0]) == ast.dump(plain)
    assert [c.text for c in script.comments] == [
        "-- lead",
        "/* a */",
        "-- b",
        "/* c */",
        "/**/",
        "/* the second */",
        "-- tail",
    ]


def test_statements_split_at_semicolons_outside_strings_and_comments() -> None:
    text = "SELECT a FROM totals WHERE tweet = 'x;y' -- ;\n; SELECT b FROM 28hr WHERE tweet = 1"
    script = engql.parse(text)
    assert [s.endpoint.text for s in script.statements] == ["totals", "28hr"]


def test_last_semicolon_optional_and_empty_statements_skipped() -> None:
    assert len(engql.parse("SELECT a FROM totals WHERE tweet = 1;;\n-- c\n;").statements) == 1
    assert engql.parse("-- only a comment\n").statements == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tweet = 5", ast.TweetLiteral),
        ("tweet = '5'", ast.TweetLiteral),
        ("tweet.id IN (1, 2)", ast.IdList),
        ("tweet IN (1, '2')", ast.PackedList),
        ("tweet IN (1, /* c */ '2')", ast.TweetList),
        ("tweet IN ()", ast.TweetList),
        ("tweet IN :ids", ast.Param),
        ("tweet IN FILE 'ids.txt'", ast.FileRef),
    ],
)
def test_tweet_forms(text: str, kind: type) -> None:
    (condition,) = only(f"SELECT a FROM totals WHERE {text}").conditions
    assert isinstance(condition, ast.TweetCondition)
    assert isinstance(condition.tweets, kind)


def test_quoted_strings_double_their_quotes() -> None:
    statement = only(
        'SELECT a FROM totals WHERE tweet = \'it\'\'s\' GROUP BY tweet.id AS "say ""hi"""'
    )
    (condition,) = statement.conditions
    assert isinstance(condition, ast.TweetCondition)
    assert isinstance(condition.tweets, ast.TweetLiteral)
    assert condition.tweets.value == "it's"
    name = statement.groupings[0].name
    assert name is not None and name.text == 'say "hi"'


def test_time_expressions() -> None:
    statement = only(
        "SELECT a FROM historical WHERE tweet = 1 AND time BETWEEN now - 90 DAYS AND today + 1 hour"
    )
    time_range = statement.conditions[1]
    assert isinstance(time_range, ast.TimeRange)
    assert time_range.start == ast.TimeRelative("now", "-", "90", "days", None)  # type: ignore[arg-type]
    assert time_range.end == ast.TimeRelative("today", "+", "1", "hours", None)  # type: ignore[arg-type]


def test_spans_point_at_what_was_written() -> None:
    text = "SELECT favorites\nFROM totals\nWHERE tweet IN (1, 22, 333)"
    statement = only(text)
    (condition,) = statement.conditions
    assert isinstance(condition, ast.TweetCondition)
    assert isinstance(condition.tweets, ast.IdList)
    literals = list(condition.tweets.literals())
    assert [lit.span.text for lit in literals] == ["1", "22", "333"]
    assert literals[1].span.start_line_col() == (3, 20)
    assert statement.endpoint.span.start_line_col() == (2, 6)


def diagnose(text: str) -> list[tuple[str, int, int, str]]:
    out = []
    for d in engql.check(text):
        loc = d.location()
        assert loc is not None
        out.append((d.code, loc[1], loc[2], d.message))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT FROM totals", ("E001", 1, 8, "found keyword FROM; expected a metric name or *")),
        ("select from totals", ("E001", 1, 8, "found keyword FROM; expected a metric name or *")),
        ("SELECT", ("E002", 1, 7, "statement ends too early; expected a metric name or *")),
        ("SELECT a,", ("E002", 1, 10, "statement ends too early; expected a metric name")),
        ("SELECT a, FROM totals", ("E001", 1, 11, "found keyword FROM; expected a metric name")),
        (
            "SELECT a FROM totals WHERE tweet = 1 GROUP BY",
            ("E002", 1, 46, "statement ends too early; expected a grouping key"),
        ),
        (
            "SELECT a FROM totals WHERE tweet = 1 GROUP BY tweet.id, from",
            ("E001", 1, 57, "found keyword FROM; expected a grouping key"),
        ),
        (
            "SELECT a FROM historical WHERE tweet = 1 AND time BETWEEN",
            (
                "E002",
                1,
                58,
                "statement ends too early; expected a :parameter, a quoted string, now or today",
            ),
        ),
        (
            "SELECT a FROM historical WHERE tweet = 1 AND time BETWEEN now AND soon",
            ("E001", 1, 67, "found 'soon'; expected a :parameter, a quoted string, now or today"),
        ),
        (
            "SELECT a totals",
            ("E001", 1, 10, "found 'totals'; expected FROM or a comma"),
        ),
        ("SELECT a FROM", ("E002", 1, 14, "statement ends too early; expected an endpoint name")),
        (
            "SELECT a FROM totals WHERE tweet IN ('12",
            ("E004", 1, 38, "unterminated string: no closing ' on this line"),
        ),
        (
            "SELECT a FROM totals WHERE tweet = 1 ^",
            ("E003", 1, 38, "unexpected character '^'"),
        ),
        (
            "SELECT a FROM totals /* open",
            ("E004", 1, 22, "unterminated comment: no closing */"),
        ),
        (
            "/* open",
            ("E004", 1, 1, "unterminated comment: no closing */"),
        ),
    ],
)
def test_syntax_errors_in_words(text: str, expected: tuple[str, int, int, str]) -> None:
    assert diagnose(text) == [expected]


def test_unclosed_comment_after_the_last_statement() -> None:
    text = "SELECT favorites FROM totals WHERE tweet = 1;\n/*/ never closed"
    assert diagnose(text) == [("E004", 2, 1, "unterminated comment: no closing */")]


def test_no_lark_names_in_messages() -> None:
    bad = [
        "SELECT",
        "SELECT a,",
        "SELECT a FROM totals WHERE",
        "SELECT a FROM totals WHERE tweet IN",
        "SELECT a FROM totals WHERE time BETWEEN",
        "SELECT a FROM totals GROUP BY tweet.",
        "SELECT a FROM totals GROUP BY tweet.id AS",
        "FROM totals",
        "SELECT a FROM totals WHERE tweet IN (1,)",
    ]
    for text in bad:
        for code, _, _, message in diagnose(text):
            assert code.startswith("E00")
            assert not re.search(r"__ANON|[A-Z]+_[A-Z]+|\$END|LPAR|RPAR", message), message


def test_one_syntax_error_per_statement_and_the_others_still_checked() -> None:
    found = diagnose("SELECT FROM totals;\nSELECT a FROM b WHERE tweet = 1;\nSELECT , FROM x")
    assert [(code, line) for code, line, _, _ in found] == [
        ("E001", 1),
        ("E102", 2),
        ("E101", 2),
        ("E001", 3),
    ]


def test_is_complete_knows_where_statements_end() -> None:
    assert is_complete("SELECT a FROM totals;")
    assert is_complete("SELECT a FROM totals; -- done\n")
    assert not is_complete("SELECT a FROM totals")
    assert not is_complete("SELECT a FROM totals WHERE tweet = ';")
    assert not is_complete("SELECT a /* ; */")
    assert not is_complete("SELECT a -- ;")


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("SELCTFROMWHERINtwe*,;()'\":-/ \n0123456789abz."))))
def test_any_text_gives_diagnostics_never_an_exception(text: str) -> None:
    engql.check(text)
    try:
        engql.compile(text)
    except engql.EngqlError as error:
        assert error.diagnostics


@settings(max_examples=200)
@given(st.text())
def test_any_unicode_gives_diagnostics_never_an_exception(text: str) -> None:
    diagnostics = engql.check(text)
    try:
        engql.compile(text)
    except engql.EngqlError as error:
        assert error.diagnostics == tuple(diagnostics)


@given(st.text(alphabet=st.sampled_from(list("ab;'\"-/*\n "))))
def test_scan_pieces_are_ordered_and_disjoint(text: str) -> None:
    pieces = scan(text).pieces
    ends = [0]
    for piece in pieces:
        assert ends[-1] <= piece.start <= piece.end <= len(text)
        ends.append(piece.end)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("SELECT a FROM totals WHERE tweet = 1\nSELECT b FROM totals WHERE tweet = 1", 1),
        ("SELECT a FROM totals WHERE tweet = 1 select b FROM totals WHERE tweet = 1", 1),
        (
            "-- one\nSELECT a FROM totals\nWHERE tweet = 1\nGROUP BY tweet.id -- per Tweet\n"
            "/* the next\none */\n\nSELECT b FROM totals WHERE tweet = 1",
            4,
        ),
        (
            "SELECT a FROM totals WHERE tweet = 1;\n"
            "SELECT b FROM totals WHERE tweet = 2\n\nSELECT c",
            2,
        ),
    ],
    ids=["next-line", "same-line", "comments-between", "second-statement"],
)
def test_a_forgotten_semicolon_is_named_at_the_line_to_end(text: str, line: int) -> None:
    """The error is at the next SELECT; the hint names the line of the last token
    before it, past comments and blank lines."""
    (error,) = [d for d in engql.check(text) if d.code == "E001"]
    assert error.span is not None and error.span.text.upper() == "SELECT"
    assert error.hint == f"did you forget `;` at the end of line {line}?"


@pytest.mark.parametrize(
    "text",
    ["SELECT a FROM SELECT", "SELECT a FROM totals WHERE SELECT", "SELECT SELECT FROM totals"],
)
def test_a_select_where_the_statement_cannot_end_has_no_semicolon_hint(text: str) -> None:
    assert all("forget" not in (d.hint or "") for d in engql.check(text))


def test_the_e001_section_shows_the_semicolon_hint() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = doc.split("## E001 ")[1].split("\n## ")[0]
    shown = section.split("For `q.engql`:\n\n```engql\n")[1]
    text, printed = shown.split("```")[0], shown.split("it prints:\n\n```text\n")[1]
    assert [d.render() for d in engql.check(text, name="q.engql")] == [
        printed.split("```")[0].rstrip()
    ]
