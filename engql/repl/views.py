"""A run's result as only the shell shows it: psql's expanded records (``\\x``) and the
list of the Tweets that have no answer (``\\missing``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engql.executor.result import Result


def expanded(result: Result) -> str:
    """Each row as a block of ``column | value`` lines under ``-[ RECORD n ]-``, as psql's
    ``\\x`` prints them, so a row wider than the screen reads down instead of across; one
    set of blocks per statement, headed as the table format heads them."""
    several = len(result.statements) > 1
    parts = []
    for index, statement in enumerate(result.statements):
        head = f"statement {index + 1}, grouping {statement.grouping_names[0]}\n"
        columns = statement.columns(bucket=False)
        rows = [[_cell(v) for v in row] for row in statement.row_values(bucket=False)]
        parts.append((head if several else "") + _records(columns, rows))
    return "\n".join(parts)


def _records(columns: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(0 rows)\n"
    name_width = max(len(c) for c in columns)
    value_width = max(len(v) for row in rows for v in row)
    lines = []
    for number, row in enumerate(rows, 1):
        lines.append(_record_line(number, name_width, value_width))
        lines += [f"{c:<{name_width}} | {v}" for c, v in zip(columns, row, strict=True)]
    return "\n".join(lines) + "\n"


def _record_line(number: int, name_width: int, value_width: int) -> str:
    """``-[ RECORD 1 ]-+------``: as wide as the widest ``name | value`` line, with ``+``
    over the bar when the label leaves room for it (psql's rule)."""
    label = f"-[ RECORD {number} ]"
    if len(label) <= name_width + 1:
        label = label.ljust(name_width + 1, "-") + "+"
    return label.ljust(name_width + 3 + value_width, "-")


def _cell(value: Any) -> str:
    """Counts with thousands separators, as the table shows them."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def missing_table(result: Result) -> str:
    """Every Tweet a statement has no answer for, with why; a statement column when
    there are several statements."""
    from tabulate import tabulate  # type: ignore[import-untyped]  # loaded on use

    several = len(result.statements) > 1
    rows = [
        ([index + 1] if several else []) + [tweet, reason.text]
        for index, statement in enumerate(result.statements)
        for tweet, reason in statement.missing.items()
    ]
    headers = (["statement"] if several else []) + ["tweet_id", "reason"]
    table: str = tabulate(rows, headers=headers, disable_numparse=True)
    return table + "\n"
