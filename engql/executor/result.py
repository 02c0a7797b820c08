"""A run's answer: per statement the merged answer, its rows and every missing Tweet.

A Result shows itself where it is looked at: a one-line summary in a plain REPL
(``repr``), a table per grouping in Jupyter (``_repr_html_``, the first rows of each),
and typed columns in pandas (``to_pandas``).
"""

from __future__ import annotations

import html
from typing import Any

import attrs

from engql import facts
from engql.counted import counted
from engql.diagnostics import Diagnostic
from engql.executor.missing import Missing, MissingKind
from engql.executor.rows import (
    BUCKET_START,
    KEY_COLUMNS,
    METRIC,
    Row,
    columns,
    long_rows,
    row_values,
    wide_rows,
)
from engql.plan.planner import StatementPlan
from engql.record import Record

SHOWN_ROWS = 20
"""Rows of a grouping a notebook shows; the rest are counted (like pandas' display limit)."""
SHOWN_MISSING = 5
"""Missing Tweets a notebook lists under the tables; the rest are counted."""
TWEET_COLUMN = dict(KEY_COLUMNS)[facts.TWEET_ID]
TEXT_COLUMNS = frozenset({*(name for key, name in KEY_COLUMNS if key != facts.TWEET_ID), METRIC})
"""Columns that DataFrames keep as text: day, hour and metric (labels, not numbers)."""
TIMESTAMP = "datetime64[ns, UTC]"
"""The dtype of ``bucket_start`` in a DataFrame, whatever pandas would infer (its unit
differs between versions, and between an empty column and a full one)."""

_LISTED_REASONS = {
    facts.UNAVAILABLE_IDS: Missing(MissingKind.UNAVAILABLE),
    facts.UNSUPPORTED_IMPRESSIONS_IDS: Missing(MissingKind.TOO_OLD_FOR_IMPRESSIONS),
    facts.UNSUPPORTED_VIDEO_VIEWS_IDS: Missing(MissingKind.TOO_OLD_FOR_VIDEO_VIEWS),
}
_NOT_IN_ANSWER = Missing(MissingKind.NOT_IN_ANSWER)


def missing_from_answer(
    plan: StatementPlan, answer: dict[str, Any], tweets: list[str] | None = None
) -> dict[str, Missing]:
    """Tweets the answer lists as unavailable or unsupported, or leaves out of a grouping
    keyed by Tweet, each with the reason; ``tweets`` (default: the statement's) are the
    ones the answer should hold."""
    missing: dict[str, Missing] = {}
    for key, reason in _LISTED_REASONS.items():
        for tweet in answer.get(key, ()):
            missing.setdefault(str(tweet), reason)
    for name, keys in plan.query.groupings:
        if keys and keys[0] == facts.TWEET_ID:
            present = answer.get(name, {})
            for tweet in plan.query.tweet_ids if tweets is None else tweets:
                if tweet not in present:
                    missing.setdefault(tweet, _NOT_IN_ANSWER)
    return missing


@attrs.frozen(repr=False)
class RunStats(Record):
    """How the run went: requests in the plan, attempts sent, retries, 429s, wall time."""

    requests: int
    sent: int
    retries: int
    rate_limited: int
    seconds: float
    cancelled: bool = False
    """Stopped by ``Executor.cancel``: the missing Tweets include those never answered."""


@attrs.frozen(repr=False)
class StatementResult(Record):
    """One statement's merged answer (the API's own shape) and its missing Tweets."""

    plan: StatementPlan
    answer: dict[str, Any]
    missing: dict[str, Missing]
    """Tweet ID → why it is not (fully) in the answer, in query order."""
    streamed: bool = False
    """The answer went batch by batch to the run's output and is not kept here."""

    def __repr__(self) -> str:
        query = self.plan.query
        return (
            f"<engql.StatementResult: statement {query.index + 1}, {query.endpoint}, "
            f"groupings {', '.join(self.grouping_names)}, "
            f"{counted(len(self.row_values()), 'row')}, "
            f"{counted(len(self.missing), 'missing Tweet')}>"
        )

    @property
    def grouping_names(self) -> list[str]:
        return [name for name, _ in self.plan.query.groupings]

    def _grouping(self, name: str | None) -> tuple[str, tuple[str, ...]]:
        groupings = self.plan.query.groupings
        if name is None:
            return groupings[0]
        for pair in groupings:
            if pair[0] == name:
                return pair
        raise KeyError(f"no grouping {name!r}; the groupings are {self.grouping_names}")

    def columns(
        self, grouping: str | None = None, long: bool = False, bucket: bool = True
    ) -> list[str]:
        """The rows' column names; ``bucket`` False leaves out ``bucket_start``."""
        _, keys = self._grouping(grouping)
        return columns(keys, self.plan.query.metrics, long, bucket)

    def rows(self, grouping: str | None = None, long: bool = False) -> list[dict[str, Any]]:
        """One row per combination of the grouping's keys (metrics as columns), or with
        ``long`` one row per metric value. The first grouping unless one is named."""
        name, keys = self._grouping(grouping)
        data = self.answer.get(name, {})
        metrics = self.plan.query.metrics
        return list(long_rows(data, keys, metrics) if long else wide_rows(data, keys, metrics))

    def row_values(
        self, grouping: str | None = None, long: bool = False, bucket: bool = True
    ) -> list[Row]:
        """The rows of ``rows`` as tuples in the order of ``columns``, as the writers use them."""
        name, keys = self._grouping(grouping)
        return row_values(self.answer.get(name, {}), keys, self.plan.query.metrics, long, bucket)

    def to_json(self) -> dict[str, Any]:
        """The merged answer as the API shapes it, plus ``missing``: Tweet ID → reason."""
        return {**self.answer, "missing": {t: m.text for t, m in self.missing.items()}}


@attrs.frozen(repr=False)
class Result(Record):
    """What ``run`` returns: one StatementResult per statement, and the run's figures."""

    statements: tuple[StatementResult, ...]
    stats: RunStats

    def __repr__(self) -> str:
        rows = sum(len(s.row_values()) for s in self.statements)
        return (
            f"<engql.Result: {counted(len(self.statements), 'statement')}, "
            f"{counted(rows, 'row')}, {counted(len(self.missing), 'missing Tweet')}, "
            f"{counted(self.stats.requests, 'request')} in {self.stats.seconds:.2f} s>"
        )

    @property
    def missing(self) -> dict[str, Missing]:
        """Every missing Tweet of every statement (the first reason found)."""
        found: dict[str, Missing] = {}
        for statement in self.statements:
            for tweet, reason in statement.missing.items():
                found.setdefault(tweet, reason)
        return found

    def warnings(
        self, limit: int | None = None, skip: frozenset[MissingKind] = frozenset()
    ) -> list[Diagnostic]:
        """One W601 per missing Tweet (the first ``limit`` of them, none of the kinds in
        ``skip``, which the caller tells otherwise), pointing at where the query or its
        IDs file named it. Locating reads the query's Tweets again, so a caller that
        shows a few asks for a few."""
        found: list[Diagnostic] = []
        for statement in self.statements:
            origin = statement.plan.query.origin
            for tweet, reason in statement.missing.items():
                if limit is not None and len(found) >= limit:
                    return found
                if reason.kind in skip:
                    continue
                span = origin.locate(tweet) if origin is not None else None
                found.append(Diagnostic("W601", f"Tweet {tweet} is missing: {reason.text}", span))
        return found

    def to_pandas(self, statement: int = 0, grouping: str | None = None, long: bool = False) -> Any:
        """The rows of a statement (the first unless one is given by its index) as a
        pandas DataFrame with typed columns: ``tweet_id``, the counts and ``value`` int64,
        ``bucket_start`` a UTC timestamp, ``day``, ``hour`` and ``metric`` text; an empty
        answer has the same columns and dtypes. pandas is the extra engql[pandas]."""
        try:
            import pandas  # type: ignore[import-untyped]  # optional: loaded only here
        except ImportError as error:
            raise ImportError(
                "Result.to_pandas needs pandas: pip install 'engql[pandas]'", name="pandas"
            ) from error

        chosen = self.statements[statement]
        names = chosen.columns(grouping, long)
        found = chosen.row_values(grouping, long)
        values = list(zip(*found, strict=True)) if found else [()] * len(names)
        return pandas.DataFrame(
            {name: _typed(pandas, name, column) for name, column in zip(names, values, strict=True)}
        )

    def _repr_html_(self) -> str:
        """Jupyter's view: a table per grouping of every statement (its first SHOWN_ROWS
        rows), the first missing Tweets, and the run's figures."""
        several = sum(len(s.grouping_names) for s in self.statements) > 1
        parts = ['<div class="engql-result">']
        for statement in self.statements:
            for name in statement.grouping_names:
                if several:
                    number = statement.plan.query.index + 1
                    parts.append(f"<p>statement {number}, grouping <code>{_text(name)}</code></p>")
                parts.append(_html_table(statement, name))
        parts.extend(self._html_missing())
        stats = self.stats
        parts.append(
            f"<p>{counted(stats.requests, 'request')} in {stats.seconds:.2f} s "
            f"({stats.sent:,} sent, {stats.retries:,} retried, {stats.rate_limited:,} rate limited)"
            "</p></div>"
        )
        return "\n".join(parts)

    def _html_missing(self) -> list[str]:
        count = sum(len(s.missing) for s in self.statements)
        if not count:
            return ["<p>no Tweet is missing</p>"]
        shown = [d.render().splitlines()[0] for d in self.warnings(SHOWN_MISSING)]
        items = [f"<li><code>{_text(line)}</code></li>" for line in shown]
        if count > len(shown):
            more = count - len(shown)
            items.append(f"<li>… {more:,} more (<code>.missing</code> lists them all)</li>")
        return [f"<p>{counted(count, 'missing Tweet')}:</p><ul>", *items, "</ul>"]


def _text(value: Any) -> str:
    return html.escape(str(value))


def _html_table(statement: StatementResult, grouping: str) -> str:
    """One grouping's first SHOWN_ROWS rows, as the terminal table shows them: counts
    right-aligned with thousands separators, Tweet IDs, days and hours as text."""
    found = statement.row_values(grouping, bucket=False)
    header = statement.columns(grouping, bucket=False)
    right = [isinstance(value, int) for value in found[0]] if found else [False] * len(header)
    align = ['style="text-align: right"' if r else 'style="text-align: left"' for r in right]
    cells = "".join(f"<th {a}>{_text(n)}</th>" for a, n in zip(align, header, strict=True))
    lines = ['<table class="engql-table">', f"<thead><tr>{cells}</tr></thead>", "<tbody>"]
    for row in found[:SHOWN_ROWS]:
        shown = (f"{v:,}" if isinstance(v, int) else v for v in row)
        cells = "".join(f"<td {a}>{_text(v)}</td>" for a, v in zip(align, shown, strict=True))
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</tbody></table>")
    if len(found) > SHOWN_ROWS:
        lines.append(f"<p>… {len(found) - SHOWN_ROWS:,} more rows</p>")
    return "\n".join(lines)


def _typed(pandas: Any, name: str, column: tuple[Any, ...]) -> Any:
    """A column of rows as pandas should hold it (see ``Result.to_pandas``)."""
    if name == TWEET_COLUMN:
        return pandas.Series(list(map(int, column)), dtype="int64")
    if name == BUCKET_START:
        stamps = pandas.to_datetime(list(column), format="ISO8601", utc=True)
        return pandas.Series(stamps.as_unit("ns"), dtype=TIMESTAMP)
    if name in TEXT_COLUMNS:
        return pandas.Series(list(column), dtype=str)
    return pandas.Series(list(column), dtype="int64")
