"""``time BETWEEN a AND b`` only on /historical, readable, ordered and in range (Part A §3).

Errors: a range on /totals or /28hr (E401), unreadable times and unbound or ill-typed
parameters (E402, E306), start not before end (E403), start before 2014-09-01 (E404), end
in the future (E405: after the current hour, since the API rounds the end up to the hour
before it compares), two ranges (E406). Warnings: a start more than 365 days ago
(W401), favorites, replies and retweets before 2015-09-15 (W402).
"""

from __future__ import annotations

from datetime import date, datetime

from engql import facts
from engql.check.context import StatementContext
from engql.syntax import ast
from engql.times import BadTime, ceil_hour, resolve_time, time_from_value


def check(ctx: StatementContext) -> None:
    ranges = [c for c in ctx.statement.conditions if isinstance(c, ast.TimeRange)]
    if not ranges:
        return
    for extra in ranges[1:]:
        ctx.report("E406", "a time range is already given in this statement", extra.span)
    time_range = ranges[0]
    endpoint = ctx.endpoint
    if endpoint is not None and not endpoint.takes_time_range:
        window = "the last 28 hours" if endpoint.name == "28hr" else "the Tweet's whole lifetime"
        ctx.report(
            "E401",
            f"/{endpoint.name} takes no time range: it always covers {window}",
            time_range.span,
            "use FROM historical for a chosen window",
        )
    start = _resolve(ctx, time_range.start)
    end = _resolve(ctx, time_range.end)
    if start is not None and (endpoint is None or endpoint.takes_time_range):
        _check_start(ctx, time_range.start, start)
    if end is not None:
        _check_end(ctx, time_range.end, end)
    if start is None or end is None:
        return
    if start >= end:
        ctx.report(
            "E403",
            f"the range starts ({start:%Y-%m-%d %H:%M}Z) at or after it ends "
            f"({end:%Y-%m-%d %H:%M}Z)",
            time_range.span,
        )
    elif endpoint is not None and endpoint.takes_time_range:
        ctx.time_range = (start, end)


def _resolve(ctx: StatementContext, expr: ast.TimeExpr) -> datetime | None:
    try:
        if isinstance(expr, ast.Param):
            if expr.name not in ctx.options.params:
                ctx.report(
                    "E306",
                    f"parameter :{expr.name} is not bound",
                    expr.span,
                    f"bind it: -p {expr.name}=2024-01-01 on the command line, "
                    f"params={{'{expr.name}': datetime(...)}} in Python",
                )
                return None
            value = ctx.options.params[expr.name]
            if not isinstance(value, str | date | datetime):
                ctx.report(
                    "E310",
                    f"parameter :{expr.name} holds {_kind(value)}, not a time",
                    expr.span,
                    "bind a datetime, a date or ISO text like 2024-01-01",
                )
                return None
            return time_from_value(value, ctx.now)
        return resolve_time(expr, ctx.now)
    except BadTime as bad:
        ctx.report("E402", str(bad), expr.span)
    except (OverflowError, ValueError):
        ctx.report("E402", "this time is out of the range of dates", expr.span)
    return None


def _kind(value: object) -> str:
    name = type(value).__name__
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _check_start(ctx: StatementContext, expr: ast.TimeExpr, start: datetime) -> None:
    if start < facts.HISTORICAL_EARLIEST:
        ctx.report(
            "E404",
            f"the range starts {start:%Y-%m-%d}, before the API's first day, "
            f"{facts.HISTORICAL_EARLIEST:%Y-%m-%d}",
            expr.span,
        )
        return
    if start < ctx.now - facts.HISTORICAL_RECENT_LIMIT:
        ctx.report(
            "W401",
            f"the range starts more than {facts.HISTORICAL_RECENT_LIMIT.days} days ago; "
            "the API's overview limits historical data to the last 365 days",
            expr.span,
        )
    public = [m for m in ctx.metrics if m in facts.PUBLIC_COUNTS_METRICS]
    if public and start < facts.PUBLIC_COUNTS_START:
        ctx.report(
            "W402",
            f"{', '.join(public)} read as zero before "
            f"{facts.PUBLIC_COUNTS_START:%Y-%m-%d} on /historical",
            expr.span,
        )


def _check_end(ctx: StatementContext, expr: ast.TimeExpr, end: datetime) -> None:
    last_hour = ceil_hour(ctx.now)
    if end > last_hour:
        ctx.report(
            "E405",
            f"the range ends in the future ({end:%Y-%m-%d %H:%M}Z); the latest end "
            f"the API accepts now is the end of the current hour, {last_hour:%Y-%m-%d %H:%M}Z",
            expr.span,
            "end it at now",
        )
