"""Run a plan: workers, one rate gate per credential, retries, unowned Tweets, merging.

Retries live here, not in the transport: every attempt is signed again. 429s wait for
the minute's reset or ``Retry-After``; 5xx, dropped connections and broken bodies back
off exponentially with jitter, a bounded number of times; 400, 401 and 403 are final.
Once a request has given up because it could not connect, the server is taken to be
down: each later request gets one attempt, not its full count, until an attempt connects.
Every Tweet ID that goes in comes out in the answer or in ``missing`` with a reason.
"""

from __future__ import annotations

import enum
import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

import attrs

from engql import facts
from engql.counted import counted
from engql.credentials import Credentials, Scheme
from engql.executor.journal import Journal
from engql.executor.limiter import RateGate, WaitHook, WaitTooLong
from engql.executor.merge import Merger
from engql.executor.missing import Missing, MissingKind
from engql.executor.result import Result, RunStats, StatementResult, missing_from_answer
from engql.executor.shape import answer_problem
from engql.executor.transport import (
    ATTEMPT_DEADLINE,
    MAX_ANSWER_BYTES,
    Reply,
    authorization,
    check_url,
    new_pool,
    send,
)
from engql.executor.unowned import unowned_ids
from engql.plan.planner import Plan, Request, StatementPlan
from engql.record import Record
from engql.redact import scrub

RETRYABLE = frozenset({500, 502, 503, 504})
PENDING_PER_WORKER = 2
"""Requests submitted and not yet handled, per worker: enough to keep every worker busy
while the merging thread handles one."""
MAX_RATE_LIMITED = 20
"""429s one request may meet before the run gives up on it."""


@attrs.frozen(repr=False)
class RunOptions(Record):
    """How to run a plan; the defaults suit a contract of a few requests a second."""

    concurrency: int = 4
    rate_limit: int | None = None
    """Requests a minute per credential when the server sends no rate-limit headers."""
    on_unowned: str = "fail"
    """"fail": stop the run and name them; "drop": re-send without them, report them."""
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    insecure: bool = False
    max_wait: float = facts.MAX_WAIT_SECONDS
    """Seconds a request may wait for a rate limit; a longer wait gives up on it."""
    attempt_deadline: float = ATTEMPT_DEADLINE
    """Seconds an attempt may take from sending to its last byte."""
    max_answer_bytes: int = MAX_ANSWER_BYTES
    """Bytes an answer may have, read or decompressed."""


class RefusalKind(enum.StrEnum):
    """Why the API stopped a run; each value is the word earlier versions used."""

    AUTH = "auth"
    """401 or 403: the credentials are refused."""
    UNOWNED = "unowned"
    """403 naming Tweets the credentials do not own, with ``on_unowned`` "fail"."""


class RunFailed(Exception):
    """The run stopped: credentials refused or Tweets not owned, as ``kind`` says."""

    def __init__(self, kind: RefusalKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


ResponseHook = Callable[[Request, dict[str, Any], Reply], None]
"""Called after every attempt with the body sent and what came back (for --format raw)."""
UnreachableHook = Callable[[str], None]
"""Called once a run, at its first attempt that could not connect, with why."""


@attrs.define(repr=False)
class Outcome(Record):
    """What came of one request: its answer (None when every Tweet is missing) and its
    missing Tweets with why."""

    answer: dict[str, Any] | None = None
    missing: dict[str, Missing] = attrs.field(factory=dict)
    failed: bool = False
    """Some Tweets failed (given up or refused): a resumed run sends the request again."""


@attrs.define(repr=False)
class _Counters(Record):
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def add(self, attempts: int = 0, retries: int = 0, rate_limited: int = 0) -> None:
        with self.lock:
            self.attempts += attempts
            self.retries += retries
            self.rate_limited += rate_limited


class Executor:
    """Runs plans against the API at ``base_url``, with one connection pool and one rate
    gate per kind of credential."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        options: RunOptions | None = None,
        on_wait: WaitHook | None = None,
        on_response: ResponseHook | None = None,
        on_done: Callable[[Request], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_unreachable: UnreachableHook | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url
        self.options = options or RunOptions()
        self._pool = new_pool(self.options.concurrency)
        self._gates: dict[Scheme, RateGate] = {}
        self._gates_lock = threading.Lock()
        self._on_wait = on_wait
        self._on_response = on_response
        self._on_done = on_done
        self._sleep = sleep
        self._stop = threading.Event()
        self._on_unreachable = on_unreachable
        self._unreachable_said = False
        self._said_lock = threading.Lock()
        self._down = threading.Event()
        """Set when a request gave up without connecting; cleared by any attempt that
        connects. While set, a request has one attempt."""

    def run(
        self,
        plan: Plan,
        journal: Journal | None = None,
        on_batch: BatchHook | None = None,
        keep: bool = False,
    ) -> Result:
        """Send every request of the plan (but those the journal has) and merge.

        With ``on_batch``, statements whose groupings all start with ``tweet.id`` are
        streamed: each batch's merged answer goes to the hook as soon as all its windows
        are in, and is not kept (their StatementResult holds the missing Tweets only), so
        memory does not grow with the number of Tweets; with ``keep`` it is also merged
        into the statement's answer, for a caller that needs both. Raises RunFailed when
        credentials are refused or, with on_unowned "fail", Tweets are not owned.
        """
        started = time.monotonic()
        requests = plan.requests
        for url in {request.url_at(self.base_url) for request in requests}:
            check_url(url, self.options.insecure)
        counters = _Counters()
        journalled = journal.finished() if journal is not None else {}
        outcomes = {i: Outcome(e["answer"], e["missing"]) for i, e in journalled.items()}
        todo = [
            (request, statement.query.groupings)
            for statement in plan.statements
            for request in statement.requests
            if request.index not in outcomes
        ]
        self._stop.clear()
        self._unreachable_said = False
        self._down.clear()
        streams = _Streams(plan, on_batch, keep) if on_batch is not None else None
        if streams is not None:
            for index in list(outcomes):
                streams.arrived(index, outcomes)
        waiting = iter(todo)
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            futures: dict[Future[Outcome], int] = {}

            def submit_more() -> None:
                """Keep at most PENDING_PER_WORKER requests a worker submitted and not yet
                handled: answers that come faster than they are merged and written
                wait as requests not sent, not as parsed answers in memory."""
                while len(futures) < PENDING_PER_WORKER * self.options.concurrency:
                    item = next(waiting, None)
                    if item is None:
                        return
                    request, groupings = item
                    futures[pool.submit(self._one, request, groupings, counters, journal)] = (
                        request.index
                    )

            try:
                submit_more()
                while futures:
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for handled in finished:
                        index = futures.pop(handled)  # a handled future keeps no answer alive
                        outcomes[index] = handled.result()
                        if streams is not None:
                            streams.arrived(index, outcomes)
                    submit_more()
            except BaseException:
                self._stop.set()
                for future in futures:
                    future.cancel()
                raise
        stats = RunStats(
            requests=len(requests),
            sent=counters.attempts,
            retries=counters.retries,
            rate_limited=counters.rate_limited,
            seconds=time.monotonic() - started,
            cancelled=self._stop.is_set(),
        )
        return Result(tuple(_assemble(plan, outcomes, streams)), stats)

    def cancel(self) -> None:
        """Stop the run from another thread: requests in flight finish, no new one is
        sent, and ``run`` returns what came back, the rest of the Tweets missing as
        cancelled (the shell's Ctrl-C)."""
        self._stop.set()

    def _gate(self, auth: str) -> RateGate:
        key = self.credentials.scheme_for(auth)
        with self._gates_lock:
            if key not in self._gates:
                self._gates[key] = RateGate(
                    self.options.rate_limit, on_wait=self._on_wait, max_wait=self.options.max_wait
                )
            return self._gates[key]

    def _one(
        self, request: Request, groupings: Groupings, counters: _Counters, journal: Journal | None
    ) -> Outcome:
        outcome = self._attempts(request, groupings, list(request.tweet_ids), counters)
        if outcome is None:  # the run stopped before this request was answered
            return Outcome(missing=dict.fromkeys(request.tweet_ids, _CANCELLED), failed=True)
        if journal is not None and not outcome.failed:
            journal.record(request.index, outcome.answer, outcome.missing)
        if self._on_done is not None:
            self._on_done(request)
        return outcome

    def _attempts(
        self, request: Request, groupings: Groupings, tweets: list[str], counters: _Counters
    ) -> Outcome | None:
        """Send ``request`` for ``tweets`` until it is answered, refused or given up;
        None when the run stops first. Failed outcomes are not journalled, so a resumed
        run tries them again. ``groupings`` are its statement's, to merge halves by."""
        body = {**request.body, facts.TWEET_IDS_FIELD: tweets}
        url = request.url_at(self.base_url)
        outcome = Outcome()
        gate = self._gate(request.auth)
        failures = limited = 0
        options = self.options
        while True:
            try:
                if not gate.acquire(self._stop):
                    return None
            except WaitTooLong as too_long:
                return _failed(outcome, body, _waited_too_long(too_long))
            header = authorization(url, request.auth, self.credentials)
            reply = send(
                self._pool,
                url,
                json.dumps(body).encode(),
                header,
                options.attempt_deadline,
                options.max_answer_bytes,
            )
            counters.add(attempts=1)
            self._connected(reply)
            if self._on_response is not None:
                self._on_response(request, body, reply)
            gate.update(reply.headers)
            broken = reply.broken
            if reply.status == 200 and broken is None:
                problem = answer_problem(reply.body, body)
                if problem is None:
                    outcome.answer = reply.body
                    return outcome
                broken = f"answer of the wrong shape: {problem}"
            errors = _error_texts(reply.body)
            if reply.status == 429:
                gate.refused(reply.headers)
                limited += 1
                counters.add(rate_limited=1)
                if limited > MAX_RATE_LIMITED:
                    too_many = Missing(MissingKind.RATE_LIMITED, f"{limited} times")
                    return _failed(outcome, body, too_many)
                continue
            if reply.status == 403 and (unowned := _asked(unowned_ids(errors), body)):
                if self.options.on_unowned != "drop":
                    raise RunFailed(
                        RefusalKind.UNOWNED,
                        f"Tweets not owned by these credentials: {', '.join(unowned)}",
                    )
                for tweet in unowned:
                    outcome.missing[tweet] = _NOT_OWNED
                kept = [t for t in body[facts.TWEET_IDS_FIELD] if t not in unowned]
                body[facts.TWEET_IDS_FIELD] = kept
                if not kept:
                    return outcome
                continue
            if reply.status in (401, 403):
                refusal = scrub("; ".join(map(str, errors)))
                raise RunFailed(RefusalKind.AUTH, f"{reply.status}: {refusal}")
            if reply.status in RETRYABLE or reply.status == 0 or broken:
                failures += 1
                why = broken or f"HTTP {reply.status}"
                if failures >= self.options.max_attempts or self._down.is_set():
                    kind = MissingKind.GAVE_UP if reply.connected else MissingKind.UNREACHABLE
                    if not reply.connected:
                        self._down.set()
                    gave_up = Missing(kind, f"{counted(failures, 'attempt')} ({why})")
                    return _failed(outcome, body, gave_up)
                counters.add(retries=1)
                self._sleep(self._backoff(failures))
                continue
            if reply.status == 400 and errors == [facts.PROTECTED_ERROR]:
                tweets = body[facts.TWEET_IDS_FIELD]
                return self._isolate_protected(request, groupings, tweets, outcome, counters)
            said = "; ".join(map(str, errors)) or f"HTTP {reply.status}"
            refused = Missing(MissingKind.REFUSED, f"({reply.status}): {said}")
            return _failed(outcome, body, refused)

    def _connected(self, reply: Reply) -> None:
        """Keep track of whether the server can be reached; say so the first time not."""
        if reply.connected:
            self._down.clear()
            return
        with self._said_lock:
            said, self._unreachable_said = self._unreachable_said, True
        if not said and self._on_unreachable is not None:
            self._on_unreachable(reply.broken or "cannot connect")

    def _isolate_protected(
        self,
        request: Request,
        groupings: Groupings,
        tweets: list[str],
        outcome: Outcome,
        counters: _Counters,
    ) -> Outcome | None:
        """The API refuses a whole request for one protected Tweet without naming it:
        halve the Tweets until each protected one stands alone, and keep the rest."""
        if len(tweets) == 1:
            outcome.missing[tweets[0]] = _PROTECTED
            return outcome
        half = len(tweets) // 2
        parts = [
            self._attempts(request, groupings, part, counters)
            for part in (tweets[:half], tweets[half:])
        ]
        if None in parts:
            return None
        merger = Merger(groupings)
        for part in parts:
            assert part is not None
            outcome.missing.update(part.missing)
            outcome.failed = outcome.failed or part.failed
            if part.answer is not None:
                merger.add(part.answer)
        if merger.answers:
            outcome.answer = merger.result()
        return outcome

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with full jitter."""
        ceiling = min(self.options.max_delay, self.options.base_delay * 2 ** (failures - 1))
        return random.uniform(0, ceiling)


@attrs.frozen(repr=False)
class Batch(Record):
    """A streamed statement's merged answer for one batch of Tweets (all its windows)."""

    plan: StatementPlan
    batch: int
    """Its number among the statement's batches (``Request.batch``)."""
    tweets: list[str]
    answer: dict[str, Any]


BatchHook = Callable[[Batch], None]
"""Receives each batch of a streamed statement, in plan order."""
Groupings = tuple[tuple[str, tuple[str, ...]], ...]
"""A statement's groupings: name and group_by keys, as ``Query.groupings`` has them."""

_CANCELLED = Missing(MissingKind.CANCELLED)
_NOT_OWNED = Missing(MissingKind.NOT_OWNED)
_PROTECTED = Missing(MissingKind.PROTECTED)


def merge_outcomes(
    plan: StatementPlan, outcomes: list[Outcome], tweets: list[str] | None
) -> tuple[dict[str, Any], dict[str, Missing]]:
    """The merged answer of some requests of a statement, and their missing Tweets;
    ``tweets`` (default: the statement's) are the ones the answers should hold."""
    merger = Merger(plan.query.groupings)
    missing: dict[str, Missing] = {}
    for outcome in outcomes:
        for tweet, reason in outcome.missing.items():
            missing.setdefault(tweet, reason)
        if outcome.answer is not None:
            merger.add(outcome.answer)
    answer = merger.result()
    for tweet, reason in missing_from_answer(plan, answer, tweets).items():
        missing.setdefault(tweet, reason)
    return answer, missing


def _assemble(
    plan: Plan, outcomes: dict[int, Outcome], streams: _Streams | None
) -> list[StatementResult]:
    results = []
    streamed = streams.missing if streams is not None else {}
    for number, statement in enumerate(plan.statements):
        answer: dict[str, Any] = {}
        if number in streamed:
            missing = streamed[number]
            kept = streams.kept(number) if streams is not None else None
        else:
            done = [outcomes[request.index] for request in statement.requests]
            answer, missing = merge_outcomes(statement, done, None)
            kept = None
        ordered = {t: missing[t] for t in statement.query.tweet_ids if t in missing}
        if kept is not None:
            results.append(StatementResult(statement, kept, ordered))
        else:
            results.append(StatementResult(statement, answer, ordered, number in streamed))
    return results


class _Streams:
    """Hands each finished batch of a streamed statement to the hook, then forgets it.

    Batches go out in plan order, so the output does not depend on which worker was
    fastest; a finished batch waits only for the earlier ones still in flight. With
    ``keep``, each is also merged into its statement's answer (``kept``).
    """

    def __init__(self, plan: Plan, hook: BatchHook, keep: bool = False) -> None:
        self._hook = hook
        self._where: dict[int, tuple[int, int]] = {}
        self._batches: dict[tuple[int, int], list[int]] = {}
        self._tweets: dict[tuple[int, int], list[str]] = {}
        self._ready: dict[tuple[int, int], Batch] = {}
        self._next: dict[int, int] = {}
        self.missing: dict[int, dict[str, Missing]] = {}
        for number, statement in enumerate(plan.statements):
            keys = [keys for _, keys in statement.query.groupings]
            streaming = all(k and k[0] == facts.TWEET_ID for k in keys)
            if streaming:
                for request in statement.requests:
                    where = (number, request.batch)
                    self._where[request.index] = where
                    self._batches.setdefault(where, []).append(request.index)
                    self._tweets[where] = request.tweet_ids
                self.missing[number] = {}
                self._next[number] = 0
        self._plans = plan.statements
        self._mergers = (
            {number: Merger(plan.statements[number].query.groupings) for number in self.missing}
            if keep
            else {}
        )

    def kept(self, number: int) -> dict[str, Any] | None:
        """Statement ``number``'s answer merged from all its batches; None unless kept."""
        merger = self._mergers.get(number)
        return merger.result() if merger is not None else None

    def arrived(self, index: int, outcomes: dict[int, Outcome]) -> None:
        where = self._where.get(index)
        if where is None:
            return
        members = self._batches[where]
        if not all(i in outcomes for i in members):
            return
        statement = self._plans[where[0]]
        tweets = self._tweets.pop(where)
        answer, missing = merge_outcomes(statement, [outcomes.pop(i) for i in members], tweets)
        self.missing[where[0]].update(missing)
        self._ready[where] = Batch(statement, where[1], tweets, answer)
        number = where[0]
        while (number, self._next[number]) in self._ready:
            batch = self._ready.pop((number, self._next[number]))
            self._hook(batch)
            if number in self._mergers:
                self._mergers[number].add(batch.answer)
            self._next[number] += 1


def _waited_too_long(too_long: WaitTooLong) -> Missing:
    until = datetime.fromtimestamp(too_long.until, UTC).strftime(facts.WIRE_TIME_FORMAT)
    detail = f"until {until}, longer than the {too_long.max_wait:g} s --max-wait"
    return Missing(MissingKind.RATE_LIMITED, detail)


def _asked(tweets: list[str], body: dict[str, Any]) -> list[str]:
    """Those of ``tweets`` the request named: a server may name others."""
    named = set(body[facts.TWEET_IDS_FIELD])
    return [tweet for tweet in tweets if tweet in named]


def _error_texts(body: Any) -> list[object]:
    """The ``errors`` of an answer, when it is a list; a server may send anything."""
    errors = body.get(facts.ERRORS_KEY) if isinstance(body, dict) else None
    return errors if isinstance(errors, list) else []


def _failed(outcome: Outcome, body: dict[str, Any], reason: Missing) -> Outcome:
    """The request's Tweets missing for ``reason``, scrubbed: it may quote the server."""
    reason = Missing(reason.kind, scrub(reason.detail))
    for tweet in body[facts.TWEET_IDS_FIELD]:
        outcome.missing.setdefault(tweet, reason)
    outcome.failed = True
    return outcome
