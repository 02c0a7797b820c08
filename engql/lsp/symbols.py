"""The outline: one symbol per statement, named by its endpoint and its groupings."""

from __future__ import annotations

from lsprotocol import types

from engql.lsp.positions import to_range
from engql.syntax.ast import Script, Statement


def statement_symbols(script: Script, encoding: str) -> list[types.DocumentSymbol]:
    return [
        types.DocumentSymbol(
            name=_name(statement),
            detail=_metrics(statement),
            kind=types.SymbolKind.Struct,
            range=to_range(statement.span, encoding),
            selection_range=to_range(statement.endpoint.span, encoding),
        )
        for statement in script.statements
    ]


def _name(statement: Statement) -> str:
    """``historical by tweet.id, engagement.day``; ``AS`` names stand for their keys."""
    groupings = [
        g.name.text if g.name else ", ".join(k.text for k in g.keys) for g in statement.groupings
    ]
    shown = f" by {'; '.join(groupings)}" if groupings else ""
    return statement.endpoint.text + shown


def _metrics(statement: Statement) -> str:
    if statement.metrics is None:
        return "SELECT *"
    return "SELECT " + ", ".join(m.text for m in statement.metrics)
