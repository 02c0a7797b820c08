"""A table for the terminal: aligned columns, counts with thousands separators, one
table per statement (headed by its number and grouping when there are several). It is
read by eye, so it leaves out ``bucket_start``: its day and hour say the same."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from engql.output.format import OutputFormat, named

if TYPE_CHECKING:
    from engql.executor.result import Result


def write_result(result: Result, out: IO[str], grouping: str | None, long: bool) -> None:
    from tabulate import tabulate  # type: ignore[import-untyped]  # loaded only for tables

    several = len(result.statements) > 1
    for index, statement in enumerate(result.statements):
        name = named(statement, grouping)
        if several:
            out.write(f"statement {index + 1}, grouping {name or statement.grouping_names[0]}\n")
        found = statement.row_values(name, long, bucket=False)
        align = ["right" if isinstance(v, int) else "left" for v in found[0]] if found else None
        rows = [[_cell(v) for v in row] for row in found]
        header = statement.columns(name, long, bucket=False)
        out.write(tabulate(rows, headers=header, disable_numparse=True, colalign=align) + "\n")
        if index + 1 < len(result.statements):
            out.write("\n")


def _cell(value: Any) -> str:
    """Counts with thousands separators; IDs, days and hours as they are."""
    return f"{value:,}" if isinstance(value, int) else str(value)


FORMAT = OutputFormat(name="table", write_result=write_result)
