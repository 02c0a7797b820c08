"""A run's result written out: the registry of output formats, one module each.

This is the edge of the pipeline: everything before it is data; here it becomes text
(or bytes). ``FORMAT_NAMES`` is what the CLI's ``--format``, the shell's ``\\format``
and its completion offer; each format's declaration (``output_format``) decides whether
a run streams its rows, whether its output is scrubbed of credentials (``server_text``),
whether it writes bytes, which ``-o`` extension picks it and which extra it needs. A
format's module is loaded when it is first asked for, so that commands that write no
result (``compile``, ``check``) do not load them, and a format's library (pyarrow,
XlsxWriter) only when it writes.

Adding an output format: write a module here, named after the format, that declares
``FORMAT = OutputFormat(...)`` with the writers it has (rows as they come, if it can
write them without seeing them all; else a whole Result; each response), add its name
to ``FORMAT_NAMES`` below, test it in tests/test_output_registry.py and describe it
under "Outputs" in docs/running.md. The CLI then offers it; a text format that writes a
whole result is offered in the shell too (docs/repl.md lists the shell's formats).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engql.executor.result import Result
    from engql.executor.runner import Batch
    from engql.output.format import OutputFormat, RowWriter
    from engql.plan.planner import StatementPlan

FORMAT_NAMES = ("table", "json", "jsonl", "csv", "parquet", "xlsx", "raw")
"""Every output format, by the name of its module here, in the order the CLI offers them."""


def format_names() -> tuple[str, ...]:
    """The names ``engql run --format`` takes."""
    return FORMAT_NAMES


def output_format(name: str) -> OutputFormat:
    """The format called ``name`` (KeyError for none)."""
    if name not in FORMAT_NAMES:
        raise KeyError(name)
    found: OutputFormat = importlib.import_module(f"{__name__}.{name}").FORMAT
    return found


def formats() -> dict[str, OutputFormat]:
    """Every output format by name."""
    return {name: output_format(name) for name in FORMAT_NAMES}


def shell_formats() -> tuple[str, ...]:
    """The names the shell's ``\\format`` takes: the formats that write a whole result
    as text (the shell writes to the terminal)."""
    return tuple(name for name, f in formats().items() if f.writes_result and not f.binary)


def extensions() -> dict[str, str]:
    """The ``-o`` file name endings that pick a format, each to its format's name."""
    return {f.extension: name for name, f in formats().items() if f.extension is not None}


def format_of_file(path: str) -> str | None:
    """The format an ``-o`` file's extension picks (any case), None for none."""
    suffix = os.path.splitext(path)[1].lower()
    return extensions().get(suffix)


def missing_library(fmt: str) -> str | None:
    """Why ``fmt`` cannot be written here, as one line: the library it needs is not
    installed (or does not load). None when it can be."""
    found = output_format(fmt)
    if found.library is None:
        return None
    try:
        importlib.import_module(found.library)
    except ImportError:
        return f"{fmt} output needs {found.library}: pip install 'engql[{found.extra}]'"
    return None


def write_result(
    result: Result, fmt: str, out: IO[Any], grouping: str | None = None, long: bool = False
) -> None:
    """Write ``result`` as ``fmt``; a format written only while the run goes (raw) writes
    nothing here."""
    found = output_format(fmt)
    if found.open_rows is not None:
        plans = [statement.plan for statement in result.statements]
        RowStream(fmt, out, plans, grouping, long).finish(result)
    elif found.write_result is not None:
        found.write_result(result, out, grouping, long)


class RowStream:
    """Rows written batch by batch while a streamed run goes: nothing of the answer is
    kept once its rows are out. ``finish`` writes the statements that did not stream and
    ends the output; ``close`` ends it after a stop."""

    def __init__(
        self,
        fmt: str,
        out: IO[Any],
        plans: Sequence[StatementPlan],
        grouping: str | None,
        long: bool,
    ) -> None:
        from engql.output.format import parts

        found = output_format(fmt)
        if found.open_rows is None:
            raise ValueError(f"{fmt} does not write rows as they come")
        self._parts = parts(plans, grouping, long, found.one_table)
        self._rows: RowWriter = found.open_rows(out, self._parts)
        self._open = True

    @staticmethod
    def can_stream(fmt: str) -> bool:
        return output_format(fmt).can_stream

    def write_batch(self, batch: Batch) -> None:
        """The rows of one batch's merged answer to a statement."""
        from engql.executor.result import StatementResult  # loaded only when a run goes

        part = self._parts[batch.plan.query.index]
        rows = StatementResult(batch.plan, batch.answer, {}).row_values(part.grouping, part.long)
        self._rows.write_rows(part.statement, rows)

    def finish(self, result: Result) -> None:
        """The rows of every statement of ``result`` that did not stream, then the end."""
        for part, statement in zip(self._parts, result.statements, strict=True):
            if not statement.streamed:
                self._rows.write_rows(
                    part.statement, statement.row_values(part.grouping, part.long)
                )
        self.close()

    def close(self) -> None:
        """End the output, once: a file of what was written so far after a stop."""
        if self._open:
            self._open = False
            self._rows.close()
