"""``engql run --into``: a run's answer written into a store while the run goes.

A statement whose groupings all start with ``tweet.id`` is written batch by batch, each
batch in one transaction that replaces its Tweets' rows of that query; any other is
written whole once the run is over. When the run ends, the query's rows of Tweets this
run did not write (the query no longer names them) are dropped, its missing Tweets are
recorded, and its row of ``runs`` says how it went. A run that stops before its end
(refused, interrupted) keeps the batches it wrote, whole, and says so in ``runs``; so
does one whose store failed (a full disk, a server gone), when the store still takes
that last write.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from engql.executor.journal import plan_hash
from engql.executor.result import Result
from engql.executor.runner import Batch
from engql.exits import Exit
from engql.plan.planner import Plan
from engql.store.fact_rows import query_id
from engql.store.store import Store
from engql.store.url import StoreError

OUTCOMES = {Exit.OK: "ok", Exit.PARTIAL: "partial", Exit.GAVE_UP: "gave_up"}
"""A finished run's outcome by its exit code; a run that stops early is ``refused`` or
``interrupted``, one the shell cancelled ``cancelled`` (it keeps the rows of Tweets it did
not reach), one whose store failed ``failed``, one that never ended stays ``running``."""
REFUSED, INTERRUPTED, CANCELLED, FAILED = "refused", "interrupted", "cancelled", "failed"


class RunClock:
    """The query's clock (``--now`` or the real time when it was checked), going on as
    the run goes: what ``fetched_at`` says, and what a collection settles hours by."""

    def __init__(self, start: datetime) -> None:
        self._start, self._started = start, time.monotonic()

    def now(self) -> datetime:
        moment = self._start + timedelta(seconds=time.monotonic() - self._started)
        return moment.replace(microsecond=0)


def query_text(plan: Plan) -> str:
    """The text of the file the plan was compiled from, as ``runs.query_text`` keeps it."""
    return plan.statements[0].query.statement.span.source.text if plan.statements else ""


def plan_clock(plan: Plan) -> RunClock:
    return RunClock(plan.statements[0].query.now if plan.statements else datetime.now(UTC))


class StoreSink:
    """Writes one run of ``plan`` into ``store``; ``begin`` first, then the batches,
    then ``finish`` or ``abort``."""

    def __init__(self, store: Store, plan: Plan) -> None:
        self.store = store
        self.plan = plan
        self._keys = [query_id(s.query) for s in plan.statements]
        self.run_id: int | None = None
        self._batched: set[int] = set()
        """Statements written batch by batch."""
        self._clock = plan_clock(plan)

    def begin(self) -> None:
        self.run_id = self.store.begin_run(
            "run", query_text(self.plan), plan_hash(self.plan), len(self.plan.requests)
        )

    def fetched_at(self) -> datetime:
        return self._clock.now()

    def write_batch(self, batch: Batch) -> None:
        assert self.run_id is not None
        number = batch.plan.query.index
        self._batched.add(number)
        with self._failing():
            self.store.replace_answer(
                self.run_id,
                self._keys[number],
                batch.plan.query,
                batch.answer,
                batch.tweets,
                self.fetched_at(),
            )

    def finish(self, result: Result, exit: Exit) -> None:
        assert self.run_id is not None
        with self._failing():
            for number, statement in enumerate(result.statements):
                key, query = self._keys[number], statement.plan.query
                if number not in self._batched:
                    self.store.replace_answer(
                        self.run_id, key, query, statement.answer, None, self.fetched_at()
                    )
                self.store.record_missing(self.run_id, number, statement.missing)
                if not result.stats.cancelled:
                    self.store.drop_other_runs(key, self.run_id, query.tweet_ids)
            outcome = CANCELLED if result.stats.cancelled else OUTCOMES.get(exit, "partial")
            self.store.end_run(self.run_id, outcome, result.stats.sent)

    def abort(self, outcome: str) -> None:
        if self.run_id is not None:
            self.store.end_run(self.run_id, outcome, None)

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        """A store error stops the run (run_plan reports it); ``runs`` says ``failed``
        if the store still takes the write."""
        try:
            yield
        except StoreError:
            if self.run_id is not None:
                with contextlib.suppress(StoreError):
                    self.store.end_run(self.run_id, FAILED, None)
            raise
