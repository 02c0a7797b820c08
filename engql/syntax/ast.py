"""The typed syntax tree of engql: what the user wrote, with where they wrote it.

Nodes compare equal when they say the same thing: spans are left out of equality, so a
query and its formatted form parse to equal trees. ``dump`` turns a tree into JSON data,
with its spans (``engql debug ast``) or without them (what equality compares).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs

from engql.record import Record
from engql.syntax.source import Source, Span

_span = attrs.field(eq=False, repr=False)


@attrs.frozen(repr=False)
class Name(Record):
    """An identifier: a metric, endpoint, grouping key or grouping name."""

    text: str
    span: Span = _span


@attrs.frozen(repr=False)
class Comment(Record):
    """A ``--`` or ``/* */`` comment, kept for the formatter."""

    text: str
    span: Span = _span


@attrs.frozen(repr=False)
class TweetLiteral(Record):
    """One Tweet as written: an integer, or a quoted ID or URL (``quoted`` says which)."""

    value: str
    quoted: bool
    span: Span = _span


@attrs.frozen(repr=False)
class TweetList(Record):
    """``(a, 'b', ...)`` with comments among its items, or ``()``."""

    items: tuple[TweetLiteral, ...]
    span: Span = _span

    def literals(self) -> Iterator[TweetLiteral]:
        return iter(self.items)


_DIGITS = re.compile(r"[0-9]+")


@attrs.frozen(repr=False)
class IdList(Record):
    """``(1, 2, ...)`` of plain integers, read as one token: no object per ID until asked."""

    ids: list[str]
    span: Span = _span

    def literals(self) -> Iterator[TweetLiteral]:
        source, base = self.span.source, self.span.start
        for m in _DIGITS.finditer(self.span.text):
            yield TweetLiteral(m.group(), False, Span(source, base + m.start(), base + m.end()))


@attrs.frozen(repr=False)
class PackedList(Record):
    """``(1, '2', 'https://…', +3)`` without comments, read as one token: each item's text
    as written (quotes kept), and no object per item until asked."""

    items: list[str]
    span: Span = _span

    def values(self) -> list[str]:
        """Each item's value: a quoted one without its quotes."""
        return [item[1:-1].replace("''", "'") if item[0] == "'" else item for item in self.items]

    def literals(self) -> Iterator[TweetLiteral]:
        source, base = self.span.source, self.span.start
        for m in PACKED_ITEM.finditer(self.span.text):
            item = m.group()
            quoted = item[0] == "'"
            span = Span(source, base + m.start(), base + m.end())
            yield TweetLiteral(_unquoted(item) if quoted else item, quoted, span)


PACKED_ITEM = re.compile(r"[+-]?[0-9]+|'[^'\n]*(?:''[^'\n]*)*'")
"""One item of a one-token list: a signed integer or a quoted string."""


def _unquoted(item: str) -> str:
    return item[1:-1].replace("''", "'")


@attrs.frozen(repr=False)
class Param(Record):
    """``:name``, bound by the caller."""

    name: str
    span: Span = _span


@attrs.frozen(repr=False)
class FileRef(Record):
    """``FILE 'path'``: IDs read from a file relative to the query file."""

    path: str
    span: Span = _span


TweetSet = TweetLiteral | TweetList | IdList | PackedList | Param | FileRef


@attrs.frozen(repr=False)
class TweetCondition(Record):
    """``tweet = x`` or ``tweet IN set``."""

    tweets: TweetSet
    span: Span = _span


@attrs.frozen(repr=False)
class TimeLiteral(Record):
    """A quoted ISO date or date-time."""

    text: str
    span: Span = _span


@attrs.frozen(repr=False)
class TimeRelative(Record):
    """``now``, ``today``, or either plus or minus a number of days, hours or weeks."""

    anchor: str
    sign: str | None
    amount: str | None
    """The number's digits without leading zeros: text, since it may be of any length."""
    unit: str | None
    span: Span = _span


TimeExpr = TimeLiteral | TimeRelative | Param


@attrs.frozen(repr=False)
class TimeRange(Record):
    """``time BETWEEN start AND end``."""

    start: TimeExpr
    end: TimeExpr
    span: Span = _span


Condition = TweetCondition | TimeRange


@attrs.frozen(repr=False)
class Grouping(Record):
    """``GROUP BY keys [AS name]``."""

    keys: tuple[Name, ...]
    name: Name | None
    span: Span = _span


@attrs.frozen(repr=False)
class Statement(Record):
    """One query: ``metrics`` is None for ``SELECT *``."""

    metrics: tuple[Name, ...] | None
    endpoint: Name
    conditions: tuple[Condition, ...]
    groupings: tuple[Grouping, ...]
    span: Span = _span


@attrs.frozen(repr=False)
class Script(Record):
    """A whole query file: its statements and every comment in it."""

    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = attrs.field(eq=False)
    source: Source = attrs.field(eq=False, repr=False)


def dump(node: object, spans: bool = False) -> Any:
    """JSON data for a node, each one as ``{"Kind": {field: value, ...}}``.

    Without spans it holds only what the node says, the fields equality compares, so both
    kinds of one-token Tweet list dump as the TweetList they stand for. With spans it is
    the tree as parsed: every field, a script's comments, and each node's place as
    ``span_json`` gives it; only the source text is left out (it is the input).
    """
    if isinstance(node, Span):
        return span_json(node)
    if not spans and isinstance(node, IdList | PackedList | TweetList):
        return {"TweetList": [dump(item) for item in node.literals()]}
    if isinstance(node, tuple | list):
        return [dump(item, spans) for item in node]
    if attrs.has(type(node)):
        fields = attrs.fields(type(node))  # type: ignore[arg-type]
        kept = [f.name for f in fields if (f.name != "source" if spans else f.eq)]
        return {type(node).__name__: {name: dump(getattr(node, name), spans) for name in kept}}
    return node


def span_json(span: Span) -> dict[str, int]:
    """Where a span is: 1-based line and column (in characters) of its first character and
    of the one after it, and its ``[start, end)`` character offsets in the text."""
    line, column = span.start_line_col()
    end_line, end_column = span.end_line_col()
    return {
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "start": span.start,
        "end": span.end,
    }
