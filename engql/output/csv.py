"""CSV: a header, then one line per row; Tweet IDs as ="…" so that spreadsheets keep
all 19 digits as text. Streamed for a run of one statement: several statements each
have a header of their own, so their rows cannot interleave."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import IO, TYPE_CHECKING

from engql import facts
from engql.executor.rows import KEY_COLUMNS
from engql.output.format import STATEMENT, OutputFormat, write_rows

if TYPE_CHECKING:
    from engql.executor.result import Result
    from engql.executor.rows import Row

TWEET_ID = dict(KEY_COLUMNS)[facts.TWEET_ID]
"""The column written as a formula."""


class CsvRows:
    """Each statement's header before its first rows; with several statements a first
    column, ``statement``, says which statement a row belongs to."""

    def __init__(self, out: IO[str], several: bool) -> None:
        import csv  # loaded only when CSV is written

        self._writer = csv.writer(out, lineterminator="\n")
        self._several = several
        self._headed: set[int] = set()

    def write_rows(self, statement: int, names: Sequence[str], rows: Sequence[Row]) -> None:
        if statement not in self._headed:
            self._headed.add(statement)
            self._writer.writerow([STATEMENT, *names] if self._several else names)
        if not rows:
            return
        columns: list[Iterable[object]] = list(zip(*rows, strict=True))  # a column at a time
        if TWEET_ID in names:
            at = list(names).index(TWEET_ID)
            columns[at] = [f'="{tweet}"' for tweet in columns[at]]
        if self._several:
            columns.insert(0, repeat(statement))
        self._writer.writerows(zip(*columns, strict=False))  # repeat() has no end


def write_result(result: Result, out: IO[str], grouping: str | None, long: bool) -> None:
    write_rows(result, CsvRows(out, len(result.statements) > 1), grouping, long)


FORMAT = OutputFormat(name="csv", write_result=write_result, open_rows=CsvRows, stream_statements=1)
