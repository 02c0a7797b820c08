"""The syntax stage: text to a typed tree, or syntax diagnostics in words a user reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import attrs

from engql.diagnostics import Diagnostic, EngqlError
from engql.limits import MAX_DIAGNOSTICS, MAX_QUERY_CHARS, MAX_STATEMENTS
from engql.record import Record
from engql.syntax import ast
from engql.syntax.generated_parser import (
    Lark,
    Lark_StandAlone,
    Meta,
    Token,
    Transformer,
    UnexpectedInput,
    v_args,
)
from engql.syntax.source import Source, Span
from engql.syntax.statements import Scan, scan


@cache
def lark_parser() -> Lark:
    """The LALR parser of grammar/engql.lark, loaded from its generated tables once."""
    return Lark_StandAlone()  # type: ignore[no-any-return]


StatementParser = Callable[[Source, int, int], ast.Statement]
"""``parse_statement``, or one that gives the same tree (the language server's, which
reuses the trees of statements a keystroke left as they were)."""


def parse_script(
    source: Source, statement_parser: StatementParser | None = None
) -> tuple[ast.Script, list[Diagnostic]]:
    """Every statement that parses, and one diagnostic for each one that does not."""
    parse_one = statement_parser or parse_statement
    if len(source.text) > MAX_QUERY_CHARS:
        d = Diagnostic(
            "E005",
            f"query is {len(source.text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
            hint="put the Tweet IDs in a file and use IN FILE 'ids.txt'",
        )
        return ast.Script((), (), source), [d]
    scanned = scan(source.text)
    if len(scanned.pieces) > MAX_STATEMENTS:
        first_extra = _first_non_blank(source.text, scanned.pieces[MAX_STATEMENTS].start)
        d = Diagnostic(
            "E006",
            f"the script has {len(scanned.pieces):,} statements; the limit is {MAX_STATEMENTS:,}",
            Span(source, first_extra, first_extra),
            hint="split it over several scripts",
        )
        return ast.Script((), (), source), [d]
    statements: list[ast.Statement] = []
    diagnostics: list[Diagnostic] = []
    for piece in scanned.pieces:
        if len(diagnostics) >= MAX_DIAGNOSTICS:
            where = _first_non_blank(source.text, piece.start)
            diagnostics.append(stopped_checking(Span(source, where, where)))
            break
        try:
            statements.append(parse_one(source, piece.start, piece.end))
        except EngqlError as error:
            diagnostics.extend(error.diagnostics)
    comments = tuple(ast.Comment(source.text[a:b], Span(source, a, b)) for a, b in scanned.comments)
    unclosed = _unclosed_trailing_comment(source.text, scanned)
    if unclosed is not None:
        diagnostics.append(
            Diagnostic(
                "E004",
                "unterminated comment: no closing */",
                Span(source, unclosed, unclosed + 2),
            )
        )
    return ast.Script(tuple(statements), comments, source), diagnostics


def _first_non_blank(text: str, start: int) -> int:
    found = _NON_BLANK.search(text, start)
    return found.start() if found else start


def stopped_checking(where: Span | None) -> Diagnostic:
    """E007, where checking stopped because MAX_DIAGNOSTICS problems were found before it."""
    return Diagnostic(
        "E007",
        f"checking stopped after {MAX_DIAGNOSTICS:,} errors; the rest of the script is not checked",
        where,
        hint="fix these and check again",
    )


def _unclosed_trailing_comment(text: str, scanned: Scan) -> int | None:
    """Where a ``/*`` that runs to the end of the text starts, when no statement holds it.

    Inside a statement the parser reports it; after the last one only this does.
    """
    if not scanned.comments:
        return None
    start, end = scanned.comments[-1]
    comment = text[start:end]
    closed = len(comment) >= 4 and comment.endswith("*/")
    if not comment.startswith("/*") or closed:
        return None
    if scanned.pieces and scanned.pieces[-1].end > start:
        return None
    return start


def parse(text: str, name: str = "<query>") -> ast.Script:
    """Parse a script; raises EngqlError with every statement's syntax error."""
    script, diagnostics = parse_script(Source(text, name))
    if diagnostics:
        raise EngqlError(diagnostics)
    return script


def parse_statement(source: Source, start: int, end: int) -> ast.Statement:
    """Parse ``source.text[start:end]``, one statement; positions stay file-wide."""
    text = source.text[start:end]
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as error:
        from engql.syntax.syntax_errors import syntax_diagnostic  # only on the error path

        raise EngqlError([syntax_diagnostic(source, start, text, error)]) from None
    built: ast.Statement = _Builder(source, start).transform(tree)
    return built


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Builds AST nodes from the Lark tree; it checks nothing."""

    def __init__(self, source: Source, base: int) -> None:
        super().__init__()
        self.source = source
        self.base = base

    def _span(self, meta: Meta) -> Span:
        return Span(self.source, self.base + meta.start_pos, self.base + meta.end_pos)

    def _token_span(self, token: Token) -> Span:
        assert token.start_pos is not None and token.end_pos is not None
        return Span(self.source, self.base + token.start_pos, self.base + token.end_pos)

    def start(self, meta: Meta, children: list[Any]) -> ast.Statement:
        metrics, endpoint, *rest = children
        conditions: tuple[ast.Condition, ...] = ()
        if rest and isinstance(rest[0], tuple):
            conditions, rest = rest[0], rest[1:]
        return ast.Statement(metrics, endpoint, conditions, tuple(rest), self._span(meta))

    def select_clause(self, meta: Meta, children: list[Any]) -> tuple[ast.Name, ...] | None:
        return None if children == [_STAR] else tuple(children)

    def star(self, meta: Meta, children: list[Token]) -> object:
        return _STAR

    def metric(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(meta))

    def from_clause(self, meta: Meta, children: list[ast.Name]) -> ast.Name:
        return children[0]

    def endpoint(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(str(children[0]), self._span(meta))

    def where_clause(self, meta: Meta, children: list[ast.Condition]) -> tuple[ast.Condition, ...]:
        return tuple(children)

    def tweet_equals(self, meta: Meta, children: list[Any]) -> ast.TweetCondition:
        return ast.TweetCondition(children[1], self._span(meta))

    def tweet_in(self, meta: Meta, children: list[Any]) -> ast.TweetCondition:
        return ast.TweetCondition(children[1], self._span(meta))

    def packed_list(self, meta: Meta, children: list[Token]) -> ast.IdList | ast.PackedList:
        """A list read as one token stays one node: an IdList when it is only integers."""
        token, span = children[0], self._span(meta)
        if token.type == "ID_LIST":
            return ast.IdList(_DIGITS.findall(token), span)
        return ast.PackedList(ast.PACKED_ITEM.findall(token), span)

    def tweet_list(self, meta: Meta, children: list[Token]) -> ast.TweetList:
        literals = tuple(self._literal(token) for token in children)
        return ast.TweetList(literals, self._span(meta))

    def _literal(self, token: Token) -> ast.TweetLiteral:
        quoted = token[0] == "'"
        value = _unquote(token) if quoted else str(token)
        return ast.TweetLiteral(value, quoted, self._token_span(token))

    def empty_list(self, meta: Meta, children: list[Any]) -> ast.TweetList:
        return ast.TweetList((), self._span(meta))

    def file_ref(self, meta: Meta, children: list[Token]) -> ast.FileRef:
        return ast.FileRef(_unquote(children[0]), self._span(meta))

    def tweet_literal(self, meta: Meta, children: list[Token]) -> ast.TweetLiteral:
        return self._literal(children[0])

    def param(self, meta: Meta, children: list[Token]) -> ast.Param:
        return ast.Param(children[0][1:], self._span(meta))

    def time_between(self, meta: Meta, children: list[Any]) -> ast.TimeRange:
        return ast.TimeRange(children[0], children[1], self._span(meta))

    def time_literal(self, meta: Meta, children: list[Token]) -> ast.TimeLiteral:
        return ast.TimeLiteral(_unquote(children[0]), self._span(meta))

    def time_relative(self, meta: Meta, children: list[Token]) -> ast.TimeRelative:
        anchor = children[0].lower()
        if len(children) == 1:
            return ast.TimeRelative(anchor, None, None, None, self._span(meta))
        _, sign, amount, unit = children
        digits = amount.lstrip("0") or "0"
        return ast.TimeRelative(anchor, str(sign), digits, _unit(unit), self._span(meta))

    def group_clause(self, meta: Meta, children: list[Any]) -> ast.Grouping:
        keys = tuple(c for c in children if not isinstance(c, _GroupingName))
        last = children[-1]
        name = last.name if isinstance(last, _GroupingName) else None
        return ast.Grouping(keys, name, self._span(meta))

    def group_key(self, meta: Meta, children: list[Token]) -> ast.Name:
        return ast.Name(".".join(children), self._span(meta))

    def grouping_name(self, meta: Meta, children: list[Token]) -> _GroupingName:
        token = children[0]
        text = _unquote(token) if token.type == "QUOTED_NAME" else str(token)
        return _GroupingName(ast.Name(text, self._span(meta)))


_STAR = object()
_NON_BLANK = re.compile(r"\S")
_DIGITS = re.compile(r"[0-9]+")


@attrs.frozen(repr=False)
class _GroupingName(Record):
    name: ast.Name


def _unquote(token: str) -> str:
    quote = token[0]
    return token[1:-1].replace(quote * 2, quote)


def _unit(token: str) -> str:
    """``day``, ``hours``, ``WEEKS`` → ``days``, ``hours``, ``weeks``."""
    word = token.lower()
    return word if word.endswith("s") else word + "s"
