"""What an output format is, and the rows that the row formats share.

A format is data: its name and the writers it has. A format may write a whole Result
(table, json), rows batch by batch while the run goes (jsonl, csv, parquet, xlsx: they
write a whole Result that way too), and each response as it comes (raw). The writers are
given the run's output and write text to it, or bytes for a binary format.

A row format is told each statement's columns before any row (``Part``): the plan says
them before anything is sent, so a file of one table writes its header first and then
streams any number of statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol

import attrs

from engql.executor.rows import BUCKET_START, KEY_COLUMNS, METRIC, VALUE, columns
from engql.record import Record

if TYPE_CHECKING:
    from engql.executor.result import Result, StatementResult
    from engql.executor.rows import Row
    from engql.executor.runner import ResponseHook
    from engql.plan.planner import StatementPlan

STATEMENT = "statement"
"""The column that says which statement a row belongs to, in a run of several."""
ONE_TABLE = (STATEMENT, *(name for _, name in KEY_COLUMNS), BUCKET_START, METRIC, VALUE)
"""The columns of a file of several statements written as one table (csv, parquet), in
order: each statement in the long form, under those of these columns that one of them
has; a statement without a column leaves its cells empty."""
ResultWriter = Callable[["Result", IO[Any], "str | None", bool], None]
"""Writes a whole result: (result, out, grouping, long)."""


@attrs.frozen(repr=False)
class Part(Record):
    """One statement's rows as a row format writes them: the grouping, its form and its
    columns, known from the plan before anything is sent."""

    statement: int
    """The statement's number, from 0."""
    grouping: str
    long: bool
    names: tuple[str, ...]


class RowWriter(Protocol):
    """Writes rows as they come, statement by statement, to the output it was opened on."""

    def write_rows(self, statement: int, rows: Sequence[Row]) -> None:
        """Rows of statement number ``statement``, each the values of its Part's columns."""

    def close(self) -> None:
        """After the last rows (or a stop): whatever the file still needs, such as a
        header no row has brought yet, or parquet's footer."""


RowOpener = Callable[[IO[Any], Sequence[Part]], RowWriter]
"""Opens a RowWriter on (out, the statements' parts)."""
ResponseOpener = Callable[[IO[str], str], "ResponseHook"]
"""Opens a writer of every attempt's request and response on (out, base URL the run
sends to), called from worker threads."""


@attrs.frozen(repr=False, eq=False)
class OutputFormat(Record):
    """One output format, as its module declares it (``FORMAT``); each is its own."""

    name: str
    write_result: ResultWriter | None = None
    """Writes a whole Result, for a format without ``open_rows``."""
    open_rows: RowOpener | None = None
    """Writes rows batch by batch, so that a streamed run keeps none of its answers; a
    whole Result is written through it as well."""
    one_table: bool = False
    """With ``open_rows``: a file of several statements is one table (``ONE_TABLE``)."""
    open_responses: ResponseOpener | None = None
    """Writes each response while the run goes."""
    server_text: bool = False
    """The output carries the server's own text (its notes, whole answers), so it is
    scrubbed of credentials; rows hold only IDs, times and counts."""
    binary: bool = False
    """Writes bytes, not text: to a file, or to a stdout that is not a terminal."""
    extension: str | None = None
    """The ending of an ``-o`` file name that picks this format."""
    library: str | None = None
    """A module it needs that engql does not install by itself (``pyarrow``)."""
    extra: str | None = None
    """With ``library``: the extra of engql that installs it (``parquet``)."""

    @property
    def can_stream(self) -> bool:
        """Whether a run writes its rows as they come (every statement that streams)."""
        return self.open_rows is not None

    @property
    def writes_result(self) -> bool:
        """Whether it writes a whole Result (all but raw)."""
        return self.write_result is not None or self.open_rows is not None


def named(statement: StatementResult, grouping: str | None) -> str | None:
    """A grouping name applies to the statements that have it; the others show their first."""
    return grouping if grouping in statement.grouping_names else None


def parts(
    plans: Sequence[StatementPlan], grouping: str | None, long: bool, one_table: bool
) -> tuple[Part, ...]:
    """Each statement's rows as a row format gets them: the grouping named ``grouping``
    where the statement has one, else its first; long with ``long``, and in a file of
    several statements written as one table."""
    found = []
    for index, plan in enumerate(plans):
        keys = dict(plan.query.groupings)
        name = grouping if grouping in keys else plan.query.groupings[0][0]
        form = long or (one_table and len(plans) > 1)
        names = tuple(columns(keys[name], plan.query.metrics, form))
        found.append(Part(index, name, form, names))
    return tuple(found)


def one_table(parts: Sequence[Part]) -> list[str]:
    """The header of the one table of ``parts``: a statement's own columns, or for
    several the columns of ``ONE_TABLE`` that they have."""
    if len(parts) == 1:
        return list(parts[0].names)
    present = {name for part in parts for name in part.names}
    return [name for name in ONE_TABLE if name == STATEMENT or name in present]
