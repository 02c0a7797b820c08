"""``engql debug ast|query|plan``: the value a stage of the pipeline gives, as JSON data.

``ast`` is the syntax stage's Script (the tree with spans), ``query`` the check stage's
Queries, ``plan`` the plan stage's Plan. A stage that finds errors gives no value, only
its diagnostics: ``ast`` stops at syntax errors, the others at any error.
"""

from __future__ import annotations

from typing import Any

from engql import facts
from engql.check import CheckOptions
from engql.diagnostics import Diagnostic, has_errors
from engql.pipeline import analyse, plan_source
from engql.plan.planner import Plan
from engql.syntax import ast
from engql.syntax.parser import parse_script
from engql.syntax.source import Source
from engql.times import iso


def stage_json(
    stage: str, source: Source, options: CheckOptions, base_url: str = facts.DEFAULT_BASE_URL
) -> tuple[Any | None, list[Diagnostic]]:
    """The JSON data of ``stage`` for a script (None when it has errors), and the
    diagnostics found on the way there; a plan's request URLs are on ``base_url``."""
    if stage == "ast":
        script, diagnostics = parse_script(source)
        return (None if has_errors(diagnostics) else ast.dump(script, spans=True)), diagnostics
    if stage == "query":
        _, queries, diagnostics = analyse(source, options)
        if has_errors(diagnostics):
            return None, diagnostics
        return {"queries": [query.to_json() for query in queries]}, diagnostics
    if stage == "plan":
        plan, diagnostics = plan_source(source, options)
        return (None if plan is None else plan_json(plan, base_url)), diagnostics
    raise ValueError(f"no stage is called {stage!r}: ast, query or plan")


def plan_json(plan: Plan, base_url: str = facts.DEFAULT_BASE_URL) -> dict[str, Any]:
    """Each statement's plan: its auth, batches, windows and requests (its warnings are
    diagnostics, printed where diagnostics go)."""
    return {
        "statements": [
            {
                "statement": statement.query.index,
                "endpoint": statement.query.endpoint,
                "auth": statement.auth,
                "batch_size": statement.batch_size,
                "batch_count": statement.batch_count,
                "windows": [{"start": iso(w.start), "end": iso(w.end)} for w in statement.windows],
                "requests": [request.to_json(base_url=base_url) for request in statement.requests],
            }
            for statement in plan.statements
        ]
    }
