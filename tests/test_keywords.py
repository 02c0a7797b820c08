"""The formatter, the highlighter and completion agree with the grammar's keywords.

``engql.syntax.keywords`` reads the keyword terminals from the generated parser; these
tests hold it to grammar/engql.lark itself, then each of the three users to it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.token import Keyword, Name  # type: ignore[import-untyped]

from engql.formatter import format_text
from engql.highlight import EngqlLexer
from engql.repl.completion import KEYWORDS
from engql.syntax.keywords import keyword_terminals, reserved_words, terminal_patterns

GRAMMAR = (Path(__file__).resolve().parent.parent / "grammar" / "engql.lark").read_text(
    encoding="utf-8"
)
KEYWORD_RULE = re.compile(r"^(_[A-Z]+): /([a-z]+)\(\?!\[A-Za-z0-9_\]\)/i$", re.M)
NAME_RULE = re.compile(r"^NAME: /\(\?!\(\?i:([a-z|]+)\)", re.M)
LEXER = EngqlLexer()


def token_kinds(text: str) -> dict[str, object]:
    return {value: kind for _, kind, value in LEXER.get_tokens_unprocessed(text)}


def test_the_keywords_are_the_grammars() -> None:
    assert dict(keyword_terminals()) == dict(KEYWORD_RULE.findall(GRAMMAR))
    name_rule = NAME_RULE.search(GRAMMAR)
    assert name_rule is not None
    assert reserved_words() == frozenset(name_rule[1].split("|"))
    assert reserved_words() < frozenset(keyword_terminals().values())


@pytest.mark.parametrize("word", sorted(keyword_terminals().values()))
def test_the_formatter_quotes_a_grouping_name_only_when_it_is_reserved(word: str) -> None:
    text = f'SELECT favorites FROM totals WHERE tweet = 20 GROUP BY tweet.id AS "{word}"'
    name = f'"{word}"' if word in reserved_words() else word
    assert format_text(text).rstrip().endswith(f"AS {name};")


@pytest.mark.parametrize("word", sorted(keyword_terminals().values()))
def test_the_highlighter_colours_each_keyword_in_any_case(word: str) -> None:
    for spelling in (word, word.upper(), word.capitalize()):
        assert token_kinds(f"SELECT x {spelling} y")[spelling] is Keyword


@pytest.mark.parametrize("terminal", ["TWEET", "UNIT", "ANCHOR"])
def test_the_highlighter_colours_what_the_value_terminals_match(terminal: str) -> None:
    for word, _ in KEYWORDS[terminal]:
        assert re.fullmatch(terminal_patterns()[terminal], word)
        assert token_kinds(f"WHERE {word} z")[word] in (Keyword, Keyword.Constant)


def test_a_name_no_keyword_terminal_matches_is_a_name() -> None:
    assert token_kinds("SELECT x FROM timely")["timely"] is Name


def test_completion_offers_every_keyword_terminal_in_the_grammars_words() -> None:
    assert set(keyword_terminals()) <= set(KEYWORDS)
    for terminal, offered in KEYWORDS.items():
        pattern = terminal_patterns()[terminal]
        for word, _ in offered:
            first = word.split()[0]
            assert re.fullmatch(pattern, first), (terminal, word)
            reserved = first.lower() in reserved_words()
            assert first == (first.upper() if reserved else first.lower()), word
