"""Formatting with ``engql fmt``'s formatter; a document that does not parse is left as it is."""

from __future__ import annotations

from lsprotocol import types

from engql.diagnostics import EngqlError
from engql.formatter import format_text
from engql.lsp.positions import position
from engql.syntax.source import Source


def format_edits(source: Source, encoding: str) -> list[types.TextEdit]:
    """One edit that replaces the whole text by its canonical form; none when it is
    already canonical or has syntax errors (the formatter would have to guess)."""
    try:
        formatted = format_text(source.text, source.name)
    except EngqlError:
        return []
    if formatted == source.text:
        return []
    whole = types.Range(
        start=types.Position(line=0, character=0),
        end=position(source, len(source.text), encoding),
    )
    return [types.TextEdit(range=whole, new_text=formatted)]
