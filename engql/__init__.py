"""engql: a query language for the X Enterprise Engagement API.

``parse`` reads a script into a tree, ``check`` lists its problems, ``compile`` turns it
into a plan of HTTP requests, ``format`` prints it in canonical form, and ``Client`` runs
it and returns a ``Result``; the errors a caller catches are here too. Everything not
exported here may change. ``%load_ext engql`` loads the notebook magic (docs/notebooks.md).
"""

import importlib
from typing import TYPE_CHECKING, Any

from engql.diagnostics import Diagnostic, EngqlError
from engql.pipeline import check, compile, format
from engql.plan.planner import Plan, Request, StatementPlan, Window
from engql.syntax.parser import parse

if TYPE_CHECKING:
    from engql.client import Client, CredentialsMissing
    from engql.config import ConfigError
    from engql.executor.result import Result, StatementResult
    from engql.executor.runner import RunFailed
    from engql.executor.transport import InsecureURL
    from engql.store.url import StoreError

_LAZY = {
    "Client": "engql.client",
    "CredentialsMissing": "engql.client",
    "ConfigError": "engql.config",
    "InsecureURL": "engql.executor.transport",
    "Result": "engql.executor.result",
    "RunFailed": "engql.executor.runner",
    "StatementResult": "engql.executor.result",
    "StoreError": "engql.store.url",
    "load_ipython_extension": "engql.notebook",
    "unload_ipython_extension": "engql.notebook",
}
"""Names that load their module on first use: compiling needs no HTTP libraries, and
only IPython asks for its extension's hooks (they are not part of ``dir``)."""


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version(__name__)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engql' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Client",
    "ConfigError",
    "CredentialsMissing",
    "Diagnostic",
    "EngqlError",
    "InsecureURL",
    "Plan",
    "Request",
    "Result",
    "RunFailed",
    "StatementPlan",
    "StatementResult",
    "StoreError",
    "Window",
    "__version__",
    "check",
    "compile",
    "format",
    "parse",
]
