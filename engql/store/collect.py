"""``engql collect``: a collection kept up to date in a store with the fewest requests.

A collection runs in three steps. It reads which hours the store holds for good
(``coverage``) and plans the requests for the rest (``fetch_plan``); it sends them on the
one run path, storing each answer as it comes (``CollectSink``: hourly facts, and a
snapshot of each /totals statement); then it answers the user's own plan from the
store, request by request, through the same merge as a run (``StoreReader``), so the
answer is what ``engql run`` would print for the same query.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import attrs

from engql import facts
from engql.check import Query
from engql.credentials import Credentials
from engql.executor.journal import plan_hash
from engql.executor.merge import Merger
from engql.executor.missing import Missing, MissingKind
from engql.executor.result import Result, StatementResult
from engql.executor.runner import Batch, Outcome, RunOptions, merge_outcomes
from engql.executor.transport import Reply
from engql.output import RowStream, output_format
from engql.plan.planner import Plan, Request, StatementPlan
from engql.running import (
    Output,
    RunHooks,
    RunReport,
    ended,
    exit_for,
    report_of,
    row_stream,
    run_plan,
    write_output,
)
from engql.store import coverage
from engql.store.answers import window_answer
from engql.store.database import placeholders
from engql.store.fact_rows import HOUR, fact_rows, query_id
from engql.store.fetch_plan import (
    HOURS_GROUPING,
    TIME_SERIES,
    FetchPlan,
    answered,
    fetched_window,
    plan_fetch,
    query_window,
)
from engql.store.hours import Run, hour_start
from engql.store.sink import CANCELLED, FAILED, OUTCOMES, RunClock, plan_clock, query_text
from engql.store.store import FACT_COLUMNS, Store
from engql.store.url import StoreError

DEFAULT_SETTLE = timedelta(hours=24)
"""Hours newer than this when fetched are fetched again by the next collection: the
API's counts of a recent hour can still change (late events, undone likes)."""
HOURS_QUERY = "collection"
"""``facts.query_id`` of a collection's hourly facts, shared by every query."""
SNAPSHOT_PREFIX = "snapshot-"
"""``facts.query_id`` of a /totals snapshot: this and the statement's query_id."""
_NOT_STORED = Missing(MissingKind.NOT_IN_ANSWER)
_ANSWERED = frozenset({MissingKind.TOO_OLD_FOR_IMPRESSIONS, MissingKind.TOO_OLD_FOR_VIDEO_VIEWS})
"""Reasons of Tweets an answer lists and still holds: never why their hours are not
stored (the answer read from the store lists them again)."""
_GONE = frozenset({MissingKind.UNAVAILABLE, MissingKind.NOT_OWNED, MissingKind.PROTECTED})
"""Reasons the API gives for a Tweet whatever is asked of it: a Tweet that this
collection's requests got one for has no answer now, whatever the store holds."""


def collect(
    plan: Plan,
    fetch: FetchPlan,
    store: Store,
    credentials: Credentials,
    base_url: str,
    options: RunOptions | None = None,
    *,
    output: Output | None = None,
    hooks: RunHooks | None = None,
    settle: timedelta = DEFAULT_SETTLE,
) -> RunReport:
    """Bring the store up to date for ``plan`` by sending ``fetch`` (``planned``), and
    answer ``plan`` from there."""
    clock = plan_clock(plan)
    sink = CollectSink(store, plan, fetch, settle, clock)
    hooks = _showing_attempts(hooks, output, base_url)
    report = run_plan(fetch.plan, credentials, base_url, options, hooks=hooks, sink=sink)
    if report.result is None:
        return report
    stream = row_stream(output, plan)
    try:  # after a store error too, the rows so far end as a whole file
        with _failing(store, sink.run_id), ended(stream):
            return _answered(plan, fetch, store, sink, report.result, output, stream)
    except StoreError as failed:
        return RunReport(failed.exit, failure=failed)


def _answered(
    plan: Plan,
    fetch: FetchPlan,
    store: Store,
    sink: CollectSink,
    fetched: Result,
    output: Output | None,
    stream: RowStream | None,
) -> RunReport:
    """The answer to ``plan`` read back from the store once ``fetch`` is in, written to
    ``output`` (batch by batch to ``stream`` where it streams); the run's row of
    ``runs`` ended."""
    assert sink.run_id is not None
    reasons: dict[str, Missing] = {}
    for number in fetch.hours_of:
        for tweet, reason in fetched.statements[number].missing.items():
            if reason.kind not in _ANSWERED:
                reasons.setdefault(tweet, reason)
    reader = StoreReader(store, reasons, sink.live)
    statements: list[StatementResult] = []
    for number, asked in enumerate(plan.statements):
        if number in fetch.totals_of:
            made = fetched.statements[fetch.totals_of[number]]
            answer = sink.totals.get(fetch.totals_of[number]) or made.answer
            statements.append(_totals_result(asked, answer, made.missing, stream))
        else:
            statements.append(reader.statement(asked, stream))
    result = Result(tuple(statements), fetched.stats)
    code = exit_for(result)
    for number, done in enumerate(result.statements):
        store.record_missing(sink.run_id, number, done.missing)
    outcome = CANCELLED if fetched.stats.cancelled else OUTCOMES.get(code, "partial")
    store.end_run(sink.run_id, outcome, fetched.stats.sent)
    if output is not None:
        write_output(output, result, stream)
    return report_of(result, code)


@contextlib.contextmanager
def _failing(store: Store, run_id: int | None) -> Iterator[None]:
    """A store error goes on up (``run_plan`` reports it, and so does ``collect``), the
    run's row of ``runs`` saying ``failed`` if the store still takes that write."""
    try:
        yield
    except StoreError:
        if run_id is not None:
            with contextlib.suppress(StoreError):
                store.end_run(run_id, FAILED, None)
        raise


def planned(plan: Plan, store: Store) -> FetchPlan:
    """The requests a collection of ``plan`` into ``store`` would send now."""
    tweets = sorted(
        {
            int(t)
            for s in plan.statements
            if s.query.endpoint in TIME_SERIES
            for t in s.query.tweet_ids
        }
    )
    return plan_fetch(plan, coverage.read(store.db, tweets))


class CollectSink:
    """Stores a collection's answers as they come: a fetch of hours replaces those
    hours of its Tweets and marks the settled ones covered, in one transaction; a /totals
    answer is appended as a snapshot. The run's row of ``runs`` is ended by ``collect``
    once the answer is read back."""

    def __init__(
        self, store: Store, user: Plan, fetch: FetchPlan, settle: timedelta, clock: RunClock
    ) -> None:
        self.store, self.user, self.fetch = store, user, fetch
        self._settle, self._clock = settle, clock
        self.run_id: int | None = None
        self.totals: dict[int, dict[str, Any]] = {}
        """Fetch statement number → its /totals answer merged from its batches."""
        self.live: Run | None = None
        """The hours a /28hr fetch was answered for: the server's clock says which."""
        self._mergers: dict[int, Merger] = {}

    def begin(self) -> None:
        self.run_id = self.store.begin_run(
            "collect", query_text(self.user), plan_hash(self.user), len(self.fetch.plan.requests)
        )

    def write_batch(self, batch: Batch) -> None:
        number = batch.plan.query.index
        with _failing(self.store, self.run_id):
            if number in self.fetch.hours_of:
                self._hours(batch)
                return
            self._snapshot(batch.plan, batch.answer)
        merger = self._mergers.setdefault(number, Merger(batch.plan.query.groupings))
        merger.add(batch.answer)
        self.totals[number] = merger.result()

    def finish(self, result: Result, exit: Any) -> None:
        with _failing(self.store, self.run_id):
            for number, statement in enumerate(result.statements):
                if number not in self.fetch.hours_of and not statement.streamed:
                    self._snapshot(statement.plan, statement.answer)

    def abort(self, outcome: str) -> None:
        if self.run_id is not None:
            self.store.end_run(self.run_id, outcome, None)

    def _hours(self, batch: Batch) -> None:
        assert self.run_id is not None
        request = batch.plan.requests[batch.batch]
        window = fetched_window(request, batch.answer)
        grouping = batch.answer.get(HOURS_GROUPING, {})
        present = [t for t in batch.tweets if t in grouping]
        if window is None or not present:
            return
        if request.endpoint == "28hr":
            self.live = window
        spans: dict[Run, list[str]] = {}
        for metric in request.body[facts.ENGAGEMENT_TYPES_FIELD]:
            for run in answered(request.endpoint, metric, [window]):
                spans.setdefault(run, []).append(metric)
        db = self.store.db
        fetched_at = self._clock.now()
        tail = (db.stamp(fetched_at), self.run_id)
        query = batch.plan.query
        made = [
            (
                span,
                metrics,
                fact_rows(
                    query,
                    {HOURS_GROUPING: grouping if span == window else _within(grouping, span)},
                    db.stamp,
                    (HOURS_QUERY,),
                    tail,
                    tuple(metrics),
                ),
            )
            for span, metrics in spans.items()
        ]
        ids = [int(t) for t in present]
        settled = coverage.settled_until(fetched_at, self._settle)
        with db.transaction():
            for (start, end), metrics, rows in made:
                db.execute(
                    "DELETE FROM facts WHERE query_id = ? "
                    f"AND tweet_id IN ({placeholders(len(ids))}) "
                    f"AND metric IN ({placeholders(len(metrics))}) "
                    "AND bucket_start >= ? AND bucket_start < ?",
                    (HOURS_QUERY, *ids, *metrics, hour_start(start), hour_start(end)),
                )
                if rows:
                    db.insert("facts", FACT_COLUMNS, rows)
                coverage.add(db, ids, metrics, (start, min(end, settled)))

    def _snapshot(self, plan: StatementPlan, answer: dict[str, Any]) -> None:
        assert self.run_id is not None
        db = self.store.db
        key = SNAPSHOT_PREFIX + query_id(plan.query)
        rows = fact_rows(
            plan.query, answer, db.stamp, (key,), (db.stamp(self._clock.now()), self.run_id)
        )
        if rows:
            with db.transaction():
                db.insert("facts", FACT_COLUMNS, rows)


class StoreReader:
    """Answers a user's /historical and /28hr requests from a store's hourly facts.

    A Tweet whose hours in a request's window are not all stored for every metric is
    missing from that answer, with the reason its fetch gave (``reasons``); the others
    get the answer the API gives for those hours."""

    def __init__(self, store: Store, reasons: dict[str, Missing], live: Run | None = None) -> None:
        self._db = store.db
        self._reasons = reasons
        self._live = live
        """The hours the /28hr fetch was answered for, if one was sent: what a /28hr
        request answers now (``query_window`` otherwise)."""

    def statement(self, plan: StatementPlan, stream: RowStream | None) -> StatementResult:
        """The statement's result, batch by batch; written to ``stream`` when it can be."""
        streams = stream is not None and all(
            keys and keys[0] == facts.TWEET_ID for _, keys in plan.query.groupings
        )
        merger = Merger(plan.query.groupings)
        missing: dict[str, Missing] = {}
        by_batch: dict[int, list[Request]] = {}
        for request in plan.requests:
            by_batch.setdefault(request.batch, []).append(request)
        for number, requests in by_batch.items():
            tweets = requests[0].tweet_ids
            outcomes = [self.outcome(plan, request) for request in requests]
            answer, lacking = merge_outcomes(plan, outcomes, tweets)
            missing.update(lacking)
            if streams and stream is not None:
                stream.write_batch(Batch(plan, number, tweets, answer))
            else:
                merger.add(answer)
        ordered = {t: missing[t] for t in plan.query.tweet_ids if t in missing}
        if streams:
            return StatementResult(plan, {}, ordered, streamed=True)
        return StatementResult(plan, merger.result(), ordered)

    def outcome(self, plan: StatementPlan, request: Request) -> Outcome:
        query = plan.query
        window = fetched_window(request, {})
        if window is None:
            live = self._live if query.endpoint == "28hr" else None
            window = live or query_window(query)
        tweets = request.tweet_ids
        metrics = tuple(request.body[facts.ENGAGEMENT_TYPES_FIELD])
        series, complete = self._series(query, tweets, metrics, window)
        missing = {
            t: self._reasons.get(t, _NOT_STORED)
            for t in tweets
            if t not in complete or self._reasons.get(t, _NOT_STORED).kind in _GONE
        }
        present = [t for t in tweets if t not in missing]
        answer: dict[str, Any] = {
            facts.START_FIELD: _iso(window[0]),
            facts.END_FIELD: _iso(window[1]),
        }
        unavailable = [
            t for t in tweets if missing.get(t, _NOT_STORED).kind is MissingKind.UNAVAILABLE
        ]
        if unavailable:
            answer[facts.ERRORS_KEY] = [facts.UNAVAILABLE_NOTE.format(count=len(unavailable))]
            answer[facts.UNAVAILABLE_IDS] = unavailable
        if "video_views" in metrics:
            cutoff = query.now - facts.VIDEO_VIEWS_MAX_AGE
            old = [t for t in present if _created_before(int(t), cutoff)]
            if old:
                answer[facts.UNSUPPORTED_VIDEO_VIEWS_IDS] = old
            for tweet in old:  # the API has none for them now, whatever it said before
                series[tweet, "video_views"] = [0] * (window[1] - window[0])
        answer.update(window_answer(query.groupings, present, metrics, window, series))
        return Outcome(answer, missing)

    def _series(
        self, query: Query, tweets: Sequence[str], metrics: Sequence[str], window: Run
    ) -> tuple[dict[tuple[str, str], list[int]], set[str]]:
        """Each (Tweet, metric)'s hourly counts over ``window`` on the query's endpoint,
        and the Tweets that have every hour of every metric that the endpoint reads
        (``answered``: the others are zero).

        When no grouping of the query has hours, the database sums them (a day's sum
        stands at the day's first hour in the window, a total at the first hour), so a
        daily answer over millions of stored hours reads thousands of rows."""
        db = self._db
        first = {}
        for metric in metrics:
            read = answered(query.endpoint, metric, [window])
            first[metric] = read[0][0] if read else window[1]
        keys = {key for _, grouping in query.groupings for key in grouping}
        summed = facts.ENGAGEMENT_HOUR not in keys and all(
            first[metric] == window[0] for metric in metrics
        )
        hour = db.epoch_hour("bucket_start")
        ids = [int(t) for t in tweets]
        where = (
            f"WHERE query_id = ? AND tweet_id IN ({placeholders(len(ids))}) "
            f"AND metric IN ({placeholders(len(metrics))}) "
            "AND bucket_start >= ? AND bucket_start < ?"
        )
        params = (HOURS_QUERY, *ids, *metrics, hour_start(window[0]), hour_start(window[1]))
        if summed and facts.ENGAGEMENT_DAY in keys:
            rows = db.query(
                f"SELECT tweet_id, metric, {db.epoch_hour('day')}, total, hours FROM "
                f"(SELECT tweet_id, metric, {db.day_of('bucket_start')} AS day, "
                f"sum(value) AS total, count(*) AS hours FROM facts {where} "
                "GROUP BY tweet_id, metric, day) AS days",
                params,
            )
        elif summed:
            rows = db.query(
                f"SELECT tweet_id, metric, 0, sum(value), count(*) FROM facts {where} "
                "GROUP BY tweet_id, metric",
                params,
            )
        else:
            rows = db.query(f"SELECT tweet_id, metric, {hour}, value, 1 FROM facts {where}", params)
        length = window[1] - window[0]
        series = {(t, m): [0] * length for t in tweets for m in metrics}
        filled = {key: 0 for key in series}
        names = {int(t): t for t in tweets}
        for tweet, metric, at, value, hours in rows:
            at = int(at)
            if at < first[metric]:
                if not summed:
                    continue
                at = window[0]
            key = (names[tweet], metric)
            series[key][at - window[0]] = int(value)
            filled[key] += hours
        complete = {t for t in tweets if all(filled[t, m] == window[1] - first[m] for m in metrics)}
        return series, complete


def _totals_result(
    plan: StatementPlan,
    answer: dict[str, Any],
    missing: dict[str, Missing],
    stream: RowStream | None,
) -> StatementResult:
    streams = stream is not None and all(
        keys and keys[0] == facts.TWEET_ID for _, keys in plan.query.groupings
    )
    if streams and stream is not None:
        stream.write_batch(Batch(plan, 0, plan.query.tweet_ids, answer))
        return StatementResult(plan, {}, missing, streamed=True)
    return StatementResult(plan, answer, missing)


def _within(grouping: dict[str, Any], span: Run) -> dict[str, Any]:
    """An hourly grouping (Tweet, metric, day, hour) with only the hours of ``span``."""
    first, end = _label(span[0]), _label(span[1])
    kept: dict[str, Any] = {}
    for tweet, by_metric in grouping.items():
        kept[tweet] = {}
        for metric, days in by_metric.items():
            inside = {
                day: {h: v for h, v in hours.items() if first <= f"{day}T{h}" < end}
                for day, hours in days.items()
            }
            kept[tweet][metric] = {day: hours for day, hours in inside.items() if hours}
    return kept


def _label(hour: int) -> str:
    """How an hourly answer labels ``hour`` (day, then hour): text that sorts as time."""
    return f"{hour_start(hour):%Y-%m-%dT%H}"


def _showing_attempts(
    hooks: RunHooks | None, output: Output | None, base_url: str
) -> RunHooks | None:
    """The fetch's hooks, and the output's writer of each attempt when its format shows
    what was sent (raw): what a collection sent, since its answer comes from the store."""
    opener = output_format(output.fmt).open_responses if output is not None else None
    if opener is None or output is None:
        return hooks
    write = opener(output.out, base_url)
    hooks = hooks or RunHooks()
    theirs = hooks.on_response

    def both(request: Request, body: dict[str, Any], reply: Reply) -> None:
        write(request, body, reply)
        if theirs is not None:
            theirs(request, body, reply)

    return attrs.evolve(hooks, on_response=both)


def _iso(hour: int) -> str:
    return hour_start(hour).strftime(facts.WIRE_TIME_FORMAT)


def _created_before(tweet: int, cutoff: Any) -> bool:
    created = facts.tweet_created_at(tweet)
    return created is None or created < cutoff


__all__ = ["DEFAULT_SETTLE", "HOUR", "CollectSink", "StoreReader", "collect", "planned"]
