"""The statement names its Tweets once, each a valid ID, URL or file of them.

Resolves ``tweet = x`` and ``tweet IN ...`` (a list, a parameter or ``FILE``) to the
ordered, de-duplicated list of canonical IDs (Part A §1). Reports a missing or repeated
condition (E301, E302), bad IDs (E303, E304), an empty list (E305), unbound or
ill-typed parameters (E306, E310), files that may not or cannot be read (E307, E308),
paths that leave ``base_dir`` when files are confined to it (E311), too many IDs (E309)
and duplicates, which are removed (W301); in a JSON IDs file, JSON that does not decode
(E312), a value that holds no Tweet ID (E313) and a page without Tweets (W302).
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from engql.check.context import StatementContext
from engql.codes import CODES, Severity
from engql.ids_file import STDIN, STDIN_FILE, IdsFileRefused, locate, read_text, shown
from engql.params import IdsFileParam
from engql.record import Record
from engql.syntax import ast
from engql.syntax.source import Source, Span
from engql.tweet_ids import BadTweet, FilePlaces, file_entries, plain_digits, tweet_id

SpanAt = Callable[[int], Span | None]


@attrs.frozen(repr=False)
class TweetOrigin(Record):
    """Where a statement's Tweet IDs were written, so a later message can point at one."""

    node: ast.TweetSet
    file: Source | None = None
    places: FilePlaces | None = attrs.field(default=None, repr=False)

    def locate(self, wanted: str) -> Span | None:
        """The span of the literal or file entry that gave this ID (first one)."""
        if self.file is not None:
            return None if self.places is None else self.places.locate(self.file, wanted)
        if isinstance(self.node, ast.TweetList | ast.IdList | ast.PackedList):
            for literal in self.node.literals():
                if _same_tweet(literal.value, wanted):
                    return literal.span
            return None
        return self.node.span


def _same_tweet(text: str, wanted: str) -> bool:
    try:
        return tweet_id(text) == wanted
    except BadTweet:
        return False


def check(ctx: StatementContext) -> None:
    conditions = [c for c in ctx.statement.conditions if isinstance(c, ast.TweetCondition)]
    if not conditions:
        ctx.report(
            "E301",
            "the statement names no Tweets",
            ctx.statement.span,
            "add WHERE tweet IN (...) or WHERE tweet = ...",
        )
        return
    for extra in conditions[1:]:
        line, _ = conditions[0].span.start_line_col()
        ctx.report(
            "E302",
            f"Tweets are already given on line {line}",
            extra.span,
            "list every Tweet in one `tweet IN (...)`",
        )
    node = conditions[0].tweets
    ctx.tweet_origin = TweetOrigin(node)
    if isinstance(node, ast.IdList):
        _accept(ctx, node.ids, _literal_spans(node), node.span, digits_only=True)
    elif isinstance(node, ast.PackedList):
        _accept(ctx, node.values(), _literal_spans(node), node.span, digits_only=False)
    elif isinstance(node, ast.TweetList):
        values = [item.value for item in node.items]
        _accept(ctx, values, lambda i: node.items[i].span, node.span, digits_only=False)
    elif isinstance(node, ast.TweetLiteral):
        _accept(ctx, [node.value], lambda i: node.span, node.span, digits_only=False)
    elif isinstance(node, ast.FileRef):
        if not ctx.options.allow_files:
            ctx.report(
                "E307",
                "reading Tweet IDs from a file is not allowed here",
                node.span,
                "the library refuses FILE unless allow_files=True; or pass the IDs as a parameter",
            )
            return
        _accept_file(ctx, node, node.path, ctx.options.base_dir or os.getcwd())
    else:
        _accept_param(ctx, node)


def _literal_spans(node: ast.IdList | ast.PackedList) -> SpanAt:
    """The span of item ``index``, found by walking the list's text from the last one asked.

    Reports ask in order of place, so one walk serves a pass; no span is kept.
    """
    walk = enumerate(node.literals())
    last: tuple[int, ast.TweetLiteral] | None = None

    def span_at(index: int) -> Span:
        nonlocal walk, last
        if last is None or index < last[0]:
            walk = enumerate(node.literals())
        while last is None or last[0] != index:
            last = next(walk)
        return last[1].span

    return span_at


def _accept_param(ctx: StatementContext, node: ast.Param) -> None:
    params = ctx.options.params
    if node.name not in params:
        ctx.report(
            "E306",
            f"parameter :{node.name} is not bound",
            node.span,
            f"bind it: -p {node.name}=1,2,3 or -p {node.name}=@ids.txt on the command line, "
            f"params={{'{node.name}': [...]}} in Python",
        )
        return
    value: Any = params[node.name]
    if isinstance(value, IdsFileParam):
        base_dir = ctx.options.base_dir if ctx.options.confine_files else None
        _accept_file(ctx, node, value.path, base_dir or "")
        return
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    elif isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, bytes | bytearray):
        kind = type(value).__name__
        ctx.report(
            "E310",
            f"parameter :{node.name} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}, "
            "not Tweet IDs",
            node.span,
            "bind a list of IDs or URLs, or a string of them separated by commas",
        )
        return
    oversized = next((v for v in value if _is_tweet_value(v) and _beyond_64_bits(v)), None)
    if oversized is not None:
        ctx.report(
            "E303",
            f"parameter :{node.name} holds an integer of {oversized.bit_length():,} bits: "
            "IDs are positive 64-bit integers",
            node.span,
        )
        return
    items = [str(v) if _is_tweet_value(v) else None for v in value]
    if any(item is None for item in items):
        ctx.report(
            "E310",
            f"parameter :{node.name} holds values that are neither numbers nor strings",
            node.span,
        )
        return
    _accept(ctx, [i for i in items if i is not None], lambda i: node.span, node.span, False)


def _is_tweet_value(value: object) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _beyond_64_bits(value: object) -> bool:
    """An int too large to be an ID, and maybe to print (Python's 4,300-digit limit)."""
    return isinstance(value, int) and value.bit_length() > 64


def _accept_file(ctx: StatementContext, node: ast.TweetSet, path: str, base_dir: str) -> None:
    """The IDs of the file at ``path``, relative to ``base_dir`` ("" is the working
    directory), or of standard input for ``-``."""
    span = node.span
    try:
        name, text = _read_stdin(ctx) if path == STDIN else _read_file(ctx, path, base_dir)
    except IdsFileRefused as refused:
        ctx.report(refused.code, refused.message, span, refused.hint)
        return
    source = Source(text, name)
    found = file_entries(text)
    ctx.tweet_origin = TweetOrigin(node, source, found.places)
    for problem in found.problems:
        where = found.problem_span(source, problem) if ctx.shows(problem.code) else None
        ctx.report(problem.code, problem.message, where, problem.hint)
    if not found.values and any(CODES[p.code].severity is Severity.ERROR for p in found.problems):
        return
    _accept(
        ctx,
        found.values,
        lambda i: found.span(source, i),
        span,
        found.digits_only,
        found.tweet_id,
    )


def _read_file(ctx: StatementContext, path: str, base_dir: str) -> tuple[str, str]:
    options = ctx.options
    file = locate(path, base_dir, confined=options.confine_files)
    text = read_text(file, options.max_ids_file_bytes, options.max_json_ids_file_bytes)
    return shown(file.name), text


def _read_stdin(ctx: StatementContext) -> tuple[str, str]:
    """Standard input, which only ``allow_files=True`` reads: it is not a file inside
    ``base_dir``, and a service's standard input is not its caller's to read."""
    options = ctx.options
    if not options.allow_files:
        raise IdsFileRefused(
            "E307",
            "reading Tweet IDs from standard input is not allowed here",
            "the library reads standard input only with allow_files=True",
        )
    if options.confine_files:
        raise IdsFileRefused(
            "E311",
            "standard input is not a file inside base_dir",
            "with allow_files='base_dir' only files inside base_dir are read; "
            "pass the IDs as a parameter",
        )
    if ctx.statement.span.source.name == STDIN_FILE.name:
        raise IdsFileRefused(
            "E308",
            f"cannot read IDs file '{STDIN_FILE.name}': standard input holds the query itself",
            "put the query in a file: ... | engql run q.engql -p ids=@-",
        )
    text = options.stdin.read(options.max_ids_file_bytes, options.max_json_ids_file_bytes)
    return STDIN_FILE.name, text


def _accept(
    ctx: StatementContext,
    values: list[str],
    span_at: SpanAt,
    whole: Span,
    digits_only: bool,
    read: Callable[[str], str] = tweet_id,
) -> None:
    """Check, canonicalise and de-duplicate the IDs.

    Digit strings (``digits_only``, or values that ``plain_digits`` reads as digits) take
    the fast path when all are in range; the others go one by one through ``read``.
    """
    if not values:
        ctx.report("E305", "the list of Tweets is empty", whole)
        return
    if len(values) > ctx.options.max_tweet_ids:
        ctx.report(
            "E309",
            f"{len(values):,} Tweet IDs; one statement takes at most {ctx.options.max_tweet_ids:,}",
            whole,
            "split the IDs over several files or runs",
        )
        return
    if not digits_only:
        digits = plain_digits(values)
        values, digits_only = (digits, True) if digits is not None else (values, False)
    ints = _packed_ints(values) if digits_only else None
    if ints is not None and min(ints) >= 1:
        _accept_valid_digits(ctx, values, ints, span_at)
        return
    ids = _any_ids(ctx, values, span_at, read)
    unique = list(dict.fromkeys(i for i in ids if i is not None))
    if len(unique) < len(ids):
        _report_duplicates(ctx, ids, span_at)
    ctx.tweet_ids = unique
    ctx.tweet_ints = array("q", map(int, unique))


def _packed_ints(values: list[str]) -> array[int] | None:
    """The values as 64-bit integers, 8 bytes each (a list of ints takes 36), or None
    when one does not fit (or has more digits than Python converts): then it is out of
    range and the slow path says which."""
    try:
        return array("q", map(int, values))
    except (OverflowError, ValueError):
        return None


def _accept_valid_digits(
    ctx: StatementContext, values: list[str], ints: array[int], span_at: SpanAt
) -> None:
    """The fast path for digit strings already known to be valid IDs.

    Digit strings sort "0..." first, so ``min`` tells whether any has leading zeros.
    """
    if min(values)[0] == "0":
        values = list(map(str, ints))
    unique = list(dict.fromkeys(values))
    if len(unique) < len(values):
        _report_duplicates(ctx, values, span_at)
        ints = array("q", map(int, unique))
    ctx.tweet_ids = unique
    ctx.tweet_ints = ints


def _any_ids(
    ctx: StatementContext, values: list[str], span_at: SpanAt, read: Callable[[str], str]
) -> list[str | None]:
    """Each value's canonical ID, or None (reported) where it is not one."""
    ids: list[str | None] = []
    for index, value in enumerate(values):
        try:
            ids.append(read(value))
        except BadTweet as bad:
            span = span_at(index) if ctx.shows(bad.code) else None
            ctx.report(bad.code, bad.message, span, bad.hint)
            ids.append(None)
    return ids


def _report_duplicates(ctx: StatementContext, ids: Sequence[str | None], span_at: SpanAt) -> None:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value is None:
            continue
        if value in seen:
            span = span_at(index) if ctx.shows("W301") else None
            ctx.report("W301", f"Tweet {value} is listed twice; sending it once", span)
        seen.add(value)
