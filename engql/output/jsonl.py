"""JSON Lines: one JSON object per row, written batch by batch while the run goes.

Each line is what ``json.dumps`` gives for the row as a dict, but made from a template
built once a batch: a row's values are counts (integers) and IDs, days and hours (text
that JSON writes as it is), so a line is its values put into place. A batch with any
other value (text that JSON escapes, a value of another type) is encoded row by row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from engql.output.format import STATEMENT, OutputFormat, Part

if TYPE_CHECKING:
    from engql.executor.rows import Row

_ROW_JSON = json.JSONEncoder(check_circular=False).encode
"""The encoder for rows that need escaping: a row holds text and integers only, so it
skips the cycle check, a third faster than json.dumps."""
_TEXT = frozenset({str})
_INTEGER = frozenset({int})


class JsonLines:
    """Rows as JSON Lines; with several statements each row starts with ``statement``,
    then its statement's own columns (a line is an object of its own, not a table's)."""

    def __init__(self, out: IO[str], parts: Sequence[Part]) -> None:
        self._out = out
        self._names = {part.statement: list(part.names) for part in parts}
        self._several = len(parts) > 1

    def write_rows(self, statement: int, rows: Sequence[Row]) -> None:
        if not rows:
            return
        names = self._names[statement]
        if self._several:
            names = [STATEMENT, *names]
            rows = [(statement, *row) for row in rows]
        self._out.write(json_lines(names, rows))

    def close(self) -> None:
        """Lines need no end."""


def json_lines(names: Sequence[str], rows: Sequence[Row]) -> str:
    """The rows as JSON Lines, each ``json.dumps`` of the row as a dict by ``names``."""
    if not rows:
        return ""
    template = _template(names, rows)
    if template is None:
        return "".join(_ROW_JSON(dict(zip(names, row, strict=True))) + "\n" for row in rows)
    return "".join(map(template.__mod__, rows))


def _template(names: Sequence[str], rows: Sequence[Row]) -> str | None:
    """A %-template of a line, when every column holds integers only or text that JSON
    writes unescaped; else None. Names that repeat (a dict keeps one) have none either."""
    if len(set(names)) != len(names):
        return None
    fields = []
    for name, column in zip(names, zip(*rows, strict=True), strict=True):
        kinds = set(map(type, column))
        if kinds == _INTEGER:
            slot = "%d"
        elif kinds == _TEXT and _unescaped("".join(column)):
            slot = '"%s"'
        else:
            return None
        fields.append(f"{json.dumps(name).replace('%', '%%')}: {slot}")
    return "{" + ", ".join(fields) + "}\n"


def _unescaped(text: str) -> bool:
    """Whether JSON (ASCII only, as json.dumps writes it) writes every character of
    ``text`` as it is: printable ASCII but the quote and the backslash."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


FORMAT = OutputFormat(name="jsonl", open_rows=JsonLines, extension=".jsonl")
"""Streams any number of statements: every row names its statement."""
