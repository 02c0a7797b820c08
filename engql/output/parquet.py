"""Parquet (pyarrow, the extra engql[parquet]): one typed table a file, written a row
group at a time while the run goes. ``tweet_id`` and the counts are int64, ``day``,
``hour`` and ``metric`` strings, ``bucket_start`` a UTC timestamp; a file of several
statements is one table (``ONE_TABLE``) with an int64 ``statement`` column, nulls where a
statement lacks a column. pyarrow is loaded only when this format writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from engql import facts
from engql.executor.rows import BUCKET_START, KEY_COLUMNS, METRIC
from engql.output.format import STATEMENT, OutputFormat, Part, one_table

if TYPE_CHECKING:
    from engql.executor.rows import Row

ROW_GROUP_ROWS = 100_000
"""Rows buffered into one row group (a few MB as Arrow columns): a batch of 250 Tweets
alone would make row groups too small for readers to skip well."""
TWEET_ID = dict(KEY_COLUMNS)[facts.TWEET_ID]
TEXT_COLUMNS = frozenset({name for _, name in KEY_COLUMNS} - {TWEET_ID} | {METRIC})
"""The columns of strings (day, hour, metric); the others are integers but bucket_start."""


class ParquetRows:
    """Rows converted a batch at a time to Arrow columns of the file's one schema, and
    written as a row group once ROW_GROUP_ROWS of them are in."""

    def __init__(self, out: IO[bytes], parts: Sequence[Part]) -> None:
        import pyarrow  # type: ignore[import-untyped]  # optional: loaded only here
        import pyarrow.parquet  # type: ignore[import-untyped]

        self._arrow = pyarrow
        names = one_table(parts)
        self._schema = pyarrow.schema([(name, _type(pyarrow, name)) for name in names])
        self._names = {part.statement: part.names for part in parts}
        self._several = len(parts) > 1
        self._writer = pyarrow.parquet.ParquetWriter(out, self._schema)
        self._pending: list[Any] = []
        self._rows = 0

    def write_rows(self, statement: int, rows: Sequence[Row]) -> None:
        if not rows:
            return
        pa = self._arrow
        given = dict(zip(self._names[statement], zip(*rows, strict=True), strict=True))
        arrays = []
        for field in self._schema:
            if field.name == STATEMENT and self._several:
                arrays.append(pa.repeat(pa.scalar(statement, field.type), len(rows)))
            elif field.name in given:
                arrays.append(_column(pa, field, given[field.name]))
            else:
                arrays.append(pa.nulls(len(rows), field.type))
        self._pending.append(pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows += len(rows)
        if self._rows >= ROW_GROUP_ROWS:
            self._flush(self._rows - self._rows % ROW_GROUP_ROWS)

    def close(self) -> None:
        self._flush(self._rows)
        self._writer.close()

    def _flush(self, rows: int) -> None:
        """Write the first ``rows`` rows pending, as full row groups but the last; keep
        the rest for the next."""
        if not rows:
            return
        table = self._arrow.concat_tables(self._pending)
        self._writer.write_table(table.slice(0, rows), row_group_size=ROW_GROUP_ROWS)
        rest = table.slice(rows)
        self._pending, self._rows = [rest] if rest.num_rows else [], rest.num_rows


def _type(pa: Any, name: str) -> Any:
    if name == BUCKET_START:
        return pa.timestamp("us", tz="UTC")
    return pa.string() if name in TEXT_COLUMNS else pa.int64()


def _column(pa: Any, field: Any, values: Sequence[Any]) -> Any:
    """A column of rows as Arrow holds it: Tweet IDs and bucket starts are text in a
    row, parsed here by Arrow a column at once."""
    if field.name in (TWEET_ID, BUCKET_START):
        return pa.array(values, pa.string()).cast(field.type)
    return pa.array(values, field.type)


FORMAT = OutputFormat(
    name="parquet",
    open_rows=ParquetRows,
    one_table=True,
    binary=True,
    extension=".parquet",
    library="pyarrow",
    extra="parquet",
)
