"""FROM names one of the API's endpoints: totals, 28hr or historical (E101)."""

from __future__ import annotations

from engql import facts
from engql.check.context import StatementContext, did_you_mean


def check(ctx: StatementContext) -> None:
    name = ctx.statement.endpoint
    endpoint = facts.ENDPOINTS.get(name.text)
    if endpoint is None:
        choices = ", ".join(facts.ENDPOINTS)
        ctx.report(
            "E101",
            f"unknown endpoint '{name.text}'",
            name.span,
            did_you_mean(name.text, facts.ENDPOINTS) or f"the endpoints are {choices}",
        )
    ctx.endpoint = endpoint
