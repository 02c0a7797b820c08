"""xlsx (XlsxWriter, the extra engql[xlsx]), for spreadsheets: one sheet per statement,
its rows as one statement's file has them, under a header row. Tweet IDs are text cells
(as numbers, Excel would keep 15 of their 19 digits), so are ``day``, ``hour`` and
``metric``; counts are numbers; ``bucket_start`` is a date-time cell (UTC). Written in
XlsxWriter's constant-memory mode, a row at a time to a temporary file per sheet, so a
streamed run keeps no answer in memory; the file itself is put together at the end.
XlsxWriter is loaded only when this format writes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from engql import facts
from engql.executor.rows import BUCKET_START, KEY_COLUMNS, METRIC
from engql.output.format import OutputFormat, Part

if TYPE_CHECKING:
    from engql.executor.rows import Row

SHEET_ROWS = 1_048_576
"""The rows of an Excel sheet, its header included; a statement with more rows goes on
in another sheet."""
SHEET_NAME_CHARS = 31
"""The longest sheet name Excel takes."""
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
TEXT_COLUMNS = frozenset({name for _, name in KEY_COLUMNS} | {METRIC})
WIDTHS = {dict(KEY_COLUMNS)[facts.TWEET_ID]: 21, BUCKET_START: 17}
"""Columns wider than Excel's default, so that their cells show whole."""
TIME_FORMAT = "yyyy-mm-dd hh:mm"

Cell = Callable[[Any, int, int, Any], Any]


def sheet_name(part: Part, more: int = 0) -> str:
    """A statement's sheet: its number (from 1, as a table heads it) and its grouping,
    with ``(N)`` for the sheet its rows go on to, as a valid Excel name: at most 31
    characters, none of ``[]:*?/\\``, no quote at either end (nor, cut short, a space
    at its end). The number keeps it unique."""
    suffix = f" ({more + 1})" if more else ""
    grouping = _NOT_IN_SHEET_NAMES.sub("_", part.grouping)
    name = f"{part.statement + 1} {grouping}"[: SHEET_NAME_CHARS - len(suffix)]
    return name.rstrip("' ") + suffix


class XlsxRows:
    """A sheet per statement, added in statement order when the file is opened, each with
    its header; rows go to their statement's sheet in the order they come."""

    def __init__(self, out: IO[bytes], parts: Sequence[Part], sheet_rows: int = SHEET_ROWS) -> None:
        import xlsxwriter  # type: ignore[import-untyped]  # optional: loaded only here
        from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

        self._book = xlsxwriter.Workbook(out, {"constant_memory": True})
        time = self._book.add_format({"num_format": TIME_FORMAT})

        def write_time(sheet: Any, row: int, column: int, value: str) -> Any:
            # RFC 3339 in UTC ("…Z"); Excel's date-times have no zone.
            return sheet.write_datetime(row, column, datetime.fromisoformat(value[:-1]), time)

        def cell(name: str) -> Cell:
            """Never Worksheet.write, which would take text starting with = for a formula."""
            if name == BUCKET_START:
                return write_time
            write: Cell = Worksheet.write_string if name in TEXT_COLUMNS else Worksheet.write_number
            return write

        self._sheet_rows = sheet_rows
        self._places = {part.statement: _Place(part, self._sheet(part, 0)) for part in parts}
        self._cells = {part.statement: [cell(name) for name in part.names] for part in parts}

    def write_rows(self, statement: int, rows: Sequence[Row]) -> None:
        place = self._places[statement]
        cells = self._cells[statement]
        for row in rows:
            if place.row == self._sheet_rows:
                place.go_on(self._sheet(place.part, place.sheets))
            sheet, at = place.sheet, place.row
            for column, (write, value) in enumerate(zip(cells, row, strict=True)):
                write(sheet, at, column, value)
            place.row = at + 1

    def close(self) -> None:
        self._book.close()

    def _sheet(self, part: Part, more: int) -> Any:
        sheet = self._book.add_worksheet(sheet_name(part, more))
        for column, name in enumerate(part.names):
            if name in WIDTHS:
                sheet.set_column(column, column, WIDTHS[name])
            sheet.write_string(0, column, name)
        sheet.freeze_panes(1, 0)
        return sheet


class _Place:
    """Where a statement's rows go: its sheet, that sheet's next row, and how many sheets
    the statement has had."""

    def __init__(self, part: Part, sheet: Any) -> None:
        self.part, self.sheet, self.row, self.sheets = part, sheet, 1, 1

    def go_on(self, sheet: Any) -> None:
        self.sheet, self.row, self.sheets = sheet, 1, self.sheets + 1


FORMAT = OutputFormat(
    name="xlsx",
    open_rows=XlsxRows,
    binary=True,
    extension=".xlsx",
    library="xlsxwriter",
    extra="xlsx",
)
