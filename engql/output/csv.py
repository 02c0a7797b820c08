"""CSV as RFC 4180 writes it (Python's csv module: fields quoted only where needed, lines
ending in CRLF), one table a file: a header, then one line per row. Tweet IDs are their
digits, which pandas and DuckDB read as 64-bit integers; ``bucket_start`` is RFC 3339
text, which DuckDB reads as a timestamp. A file of several statements is one table
(``ONE_TABLE``), so it streams for any number of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import IO, TYPE_CHECKING

from engql.output.format import OutputFormat, Part, one_table

if TYPE_CHECKING:
    from engql.executor.rows import Row


class CsvRows:
    """The header before the first row (or at the end, when no row came); with several
    statements each row is put under the columns of the one table, a first column
    ``statement`` saying which statement it belongs to, and empty cells where it has
    no such column."""

    def __init__(self, out: IO[str], parts: Sequence[Part]) -> None:
        import csv  # loaded only when CSV is written

        self._writer = csv.writer(out)
        self._header = one_table(parts)
        self._headed = False
        self._places: dict[int, list[int]] | None = None
        if len(parts) > 1:
            at = self._header.index
            self._places = {part.statement: list(map(at, part.names)) for part in parts}

    def write_rows(self, statement: int, rows: Sequence[Row]) -> None:
        self._head()
        if not rows:
            return
        if self._places is None:
            self._writer.writerows(rows)
            return
        cells: list[Iterable[object]] = [repeat(statement)]
        cells += [repeat("")] * (len(self._header) - 1)
        for at, column in zip(self._places[statement], zip(*rows, strict=True), strict=True):
            cells[at] = column
        self._writer.writerows(zip(*cells, strict=False))  # repeat() has no end

    def close(self) -> None:
        self._head()

    def _head(self) -> None:
        if not self._headed:
            self._headed = True
            self._writer.writerow(self._header)


FORMAT = OutputFormat(name="csv", open_rows=CsvRows, one_table=True, extension=".csv")
