"""A plan in words: endpoint, auth, IDs → batches × windows = requests, and the least time."""

from __future__ import annotations

import math

from engql.facts import AUTH_WORDS
from engql.plan.planner import Plan, StatementPlan
from engql.times import iso


def minimum_time(requests: int, rate_limit: int) -> str:
    """The least wall time ``requests`` need at ``rate_limit`` requests a minute."""
    if requests == 0:
        return "nothing to send"
    minutes = math.ceil(requests / rate_limit) - 1
    if minutes == 0:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    return f"at least {hours} h {rest} min" if hours else f"at least {minutes} min"


def explain_statement(plan: StatementPlan, rate_limit: int) -> list[str]:
    query = plan.query
    where = ""
    if query.statement.span is not None:
        line, _ = query.statement.span.start_line_col()
        where = f" (line {line})"
    ids = len(query.tweet_ids)
    windows = plan.window_count
    lines = [
        f"statement {query.index + 1}{where}: /{query.endpoint}; {AUTH_WORDS[plan.auth]}",
        f"  {ids:,} Tweet ID{'s' if ids != 1 else ''} → {plan.batch_count:,} "
        f"batch{'es' if plan.batch_count != 1 else ''} of up to {plan.batch_size} × "
        f"{windows:,} window{'s' if windows != 1 else ''} = {len(plan.requests):,} "
        f"request{'s' if len(plan.requests) != 1 else ''}",
        f"  metrics: {', '.join(query.metrics)}",
    ]
    for name, keys in query.groupings:
        lines.append(f"  grouping {name!r}: {', '.join(keys)}")
    if plan.windows:
        first, last = plan.windows[0], plan.windows[-1]
        lines.append(f"  time: {iso(first.start)} to {iso(last.end)} in windows of ≤ 28 days")
    elif query.endpoint == "28hr":
        lines.append("  time: the 28 hours before the request")
    elif query.endpoint == "historical":
        lines.append("  time: the API's default, the 4 weeks before the request")
    lines.append(
        f"  at {rate_limit} requests/minute: {minimum_time(len(plan.requests), rate_limit)}"
    )
    return lines


def explain_plan(plan: Plan, rate_limit: int) -> str:
    lines: list[str] = []
    for statement in plan.statements:
        lines.extend(explain_statement(statement, rate_limit))
    if len(plan.statements) > 1:
        total = len(plan.requests)
        lines.append(
            f"total: {total:,} requests; at {rate_limit} requests/minute: "
            f"{minimum_time(total, rate_limit)}"
        )
    return "\n".join(lines)
