"""The Pygments lexer: token types of real queries, every query file and doc block lexed
without an Error token, the text given back exactly, and the plugin entry point.

Round trips use ``get_tokens_unprocessed``, which the shell's prompt_toolkit lexer
calls; ``get_tokens`` first normalises line ends, as every Pygments lexer does.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pygments.lexers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

import engql
from engql import facts
from engql.highlight import EngqlLexer
from engql.syntax.keywords import reserved_words

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*.engql"))
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
_ENGQL_BLOCK = re.compile(r"^```engql\n(.*?)^```$", re.M | re.S)

LEXER = EngqlLexer()

GETTING_STARTED = """\
-- The request of the API's getting-started guide.
SELECT retweets, quote_tweets, favorites, replies
FROM totals
WHERE tweet IN (1260294888811347969, '850006245121695744')
GROUP BY tweet.id, engagement.type AS "engagement-types-by-id";
"""

TIME_SERIES = """\
/* Owned Tweets, day by day. */
select impressions, url_clicks from historical
where TWEET.ID in :ids and Time between today - 2 Weeks and now
group by engagement.day, engagement.hour as time;
"""


def lex(text: str) -> list[tuple[object, str]]:
    """The tokens of ``text`` but whitespace."""
    return [
        (kind, value)
        for _, kind, value in LEXER.get_tokens_unprocessed(text)
        if kind is not Whitespace
    ]


def kind_of(text: str, value: str) -> object:
    """The type of the first token spelled ``value``."""
    return next(kind for kind, v in lex(text) if v == value)


def doc_blocks() -> list[object]:
    blocks = []
    for doc in DOCS:
        if not doc.exists():
            continue
        text = doc.read_text(encoding="utf-8")
        for match in _ENGQL_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(pytest.param(match[1], id=f"{doc.relative_to(ROOT)}:{line}"))
    return blocks


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("-- The request of the API's getting-started guide.", Comment.Single),
        ("SELECT", Keyword),
        ("retweets", Name.Function),
        ("quote_tweets", Name.Function),
        (",", Punctuation),
        ("totals", Name.Builtin),
        ("tweet", Keyword),
        ("(", Punctuation),
        ("1260294888811347969", Number.Integer),
        ("'850006245121695744'", String.Single),
        ("tweet.id", Name.Attribute),
        ("engagement.type", Name.Attribute),
        ('"engagement-types-by-id"', String.Double),
        (";", Punctuation),
    ],
)
def test_getting_started_query(value: str, kind: object) -> None:
    assert kind_of(GETTING_STARTED, value) is kind


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("/* Owned Tweets, day by day. */", Comment.Multiline),
        ("select", Keyword),
        ("url_clicks", Name.Function),
        ("historical", Name.Builtin),
        ("TWEET.ID", Keyword),
        (":ids", Name.Variable),
        ("Time", Keyword),
        ("today", Keyword.Constant),
        ("-", Operator),
        ("2", Number.Integer),
        ("Weeks", Keyword),
        ("now", Keyword.Constant),
        ("engagement.hour", Name.Attribute),
        ("time", Name),
    ],
)
def test_time_series_query(value: str, kind: object) -> None:
    assert kind_of(TIME_SERIES, value) is kind


def test_every_name_of_the_api_facts_is_highlighted() -> None:
    select = "SELECT " + ", ".join(facts.METRICS)
    assert {kind_of(select, metric) for metric in facts.METRICS} == {Name.Function}
    assert {kind_of(f"FROM {e}", e) for e in facts.ENDPOINTS} == {Name.Builtin}
    group_by = "GROUP BY " + ", ".join(facts.GROUP_KEYS)
    assert {kind_of(group_by, key) for key in facts.GROUP_KEYS} == {Name.Attribute}


def test_reserved_words_are_keywords_in_any_case() -> None:
    for word in reserved_words():
        for spelling in (word, word.upper(), word.capitalize()):
            assert kind_of(f"x {spelling} y", spelling) is Keyword


def test_unknown_and_miscased_names_are_plain_names() -> None:
    text = "SELECT Favorites, impresions, media_clicks FROM total GROUP BY Tweet.id AS asset"
    for value in ("Favorites", "impresions", "media_clicks", "total", "Tweet", "asset"):
        assert kind_of(text, value) is Name


def test_shell_commands_at_the_start_of_a_line() -> None:
    assert lex("\\metrics totals") == [(Keyword.Pseudo, "\\metrics"), (Name.Builtin, "totals")]
    assert lex("  \\set ids 1,2")[:2] == [(Keyword.Pseudo, "\\set"), (Name, "ids")]
    assert (Keyword.Pseudo, "\\explain") in lex("SELECT *\n\\explain")
    assert kind_of("SELECT \\explain", "\\") is Text


def test_unterminated_string_and_comment_run_to_their_end() -> None:
    string = lex("WHERE tweet = 'https://x.com/u/status/1\nFROM totals")
    assert (String.Single, "'https://x.com/u/status/1") in string
    assert (Name.Builtin, "totals") in string
    assert lex("SELECT /* open\nFROM totals")[1] == (Comment.Multiline, "/* open\nFROM totals")


def test_quotes_inside_strings_and_names() -> None:
    assert kind_of("tweet = 'it''s'", "'it''s'") is String.Single
    assert kind_of('AS "say ""hi"""', '"say ""hi"""') is String.Double


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_example_files_lex_without_stray_characters(path: Path) -> None:
    kinds = {kind for kind, _ in lex(path.read_text(encoding="utf-8"))}
    assert Error not in kinds
    assert Text not in kinds


@pytest.mark.parametrize("text", doc_blocks())
def test_doc_blocks_lex_without_error_tokens(text: str) -> None:
    """A character left as plain text is one engql rejects too (E003 in docs/errors.md)."""
    tokens = lex(text)
    assert Error not in {kind for kind, _ in tokens}
    stray = [value for kind, value in tokens if kind is Text]
    if stray:
        assert "E003" in {d.code for d in engql.check(text)}, stray


_FRAGMENTS = st.sampled_from(
    [
        "SELECT",
        "group",
        " BY ",
        "AS",
        "tweet.id",
        "engagement.",
        "28hr",
        "now",
        "-",
        "--",
        "/*",
        "*/",
        "'",
        "''",
        '"',
        ":",
        ":p",
        "\\set",
        "\\",
        "\n",
        "\r\n",
        " ",
        ";",
        "(",
        "7",
    ]
)


@given(st.one_of(st.text(), st.lists(_FRAGMENTS).map("".join)))
def test_tokens_give_back_the_text(text: str) -> None:
    position = 0
    for index, kind, value in LEXER.get_tokens_unprocessed(text):
        assert index == position
        assert value
        assert kind is not Error
        position += len(value)
    assert position == len(text)


def test_pygments_finds_the_lexer_by_its_entry_point() -> None:
    assert type(pygments.lexers.get_lexer_by_name("engql")) is EngqlLexer
    assert pygments.lexers.find_lexer_class_for_filename("q.engql") is EngqlLexer


def test_pygmentize_colours_an_example_file() -> None:
    pygmentize = Path(sys.executable).parent / "pygmentize"
    if not pygmentize.exists():
        pytest.skip(f"no pygmentize script next to {sys.executable}")
    example = ROOT / "examples" / "quickstart.engql"
    done = subprocess.run(
        [str(pygmentize), "-l", "engql", "-f", "terminal", str(example)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b[" in done.stdout
