"""A run's answer: per statement the merged answer, its rows and every missing Tweet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from engql import facts
from engql.diagnostics import Diagnostic
from engql.executor.missing import Missing, MissingKind
from engql.executor.rows import Row, columns, long_rows, row_values, wide_rows
from engql.plan.planner import StatementPlan
from engql.record import Record

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

    def rows(self, grouping: str | None = None, long: bool = False) -> Iterator[dict[str, Any]]:
        """One row per combination of the grouping's keys (metrics as columns), or with
        ``long`` one row per metric value. The first grouping unless one is named."""
        name, keys = self._grouping(grouping)
        data = self.answer.get(name, {})
        metrics = self.plan.query.metrics
        return long_rows(data, keys, metrics) if long else wide_rows(data, keys, metrics)

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

    @property
    def missing(self) -> dict[str, Missing]:
        """Every missing Tweet of every statement (the first reason found)."""
        found: dict[str, Missing] = {}
        for statement in self.statements:
            for tweet, reason in statement.missing.items():
                found.setdefault(tweet, reason)
        return found

    def warnings(self, limit: int | None = None) -> list[Diagnostic]:
        """One W601 per missing Tweet (the first ``limit`` of them), pointing at where the
        query or its IDs file named it. Locating reads the query's Tweets again, so a
        caller that shows a few asks for a few."""
        found: list[Diagnostic] = []
        for statement in self.statements:
            origin = statement.plan.query.origin
            for tweet, reason in statement.missing.items():
                if limit is not None and len(found) >= limit:
                    return found
                span = origin.locate(tweet) if origin is not None else None
                found.append(Diagnostic("W601", f"Tweet {tweet} is missing: {reason.text}", span))
        return found

    def to_pandas(self, statement: int = 0, grouping: str | None = None, long: bool = False) -> Any:
        """The rows as a pandas DataFrame; pandas is the optional extra engql[pandas]."""
        try:
            import pandas  # type: ignore[import-untyped]  # optional: loaded only here
        except ImportError as error:
            raise ImportError(
                "Result.to_pandas needs pandas: pip install 'engql[pandas]'", name="pandas"
            ) from error

        chosen = self.statements[statement]
        return pandas.DataFrame(
            list(chosen.rows(grouping, long)), columns=chosen.columns(grouping, long)
        )
