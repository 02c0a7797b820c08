"""engql: a query language for the X Enterprise Engagement API.

``parse`` reads a script into a tree, ``check`` lists its problems, ``compile`` turns it
into a plan of HTTP requests, ``format`` prints it in canonical form, and ``Client`` runs
it and returns a ``Result``. Everything not exported here may change.
"""

from typing import TYPE_CHECKING, Any

from engql.diagnostics import Diagnostic, EngqlError
from engql.pipeline import check, compile, format
from engql.plan.planner import Plan, Request, StatementPlan, Window
from engql.syntax.parser import parse

if TYPE_CHECKING:
    from engql.client import Client
    from engql.executor.result import Result


def __getattr__(name: str) -> Any:
    """``Client`` and ``Result`` load on first use: compiling needs no HTTP libraries."""
    if name == "Client":
        from engql.client import Client

        return Client
    if name == "Result":
        from engql.executor.result import Result

        return Result
    raise AttributeError(f"module 'engql' has no attribute {name!r}")


__all__ = [
    "Client",
    "Diagnostic",
    "EngqlError",
    "Plan",
    "Request",
    "Result",
    "StatementPlan",
    "Window",
    "check",
    "compile",
    "format",
    "parse",
]
