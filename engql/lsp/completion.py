"""Completion at the cursor: the shell's ``complete``, with LSP's kinds."""

from __future__ import annotations

from lsprotocol import types

from engql.facts import ENDPOINTS, GROUP_KEYS, METRICS
from engql.lsp.positions import offset, position
from engql.repl.completion import Suggestion, complete
from engql.syntax.source import Source

_Kind = types.CompletionItemKind


def kind(text: str) -> types.CompletionItemKind:
    """What a suggestion names: a metric, an endpoint, a grouping key, a parameter, a keyword."""
    if text in METRICS or text == "*":
        return _Kind.Field
    if text in ENDPOINTS:
        return _Kind.Module
    if text in GROUP_KEYS:
        return _Kind.Property
    if text.startswith(":"):
        return _Kind.Variable
    return _Kind.Keyword


def completions(source: Source, at: types.Position, encoding: str) -> types.CompletionList:
    cursor = offset(source, at, encoding)
    items = [_item(source, s, cursor, encoding) for s in complete(source.text, cursor)]
    return types.CompletionList(is_incomplete=False, items=items)


def _item(
    source: Source, suggestion: Suggestion, cursor: int, encoding: str
) -> types.CompletionItem:
    replaced = types.Range(
        start=position(source, suggestion.start, encoding),
        end=position(source, cursor, encoding),
    )
    return types.CompletionItem(
        label=suggestion.text,
        kind=kind(suggestion.text),
        detail=suggestion.meta,
        text_edit=types.TextEdit(range=replaced, new_text=suggestion.text),
    )
