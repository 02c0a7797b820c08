"""Lark's parse errors in words: what was found, what could stand there, at the right place."""

from __future__ import annotations

from engql.diagnostics import Diagnostic, shortened
from engql.syntax.generated_parser import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from engql.syntax.source import Source, Span
from engql.syntax.statements import scan

TERMINAL_WORDS: dict[str, str] = {
    "_SELECT": "SELECT",
    "_FROM": "FROM",
    "_WHERE": "WHERE",
    "_AND": "AND",
    "_IN": "IN",
    "_FILE": "FILE",
    "_TIME": "time",
    "_BETWEEN": "BETWEEN",
    "_GROUP": "GROUP BY",
    "_BY": "BY",
    "_AS": "AS",
    "TWEET": "tweet",
    "ANCHOR": "now",
    "UNIT": "days, hours or weeks",
    "SIGN": "+ or -",
    "NAME": "a name",
    "METRIC": "a metric name",
    "KEY": "a grouping key",
    "WORD": "an endpoint name",
    "INT": "a number",
    "SIGNED_INT": "a Tweet ID",
    "TWEET_ITEM": "a Tweet ID or URL",
    "ID_LIST": "a list of Tweet IDs",
    "MIXED_LIST": "a list of Tweet IDs",
    "STRING": "a quoted string",
    "QUOTED_NAME": 'a "quoted name"',
    "PARAM": "a :parameter",
    "STAR": "*",
    "METRIC_OR_STAR": "a metric name or *",
    "COMMA": "a comma",
    "DOT": ".",
    "EQUAL": "=",
    "LPAR": "(",
    "RPAR": ")",
    "$END": "end of statement",
}
"""English for every terminal of grammar/engql.lark (a test checks none is missing)."""

_CONTEXT_WORDS: dict[frozenset[str], str] = {
    frozenset({"METRIC", "STAR"}): "METRIC_OR_STAR",
}
MAX_ALTERNATIVES = 5
_HIDDEN = {"ID_LIST", "MIXED_LIST"}
"""Alternatives that duplicate another one in a message (a list already offers "(")."""


def expected_words(terminals: set[str] | frozenset[str]) -> list[str]:
    """The alternatives in words, keywords first, at most MAX_ALTERNATIVES."""
    names = {t for t in terminals if t not in _HIDDEN} or set(terminals)
    for group, word in _CONTEXT_WORDS.items():
        if group <= names:
            names = names - group | {word}
    words = {TERMINAL_WORDS.get(t, t.lower()) for t in names}
    if "ANCHOR" in names:
        words.add("today")
    return sorted(words, key=_order)[:MAX_ALTERNATIVES]


def _order(word: str) -> tuple[int, str]:
    return (0 if word.isupper() else 1 if not word.startswith("end") else 2, word)


def join_alternatives(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def syntax_diagnostic(source: Source, base: int, text: str, error: UnexpectedInput) -> Diagnostic:
    """One diagnostic for a Lark error raised while parsing ``text`` found at ``base``."""
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(source, base, text, error)
    if isinstance(error, UnexpectedEOF):
        return _unexpected_end(source, base, text, set(error.expected))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.accepts or error.expected)
    if token.type == "$END":
        return _unexpected_end(source, base, text, expected)
    assert token.start_pos is not None and token.end_pos is not None
    span = Span(source, base + token.start_pos, base + token.end_pos)
    found = _describe(token.type, str(token))
    words = expected_words(expected)
    message = f"found {found}; expected {join_alternatives(words)}"
    hint = _missing_semicolon(source, base, text, str(token), token.start_pos, expected)
    return Diagnostic("E001", message, span, hint or _hint(token.type, str(token), expected))


def _missing_semicolon(
    source: Source, base: int, text: str, value: str, pos: int, expected: set[str]
) -> str | None:
    """A SELECT where the statement could have ended is the next statement, its ``;``
    forgotten: the hint names the line of the last token before it (the caret is at
    the SELECT, often lines below). The contextual lexer reads the word as whatever
    can stand there, so it is known by its text."""
    if value.upper() != "SELECT" or "$END" not in expected:
        return None
    end = semicolon_offset(text, pos)
    if end is None:
        return None
    line, _ = source.line_col(base + end - 1)
    return f"{FORGOTTEN_SEMICOLON} at the end of line {line}?"


FORGOTTEN_SEMICOLON = "did you forget `;`"
"""How the hint of a forgotten ``;`` begins; the language server offers to add it."""


def semicolon_offset(text: str, pos: int) -> int | None:
    """Where the forgotten ``;`` of a statement whose next one starts at ``pos`` goes:
    after its last token, comments and blanks skipped; None when nothing comes before."""
    end = len(text[:pos].rstrip())
    for start, stop in reversed(scan(text[:pos]).comments):
        if start < end <= stop:
            end = len(text[:start].rstrip())
    return end or None


def _unexpected_character(
    source: Source, base: int, text: str, error: UnexpectedCharacters
) -> Diagnostic:
    pos = error.pos_in_stream or 0
    char = text[pos]
    if char in "'\"":
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        kind = "string" if char == "'" else "name"
        return Diagnostic(
            "E004",
            f"unterminated {kind}: no closing {char} on this line",
            Span(source, base + pos, base + end),
            hint=f"add the closing {char} (write {char}{char} for a {char} inside the text)",
        )
    if text.startswith("/*", pos):
        return Diagnostic(
            "E004",
            "unterminated comment: no closing */",
            Span(source, base + pos, base + pos + 2),
        )
    return Diagnostic(
        "E003",
        f"unexpected character {char!r}",
        Span(source, base + pos, base + pos + 1),
    )


def _unexpected_end(source: Source, base: int, text: str, expected: set[str]) -> Diagnostic:
    end = base + len(text.rstrip())
    words = expected_words(expected - {"$END"})
    return Diagnostic(
        "E002",
        f"statement ends too early; expected {join_alternatives(words)}",
        Span(source, end, end),
    )


_KEYWORDS = frozenset(name[1:] for name in TERMINAL_WORDS if name.startswith("_"))


def _describe(token_type: str, value: str) -> str:
    value = shortened(value)
    if token_type.startswith("_") or value.upper() in _KEYWORDS:
        return f"keyword {value.upper()}"
    if token_type in {"INT", "SIGNED_INT"} or value.isdigit():
        return f"number {value}"
    if token_type in {"STRING", "QUOTED_NAME"}:
        return f"string {value}"
    if token_type in {"ID_LIST", "MIXED_LIST"}:
        return "a list of numbers"
    return f"'{value}'"


def _hint(token_type: str, value: str, expected: set[str]) -> str | None:
    if "ANCHOR" in expected and value[:1].isdigit():
        return "write times in quotes: '2016-02-10T17:00:00Z'"
    if token_type == "QUOTED_NAME" and "STRING" in expected:
        return "values use single quotes: 'text'; double quotes are for grouping names"
    if "TWEET" in expected:
        return "conditions are `tweet = ID`, `tweet IN (...)` and `time BETWEEN a AND b`"
    return None
