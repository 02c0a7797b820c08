"""What an output format is, and the rows that the row formats share.

A format is data: its name and the writers it has. A format may write a whole Result
(all but raw), rows batch by batch while the run goes (jsonl, csv), and each response as
it comes (raw). The writers are given the run's output and write text to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Protocol

import attrs

from engql.record import Record

if TYPE_CHECKING:
    from engql.executor.result import Result, StatementResult
    from engql.executor.rows import Row
    from engql.executor.runner import ResponseHook

STATEMENT = "statement"
"""The column that says which statement a row belongs to, in a run of several."""
ResultWriter = Callable[["Result", IO[str], "str | None", bool], None]
"""Writes a whole result: (result, out, grouping, long)."""


class RowWriter(Protocol):
    """Writes rows as they come, statement by statement, to the output it was opened on."""

    def write_rows(self, statement: int, names: Sequence[str], rows: Sequence[Row]) -> None:
        """Rows of statement number ``statement``, each the values of the columns ``names``."""


RowOpener = Callable[[IO[str], bool], RowWriter]
"""Opens a RowWriter on (out, several): ``several`` when the run has more than one
statement, so that each row says which it belongs to."""
ResponseOpener = Callable[[IO[str], str], "ResponseHook"]
"""Opens a writer of every attempt's request and response on (out, base URL the run
sends to), called from worker threads."""


@attrs.frozen(repr=False, eq=False)
class OutputFormat(Record):
    """One output format, as its module declares it (``FORMAT``); each is its own."""

    name: str
    write_result: ResultWriter | None = None
    """Writes a whole Result; None for a format written only while the run goes."""
    open_rows: RowOpener | None = None
    """Writes rows batch by batch, so that a streamed run keeps none of its answers."""
    stream_statements: int | None = None
    """With ``open_rows``: the most statements a run may have and still be streamed
    (None: any number)."""
    open_responses: ResponseOpener | None = None
    """Writes each response while the run goes."""
    server_text: bool = False
    """The output carries the server's own text (its notes, whole answers), so it is
    scrubbed of credentials; rows hold only IDs, times and counts."""

    def can_stream(self, statements: int) -> bool:
        """Whether a run of ``statements`` statements writes its rows as they come."""
        if self.open_rows is None:
            return False
        return self.stream_statements is None or statements <= self.stream_statements


def named(statement: StatementResult, grouping: str | None) -> str | None:
    """A grouping name applies to the statements that have it; the others show their first."""
    return grouping if grouping in statement.grouping_names else None


def write_rows(
    result: Result, writer: RowWriter, grouping: str | None = None, long: bool = False
) -> None:
    """The rows of every statement the run did not stream, as a row format writes them."""
    for index, statement in enumerate(result.statements):
        if not statement.streamed:
            name = named(statement, grouping)
            writer.write_rows(
                index, statement.columns(name, long), statement.row_values(name, long)
            )
