"""Offsets in a Source to LSP positions and back.

engql counts characters; LSP counts code units of the encoding agreed at start-up
(UTF-16 unless the client offers another), so a character outside the Basic
Multilingual Plane is one column to engql and two to most editors.
"""

from __future__ import annotations

from lsprotocol import types

from engql.syntax.source import Source, Span

_UTF8, _UTF32 = types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf32


def units(text: str, encoding: str) -> int:
    """How many code units ``text`` is in ``encoding``."""
    if encoding == _UTF32:
        return len(text)
    if encoding == _UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def position(source: Source, offset: int, encoding: str) -> types.Position:
    line, _ = source.line_col(offset)
    begin = source.offset(line, 1)
    return types.Position(line=line - 1, character=units(source.text[begin:offset], encoding))


def to_range(span: Span | None, encoding: str) -> types.Range:
    """A span's range; a diagnostic without a place is shown at the file's start."""
    if span is None:
        start = types.Position(line=0, character=0)
        return types.Range(start=start, end=start)
    end = max(span.end, span.start)
    return types.Range(
        start=position(span.source, span.start, encoding),
        end=position(span.source, end, encoding),
    )


def offset(source: Source, at: types.Position, encoding: str) -> int:
    """The offset of a position; one past a line's end is clamped to it, as LSP says."""
    lines = source.text.count("\n") + 1
    if at.line >= lines:
        return len(source.text)
    begin, end = source.line_bounds(at.line + 1)
    count = 0
    for index in range(begin, end):
        if count >= at.character:
            return index
        count += units(source.text[index], encoding)
    return end
