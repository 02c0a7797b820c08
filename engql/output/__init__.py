"""A run's result written out: the registry of output formats, one module each.

This is the edge of the pipeline: everything before it is data; here it becomes text.
``FORMAT_NAMES`` is what the CLI's ``--format``, the shell's ``\\format`` and its
completion offer; each format's declaration (``output_format``) decides whether a run
streams its rows and whether its output is scrubbed of credentials (``server_text``).
A format's module is loaded when it is first asked for, so that commands that write no
result (``compile``, ``check``) do not load them.

Adding an output format: write a module here, named after the format, that declares
``FORMAT = OutputFormat(...)`` with the writers it has (a whole Result; rows as they
come, if it can write them without seeing them all; each response), add its name to
``FORMAT_NAMES`` below, test it in tests/test_output_registry.py and describe it under
"Outputs" in docs/running.md. The CLI and the shell then offer it; a format that writes a
whole result is offered in the shell too (docs/repl.md lists the shell's formats).
"""

from __future__ import annotations

import importlib
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from engql.executor.result import Result
    from engql.executor.runner import Batch
    from engql.output.format import OutputFormat, RowWriter

FORMAT_NAMES = ("table", "json", "jsonl", "csv", "raw")
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
    """The names the shell's ``\\format`` takes: the formats that write a whole result."""
    return tuple(name for name, f in formats().items() if f.write_result is not None)


def write_result(
    result: Result, fmt: str, out: IO[str], grouping: str | None = None, long: bool = False
) -> None:
    """Write ``result`` as ``fmt``; a format written only while the run goes (raw) writes
    nothing here."""
    writer = output_format(fmt).write_result
    if writer is not None:
        writer(result, out, grouping, long)


class RowStream:
    """Rows written batch by batch while a streamed run goes (the formats that can, for
    as many statements as they can): nothing of the answer is kept once its rows are out."""

    def __init__(
        self, fmt: str, out: IO[str], statements: int, grouping: str | None, long: bool
    ) -> None:
        opener = output_format(fmt).open_rows
        if opener is None:
            raise ValueError(f"{fmt} does not write rows as they come")
        self._rows: RowWriter = opener(out, statements > 1)
        self._grouping, self._long = grouping, long

    @staticmethod
    def can_stream(fmt: str, statements: int) -> bool:
        return output_format(fmt).can_stream(statements)

    def write_batch(self, batch: Batch) -> None:
        """The rows of one batch's merged answer to a statement."""
        from engql.executor.result import StatementResult  # loaded only when a run goes
        from engql.output.format import named

        plan = batch.plan
        part = StatementResult(plan, batch.answer, {})
        name = named(part, self._grouping)
        columns = part.columns(name, self._long)
        self._rows.write_rows(plan.query.index, columns, part.row_values(name, self._long))
