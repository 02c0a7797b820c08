"""A run's result written out: json (the API's shape), jsonl, csv, table, or raw.

This is the edge of the pipeline: everything before it is data; here it becomes text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from engql.executor.result import Result, StatementResult
from engql.plan.planner import StatementPlan

FORMATS = ("table", "json", "jsonl", "csv", "raw")
_ROW_JSON = json.JSONEncoder(check_circular=False).encode
"""A row holds text and integers only, so the encoder skips its cycle check: a third
faster than json.dumps, for output that can be millions of rows."""


def write_result(
    result: Result, fmt: str, out: IO[str], grouping: str | None = None, long: bool = False
) -> None:
    """Write ``result`` as ``fmt`` ("raw" is written while the run goes, not here)."""
    if fmt == "json":
        data: Any = [s.to_json() for s in result.statements]
        json.dump(data[0] if len(data) == 1 else data, out, indent=2)
        out.write("\n")
    elif fmt == "jsonl":
        for row in _rows(result, grouping, long):
            out.write(_ROW_JSON(row) + "\n")
    elif fmt == "csv":
        _write_csv(result, out, grouping, long)
    elif fmt == "table":
        _write_table(result, out, grouping, long)


def _several(result: Result) -> bool:
    return len(result.statements) > 1


def _named(statement: StatementResult, grouping: str | None) -> str | None:
    """A grouping name applies to the statements that have it; the others show their first."""
    return grouping if grouping in statement.grouping_names else None


def _rows(result: Result, grouping: str | None, long: bool) -> Iterator[dict[str, Any]]:
    for index, statement in enumerate(result.statements):
        if statement.streamed:
            continue
        for row in statement.rows(_named(statement, grouping), long):
            yield {"statement": index, **row} if _several(result) else row


def _write_csv(result: Result, out: IO[str], grouping: str | None, long: bool) -> None:
    """Tweet IDs are written as ="…" so spreadsheets keep all 19 digits as text."""
    writer = csv.writer(out, lineterminator="\n")
    for index, statement in enumerate(result.statements):
        if statement.streamed:
            continue
        name = _named(statement, grouping)
        header = statement.columns(name, long)
        if _several(result):
            header = ["statement", *header]
        writer.writerow(header)
        for row in statement.rows(name, long):
            values = [f'="{v}"' if k == "tweet_id" else v for k, v in row.items()]
            writer.writerow([index, *values] if _several(result) else values)


def _cell(value: Any) -> str:
    """Counts with thousands separators; IDs, days and hours as they are."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def _write_table(result: Result, out: IO[str], grouping: str | None, long: bool) -> None:
    from tabulate import tabulate  # type: ignore[import-untyped]  # loaded only for tables

    for index, statement in enumerate(result.statements):
        name = _named(statement, grouping)
        if _several(result):
            out.write(f"statement {index + 1}, grouping {name or statement.grouping_names[0]}\n")
        header = statement.columns(name, long)
        found = list(statement.rows(name, long))
        first = found[0].values() if found else ()
        align = ["right" if isinstance(v, int) else "left" for v in first] or None
        rows = [[_cell(v) for v in row.values()] for row in found]
        table = tabulate(rows, headers=header, disable_numparse=True, colalign=align)
        out.write(table + "\n")
        if index + 1 < len(result.statements):
            out.write("\n")


class RowStream:
    """Rows written batch by batch while a streamed run goes (jsonl, or csv for one
    statement): nothing of the answer is kept once its rows are out."""

    def __init__(
        self, fmt: str, out: IO[str], statements: int, grouping: str | None, long: bool
    ) -> None:
        self._fmt, self._out, self._grouping, self._long = fmt, out, grouping, long
        self._several = statements > 1
        self._writer = csv.writer(out, lineterminator="\n")
        self._headed: set[int] = set()

    @staticmethod
    def can_stream(fmt: str, statements: int) -> bool:
        return fmt == "jsonl" or (fmt == "csv" and statements == 1)

    def write_batch(self, plan: StatementPlan, answer: dict[str, Any]) -> None:
        part = StatementResult(plan, answer, {})
        name = _named(part, self._grouping)
        number = plan.query.index
        if self._fmt == "csv":
            if number not in self._headed:
                self._headed.add(number)
                self._writer.writerow(part.columns(name, self._long))
            for row in part.rows(name, self._long):
                self._writer.writerow([f'="{v}"' if k == "tweet_id" else v for k, v in row.items()])
            return
        rows = part.rows(name, self._long)
        if self._several:
            rows = ({"statement": number, **row} for row in rows)
        self._out.write("".join(_ROW_JSON(row) + "\n" for row in rows))
