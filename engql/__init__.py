"""engql: a query language for the X Enterprise Engagement API.

``parse`` reads a script into a tree, ``check`` lists its problems, ``compile`` turns it
into a plan of HTTP requests and ``format`` prints it in canonical form. Everything not
exported here may change.
"""

from engql.diagnostics import Diagnostic, EngqlError
from engql.parser import parse
from engql.pipeline import check, compile, format
from engql.planner import Plan, Request, StatementPlan, Window

__all__ = [
    "Diagnostic",
    "EngqlError",
    "Plan",
    "Request",
    "StatementPlan",
    "Window",
    "check",
    "compile",
    "format",
    "parse",
]
