"""Source text and spans: offsets in, line and column out, for messages and carets."""

from __future__ import annotations

from bisect import bisect_right

import attrs

from engql.record import Record


@attrs.frozen(eq=False, repr=False)
class Source(Record):
    """A piece of text a user wrote (a query file, a parameter, an IDs file).

    ``name`` is what messages call it: a path, ``<stdin>`` or ``<query>``.
    """

    text: str
    name: str = "<query>"
    _line_starts: list[int] = attrs.field(init=False, repr=False, factory=list)

    def _starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts.extend(starts)
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset; columns count characters."""
        starts = self._starts()
        line = bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        begin, end = self.line_bounds(line)
        return self.text[begin:end]

    def line_bounds(self, line: int) -> tuple[int, int]:
        """The offsets ``[begin, end)`` of a 1-based line's text, without its line break."""
        starts = self._starts()
        begin = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        while end > begin and self.text[end - 1] == "\r":
            end -= 1
        return begin, end

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and column."""
        return self._starts()[line - 1] + column - 1

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, end)


@attrs.frozen(eq=False, repr=False)
class Span(Record):
    """A range of characters ``[start, end)`` in a Source."""

    source: Source
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def start_line_col(self) -> tuple[int, int]:
        return self.source.line_col(self.start)

    def end_line_col(self) -> tuple[int, int]:
        return self.source.line_col(max(self.end, self.start))
