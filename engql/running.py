"""Running a plan, the one way: check the credentials, send, write the data, collect the
missing Tweets and choose the exit code.

``engql run``, the shell and ``engql.Client`` each call ``run_plan`` and render the
``RunReport`` it returns in their own words; none of them decides an exit code or
counts missing Tweets itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import IO, Any, Protocol

import attrs

from engql.config import CHECKED_FIELDS, Settings
from engql.counted import counted
from engql.credentials import Credentials
from engql.diagnostics import Diagnostic
from engql.executor.journal import Journal
from engql.executor.limiter import WaitHook
from engql.executor.missing import GIVEN_UP, MissingKind
from engql.executor.result import Result
from engql.executor.runner import (
    Batch,
    BatchHook,
    Executor,
    ResponseHook,
    RunFailed,
    RunOptions,
    UnreachableHook,
)
from engql.executor.transport import InsecureURL, Reply, is_loopback
from engql.exits import Exit
from engql.output import RowStream, output_format, write_result
from engql.plan.planner import Plan, Request
from engql.record import Record
from engql.redact import shown_url
from engql.store.url import StoreError

MAX_MISSING_SHOWN = 20
"""Missing Tweets warned about one by one (W601); the rest are counted."""
TOLD_ONCE = frozenset({MissingKind.UNREACHABLE})
"""Kinds of missing Tweets not warned about one by one: their cause is said once, as the
run goes (``RunHooks.on_unreachable``), and their number after it."""


def sandbox_settings(sandbox: Any) -> Settings:
    """The settings of a run against ``sandbox``: its own credentials and address,
    whatever the environment and profiles say."""
    c = sandbox.credentials
    return Settings(
        consumer_key=c.consumer_key,
        consumer_secret=c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token,
        base_url=sandbox.base_url,
        sources=dict.fromkeys(CHECKED_FIELDS, "sandbox"),
    )


def missing_credentials(plan: Plan, credentials: Credentials) -> list[str]:
    """The variables to set before ``plan`` can be sent, sorted; [] when none."""
    return sorted(credentials.missing_for_all(s.auth for s in plan.statements))


def exit_for(result: Result) -> Exit:
    """A run's exit code, from the kinds of its missing Tweets: a request given up wins
    over any other reason, any other reason is a partial answer."""
    kinds = {reason.kind for s in result.statements for reason in s.missing.values()}
    if kinds & GIVEN_UP:
        return Exit.GAVE_UP
    return Exit.PARTIAL if kinds else Exit.OK


@attrs.frozen(repr=False)
class Output(Record):
    """Where a run writes its data: ``fmt`` (an engql.output format) onto ``out`` (bytes
    for a binary format, else text). A format that writes responses does so attempt by
    attempt; with ``stream``, rows that can be are written batch by batch; the rest once
    the run is over."""

    fmt: str
    out: IO[Any]
    grouping: str | None = None
    long: bool = False
    stream: bool = True


class Sink(Protocol):
    """Where a run's answer is stored as it comes (``engql.store.sink.StoreSink``)."""

    def begin(self) -> None:
        """Before the first request is sent."""

    def write_batch(self, batch: Batch) -> None:
        """Each batch of a statement that streams, as it is merged."""

    def finish(self, result: Result, exit: Exit) -> None:
        """The run is over: the statements that did not stream, and how it went."""

    def abort(self, outcome: str) -> None:
        """The run stopped without a result: ``refused`` or ``interrupted``."""


@attrs.frozen(repr=False)
class RunHooks(Record):
    """What a caller watches while the run goes.

    ``on_interrupt``: None lets Ctrl-C (KeyboardInterrupt) out of ``run_plan``; a
    function makes Ctrl-C cancel the run instead (requests in flight finish, the rest
    are missing as cancelled) and is called at the first one, to say so.
    ``on_unreachable``: called once, at the first attempt that could not connect, with
    the sentence to show (``cannot connect to URL: connection refused``).
    """

    on_wait: WaitHook | None = None
    on_response: ResponseHook | None = None
    on_done: Callable[[Request], None] | None = None
    on_interrupt: Callable[[], None] | None = None
    on_unreachable: UnreachableHook | None = None


@attrs.frozen(repr=False)
class RunReport(Record):
    """How a run ended, for its caller to render: the exit code, and the result or why
    there is none."""

    exit: Exit
    result: Result | None = None
    credentials_missing: tuple[str, ...] = ()
    """The variables to set (exit 3); nothing was sent."""
    failure: RunFailed | InsecureURL | StoreError | None = None
    """The API refused the run (exit 4), the base URL is not safe to send to (exit 2), or
    the store failed (its own exit code)."""
    warnings: tuple[Diagnostic, ...] = ()
    """A W601 for each of the first MAX_MISSING_SHOWN missing Tweets, but those ``unreachable``."""
    missing_count: int = 0
    """Missing Tweets, counted per statement as the warnings are."""
    unreachable: int = 0
    """Missing Tweets whose requests could not connect (TOLD_ONCE): the cause was said as
    the run went, so they are counted, not warned about."""

    @property
    def more_missing(self) -> int:
        """Missing Tweets beyond those warned about and those ``unreachable``."""
        return self.missing_count - len(self.warnings) - self.unreachable

    @property
    def unreachable_line(self) -> str:
        """How many Tweets the server could not be reached for; "" when none."""
        if not self.unreachable:
            return ""
        tweets = counted(self.unreachable, "Tweet is", "Tweets are")
        return f"{tweets} missing: the server could not be reached"

    @property
    def unanswered(self) -> int:
        """Tweets that have no answer because the run was cancelled."""
        if self.result is None:
            return 0
        return sum(r.kind is MissingKind.CANCELLED for r in self.result.missing.values())

    @property
    def summary(self) -> str:
        """The closing line: requests, attempts, retries, 429s and the time taken."""
        if self.result is None:
            return ""
        stats = self.result.stats
        return (
            f"{counted(stats.requests, 'request')}, {stats.sent:,} sent, {stats.retries} retried, "
            f"{stats.rate_limited} rate limited, {stats.seconds:.1f} s"
        )


def run_plan(
    plan: Plan,
    credentials: Credentials,
    base_url: str,
    options: RunOptions | None = None,
    *,
    output: Output | None = None,
    journal: Journal | None = None,
    hooks: RunHooks | None = None,
    sink: Sink | None = None,
) -> RunReport:
    """Run ``plan`` against the API at ``base_url``, writing its data to ``output`` and
    storing it in ``sink``.

    Nothing is sent when credentials the plan needs are missing. ``journal`` keeps what
    finished (``--resume``). A KeyboardInterrupt passes through unless
    ``hooks.on_interrupt`` is given.
    """
    needed = missing_credentials(plan, credentials)
    if needed:
        return RunReport(Exit.CONFIG, credentials_missing=tuple(needed))
    try:
        return _run(plan, credentials, base_url, options, output, journal, hooks, sink)
    except StoreError as failed:
        return RunReport(failed.exit, failure=failed)


def _run(
    plan: Plan,
    credentials: Credentials,
    base_url: str,
    options: RunOptions | None,
    output: Output | None,
    journal: Journal | None,
    hooks: RunHooks | None,
    sink: Sink | None,
) -> RunReport:
    hooks = hooks or RunHooks()
    executor = Executor(
        credentials,
        base_url,
        options,
        on_wait=hooks.on_wait,
        on_response=_responses(hooks.on_response, output, base_url),
        on_done=hooks.on_done,
        on_unreachable=_unreachable(hooks.on_unreachable, base_url),
    )
    stream = row_stream(output, plan)
    with ended(stream):  # after a stop, the rows so far as a whole file
        return _send_and_write(plan, executor, output, stream, journal, hooks, sink)


def _send_and_write(
    plan: Plan,
    executor: Executor,
    output: Output | None,
    stream: RowStream | None,
    journal: Journal | None,
    hooks: RunHooks,
    sink: Sink | None,
) -> RunReport:
    on_batch = _batch_hook(stream.write_batch if stream else None, sink)
    keep = sink is not None and output is not None and stream is None

    def run() -> Result:
        return executor.run(plan, journal, on_batch, keep)

    if sink is not None:
        sink.begin()
    try:
        if hooks.on_interrupt is None:
            result = run()
        else:
            result = _cancellable(executor, run, hooks.on_interrupt)
    except RunFailed as failed:
        _abort(sink, "refused")
        return RunReport(Exit.REFUSED, failure=failed)
    except InsecureURL as insecure:
        _abort(sink, "refused")
        return RunReport(Exit.USAGE, failure=insecure)
    except KeyboardInterrupt:
        _abort(sink, "interrupted")
        raise
    code = exit_for(result)
    if sink is not None:
        sink.finish(result, code)
    if output is not None:
        write_output(output, result, stream)
    return report_of(result, code)


def write_output(output: Output, result: Result, stream: RowStream | None) -> None:
    """A finished run's data: after rows that streamed, those that did not and the
    output's end; else the whole result."""
    if stream is not None:
        stream.finish(result)
    else:
        write_result(result, output.fmt, output.out, output.grouping, output.long)


def report_of(result: Result, code: Exit) -> RunReport:
    """The report of a run that has a result: its first missing Tweets as warnings, and
    how many there are."""
    return RunReport(
        code,
        result,
        warnings=tuple(result.warnings(MAX_MISSING_SHOWN, TOLD_ONCE)),
        missing_count=sum(len(s.missing) for s in result.statements),
        unreachable=sum(
            reason.kind in TOLD_ONCE for s in result.statements for reason in s.missing.values()
        ),
    )


def cannot_connect(base_url: str, why: str) -> str:
    """What a run says when it cannot reach the API: where, why, and, on this machine,
    the likely cause."""
    hint = " (is `engql sandbox` running?)" if is_loopback(base_url) else ""
    return f"cannot connect to {shown_url(base_url)}: {why}{hint}"


def _unreachable(hook: UnreachableHook | None, base_url: str) -> UnreachableHook | None:
    if hook is None:
        return None
    return lambda why: hook(cannot_connect(base_url, why))


def _batch_hook(write: BatchHook | None, sink: Sink | None) -> BatchHook | None:
    """The rows' writer and the sink, each given every streamed batch."""
    if sink is None:
        return write
    if write is None:
        return sink.write_batch

    def both(batch: Batch) -> None:
        write(batch)
        sink.write_batch(batch)

    return both


def _abort(sink: Sink | None, outcome: str) -> None:
    if sink is not None:
        sink.abort(outcome)


def ended(stream: RowStream | None) -> contextlib.AbstractContextManager[object]:
    """Ends ``stream`` (if any) when the block leaves, however it leaves."""
    return contextlib.closing(stream) if stream is not None else contextlib.nullcontext()


def row_stream(output: Output | None, plan: Plan) -> RowStream | None:
    """Where rows go batch by batch, when the output streams and its format can."""
    if output is None or not output.stream or not RowStream.can_stream(output.fmt):
        return None
    return RowStream(output.fmt, output.out, plan.statements, output.grouping, output.long)


def _responses(
    hook: ResponseHook | None, output: Output | None, base_url: str
) -> ResponseHook | None:
    """The hook of every attempt: the output's, when its format writes responses (raw),
    then the caller's own."""
    opener = output_format(output.fmt).open_responses if output is not None else None
    if opener is None or output is None:
        return hook
    write = opener(output.out, base_url)
    if hook is None:
        return write

    def both(request: Request, body: dict[str, Any], reply: Reply) -> None:
        write(request, body, reply)
        hook(request, body, reply)

    return both


def _cancellable(
    executor: Executor, run: Callable[[], Result], on_interrupt: Callable[[], None]
) -> Result:
    """``run`` on a worker thread, so that Ctrl-C here cancels the run, not the caller."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = run()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=work, name="engql-run", daemon=True).start()
    cancelled = False
    while not finished.is_set():  # an Event: a Ctrl-C in Thread.join can lose the thread
        try:
            if cancelled:  # again: a cancel just before the run began is not lost
                executor.cancel()
            finished.wait(0.1)
        except KeyboardInterrupt:
            if not cancelled:
                on_interrupt()
            cancelled = True
            executor.cancel()
    error = outcome.get("error")
    if error is not None:
        raise error
    result: Result = outcome["result"]
    return result
