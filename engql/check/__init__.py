"""The validation stage: every rule of the API that can be checked before a request is sent.

Each rule is a module with a ``check(ctx)`` function whose docstring states the constraint;
all of them run, and every problem comes back at once. A statement without errors becomes
a ``Query``: the resolved values the planner needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from engql.check import endpoint, groupings, metrics, time_range, tweet_age, tweets
from engql.check.context import CheckOptions, StatementContext
from engql.check.tweets import TweetOrigin
from engql.diagnostics import Diagnostic, has_errors
from engql.record import Record
from engql.syntax import ast

RULES: tuple[Callable[[StatementContext], None], ...] = (
    endpoint.check,
    metrics.check,
    groupings.check,
    tweets.check,
    time_range.check,
    tweet_age.check,
)
"""In order: later rules read what earlier ones resolved (endpoint, metrics, IDs, range)."""


@attrs.frozen(repr=False)
class Query(Record):
    """A statement that passed validation, with every value resolved."""

    index: int
    endpoint: str
    metrics: tuple[str, ...]
    tweet_ids: list[str] = attrs.field(repr=False)
    time_range: tuple[datetime, datetime] | None
    groupings: tuple[tuple[str, tuple[str, ...]], ...]
    now: datetime
    """The clock the query was checked against: no request may end after it."""
    origin: TweetOrigin | None = attrs.field(eq=False, repr=False)
    statement: ast.Statement = attrs.field(eq=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The query as JSON data (``engql debug query``): times as exact ISO text, the
        statement's place and where its Tweet IDs were written as ``ast.span_json`` gives
        them, ``file`` naming the IDs file they came from, if any."""
        time_range, origin = None, None
        if self.time_range is not None:
            start, end = self.time_range
            time_range = {"start": start.isoformat(), "end": end.isoformat()}
        if self.origin is not None:
            file = self.origin.file
            origin = {
                "span": ast.span_json(self.origin.node.span),
                "file": None if file is None else file.name,
            }
        return {
            "index": self.index,
            "endpoint": self.endpoint,
            "metrics": list(self.metrics),
            "tweet_ids": list(self.tweet_ids),
            "time_range": time_range,
            "groupings": [{"name": name, "group_by": list(keys)} for name, keys in self.groupings],
            "now": self.now.isoformat(),
            "origin": origin,
            "span": ast.span_json(self.statement.span),
        }


def check_statement(
    statement: ast.Statement, index: int, options: CheckOptions
) -> tuple[Query | None, list[Diagnostic]]:
    ctx = StatementContext(statement, options)
    for rule in RULES:
        rule(ctx)
    diagnostics = sorted(ctx.finish(), key=lambda d: _position(d, statement))
    if has_errors(diagnostics) or ctx.endpoint is None:
        return None, diagnostics
    query = Query(
        index,
        ctx.endpoint.name,
        ctx.metrics,
        ctx.tweet_ids,
        ctx.time_range,
        ctx.groupings,
        ctx.now,
        ctx.tweet_origin,
        statement,
    )
    return query, diagnostics


def _position(diagnostic: Diagnostic, statement: ast.Statement) -> tuple[int, int]:
    """Query text first, in order of place; then other sources (IDs files); then no place."""
    span = diagnostic.span
    if span is None:
        return (2, 0)
    return (0 if span.source is statement.span.source else 1, span.start)


__all__ = ["CheckOptions", "Query", "check_statement"]
