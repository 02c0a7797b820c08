"""SELECT names metrics the endpoint offers, each once (E102, E103, E104, W101).

``SELECT *`` means every metric of the endpoint, in the order the API lists them.
"""

from __future__ import annotations

from engql import facts
from engql.check.context import StatementContext, did_you_mean


def check(ctx: StatementContext) -> None:
    endpoint = ctx.endpoint
    names = ctx.statement.metrics
    if names is None:
        ctx.metrics = endpoint.metrics if endpoint else ()
        return
    seen: dict[str, None] = {}
    for name in names:
        metric = name.text
        if metric in seen:
            ctx.report("W101", f"metric '{metric}' is selected twice; sending it once", name.span)
            continue
        seen[metric] = None
        if metric in facts.DEPRECATED_METRICS:
            new = facts.DEPRECATED_METRICS[metric]
            ctx.report(
                "E103",
                f"metric '{metric}' was replaced by '{new}' on 2017-10-09",
                name.span,
                f"select '{new}' instead",
            )
        elif metric not in facts.METRICS:
            ctx.report(
                "E102",
                f"unknown metric '{metric}'",
                name.span,
                did_you_mean(metric, facts.METRICS),
            )
        elif endpoint and metric not in endpoint.metrics:
            offered_by = [e.name for e in facts.ENDPOINTS.values() if metric in e.metrics]
            ctx.report(
                "E104",
                f"metric '{metric}' is not offered by /{endpoint.name}",
                name.span,
                f"'{metric}' is offered by /{' and /'.join(offered_by)}",
            )
    ctx.metrics = tuple(seen)
