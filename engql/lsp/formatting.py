"""Formatting with ``engql fmt``'s formatter; a document that does not parse is left as it is."""

from __future__ import annotations

from lsprotocol import types

from engql.diagnostics import EngqlError
from engql.formatter import format_text
from engql.lsp.positions import offset, position
from engql.syntax.parser import parse
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


def format_range_edits(source: Source, where: types.Range, encoding: str) -> list[types.TextEdit]:
    """The statements the range touches, each formatted as ``fmt`` would, their ``;``
    included; nothing when the document does not parse or a statement's ``;`` is not
    right after it (a comment between them: only whole-document formatting moves it)."""
    try:
        script = parse(source.text, source.name)
    except EngqlError:
        return []
    start, end = offset(source, where.start, encoding), offset(source, where.end, encoding)
    touched = [s for s in script.statements if s.span.start <= end and start <= s.span.end]
    if not touched:
        return []
    first, last = touched[0].span.start, touched[-1].span.end
    after = source.text[last:]
    gap = len(after) - len(after.lstrip(" \t\r\n"))
    if after[gap : gap + 1] == ";":
        last += gap + 1
    elif after.strip():
        return []
    piece = source.text[first:last]
    formatted = format_text(piece, source.name).removesuffix("\n")
    if formatted == piece:
        return []
    replaced = types.Range(
        start=position(source, first, encoding), end=position(source, last, encoding)
    )
    return [types.TextEdit(range=replaced, new_text=formatted)]
