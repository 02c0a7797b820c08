"""``engql run``: compile a file, check the credentials, send, merge, write the answer.

Data goes to stdout (or ``-o``, written atomically); progress, warnings and diagnostics
to stderr. Exit codes are listed in docs/running.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from typing import IO, TYPE_CHECKING, Any

from engql import facts
from engql.atomic import atomic_binary_file, atomic_file, is_stream
from engql.config import ConfigError, Settings, load_settings
from engql.counted import counted
from engql.credentials import Credentials
from engql.diagnostics import write_diagnostics
from engql.executor.journal import Journal, UnusableRunDirectory
from engql.executor.runner import RunOptions
from engql.executor.transport import Reply
from engql.exits import Exit
from engql.output import extensions, format_of_file, missing_library, output_format
from engql.plan.planner import Plan, Request
from engql.progress import Progress
from engql.redact import REDACTED, scrubbed, shown_url
from engql.running import (
    Output,
    RunHooks,
    RunReport,
    missing_credentials,
    run_plan,
    sandbox_settings,
)
from engql.store.url import StoreError

if TYPE_CHECKING:  # the store's code loads only for --into and collect
    from engql.store import Store
    from engql.store.sink import StoreSink

NOTHING_TO_KEEP = frozenset({Exit.USAGE, Exit.CONFIG, Exit.REFUSED, Exit.INTERRUPTED})
"""Exit codes of runs without an answer: an -o file is left as it was."""


def run(args: argparse.Namespace, plan: Plan, err: IO[str]) -> int:
    """Run a compiled plan as the arguments say; returns the exit code. Whatever it
    writes is scrubbed of the credentials it loaded, a last line of defence."""
    err = scrubbed(err)
    refused = _refused_flags(args)
    if refused is not None:
        print(f"engql: {refused} (see 'engql {args.command} --help')", file=err)
        return Exit.USAGE
    fmt = _format(args, err)
    if fmt is None:
        return Exit.USAGE
    unwritable = _unwritable(args.output) if args.output else None
    if unwritable is not None:
        print(f"engql: -o {args.output}: {unwritable}", file=err)
        return Exit.USAGE
    if args.sandbox:
        from engql.sandbox.server import Sandbox

        clock = plan.statements[0].query.now if args.now and plan.statements else None
        with Sandbox(now=clock) as sandbox:
            return _run(args, plan, sandbox_settings(sandbox), fmt, err)
    try:
        settings, warnings = load_settings(_flags(args), os.environ)
    except ConfigError as error:
        print(f"engql: {error}", file=err)
        return Exit.CONFIG
    for warning in warnings:
        print(f"engql: warning: {warning}", file=err)
    return _run(args, plan, settings, fmt, err)


def _format(args: argparse.Namespace, err: IO[str]) -> str | None:
    """The format to write: ``--format``, else the one ``-o``'s extension names, else
    table on a terminal and json otherwise. None, said in one line, when ``-o``'s name
    names none, the format's library is not installed, or a binary format would go to
    a terminal. A device or pipe (``-o /dev/null``) has no extension to go by."""
    fmt = args.format
    if fmt is None and args.output and not is_stream(args.output):
        fmt = format_of_file(args.output)
        if fmt is None:
            known = ", ".join(sorted(extensions()))
            print(
                f"engql: -o {args.output}: the format is chosen by the file's extension, "
                f"one of {known}, or by --format",
                file=err,
            )
            return None
    fmt = fmt or ("table" if sys.stdout.isatty() and not args.output else "json")
    missing = missing_library(fmt)
    if missing is not None:
        print(f"engql: {missing}", file=err)
        return None
    if output_format(fmt).binary and not args.output and sys.stdout.isatty():
        print(
            f"engql: {fmt} output is binary: give -o FILE.{fmt}, or send stdout to a file or pipe",
            file=err,
        )
        return None
    return fmt


def _refused_flags(args: argparse.Namespace) -> str | None:
    """Why the flags cannot be run, or None: a value out of range, or flags given together
    that cannot all apply (one would be ignored, so a run never goes elsewhere than where
    the user thinks)."""
    if args.concurrency < 1 or (args.rate_limit is not None and args.rate_limit < 1):
        return "--concurrency and --rate-limit must be at least 1"
    if not 0 <= args.max_wait < math.inf:
        return "--max-wait takes a number of seconds, 0 or more"
    if args.sandbox:
        given = [
            flag
            for flag, value in (("--base-url", args.base_url), ("--profile", args.profile))
            if value
        ]
        if given:
            return (
                "--sandbox runs against the local emulator with its own credentials: "
                f"drop {' and '.join(given)}"
            )
    if getattr(args, "dry_run", False) and args.output:
        return "--dry-run prints the requests and sends nothing, so there is no answer for -o"
    if args.quiet and args.verbose:
        return "--quiet and --verbose ask for opposite things: give one of them"
    return None


def _unwritable(path: str) -> str | None:
    """Why ``-o path`` cannot be written, told before any request is sent (the answer
    would be lost after the quota was spent), or None. A device or pipe is written as
    it is; a file is made beside ``path``, so its folder must exist (whether it takes
    one is known when ``_write`` makes it, still before sending)."""
    if is_stream(path):
        return None
    if os.path.isdir(path):
        return "is a folder; give a file's path, such as -o answer.json"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        there = "is not a folder" if os.path.exists(folder) else "does not exist"
        return f"its folder {folder} {there}"
    return None


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {"base_url": args.base_url, "profile": args.profile, "rate_limit": args.rate_limit}


def _run(args: argparse.Namespace, plan: Plan, settings: Settings, fmt: str, err: IO[str]) -> int:
    credentials = Credentials.from_settings(settings)
    collecting = args.command == "collect"
    if not collecting and args.dry_run:
        _dry_run(plan, credentials, settings, err)
        return Exit.OK
    needed = [] if collecting else missing_credentials(plan, credentials)
    if needed:
        print(
            f"engql: credentials missing for this query: set {', '.join(needed)} "
            "(or use a profile: engql configure)",
            file=err,
        )
        return Exit.CONFIG
    if args.verbose:
        for line in settings.describe():
            print(f"engql: {line}", file=err)
    store = None
    target = args.store if collecting else args.into
    if target:
        from engql.store import Store, StoreError

        try:
            store = Store.open(target)
        except StoreError as error:
            flag = "--store" if collecting else "--into"
            print(f"engql: {flag}: {error.message}", file=err)
            return error.exit
    with contextlib.closing(store) if store is not None else contextlib.nullcontext():
        return _write(args, plan, credentials, settings, fmt, err, store)


def _write(
    args: argparse.Namespace,
    plan: Plan,
    credentials: Credentials,
    settings: Settings,
    fmt: str,
    err: IO[str],
    store: Store | None,
) -> int:
    """Check the grouping, open -o and run; the data goes to -o or stdout (none of it
    with --into alone)."""
    names = sorted({name for s in plan.statements for name, _ in s.query.groupings})
    if args.grouping and args.grouping not in names:
        print(
            f"engql: --grouping {args.grouping!r}: the groupings are {', '.join(names)}", file=err
        )
        return Exit.USAGE
    try:
        with contextlib.ExitStack() as stack:
            try:
                out = _opened(stack, args.output, fmt)
            except OSError as error:
                reason = error.strerror or str(error)
                print(f"engql: -o {args.output}: cannot write a file there: {reason}", file=err)
                return Exit.USAGE
            if output_format(fmt).server_text:
                out = scrubbed(out)
            code = _execute(args, plan, credentials, settings, fmt, err, out, store)
            if code in NOTHING_TO_KEEP:
                raise _Discarded(code)
            return code
    except _Discarded as discarded:
        return discarded.code


def _opened(stack: contextlib.ExitStack, path: str | None, fmt: str) -> IO[Any]:
    """``-o PATH``, written atomically, else stdout: bytes for a binary format."""
    binary = output_format(fmt).binary
    if path is None:
        return sys.stdout.buffer if binary else sys.stdout
    return stack.enter_context(atomic_binary_file(path) if binary else atomic_file(path))


class _Discarded(Exception):
    """A run that produced no answer: -o keeps the file it had."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _execute(
    args: argparse.Namespace,
    plan: Plan,
    credentials: Credentials,
    settings: Settings,
    fmt: str,
    err: IO[str],
    out: IO[Any],
    store: Store | None,
) -> int:
    """Run and write to ``out`` (and ``store``); an exception (or Ctrl-C) leaves no
    half-written -o file, and only whole batches in the store."""
    journal = None
    if args.command == "run" and args.resume:
        try:
            journal = Journal(args.resume, plan)
        except UnusableRunDirectory as error:
            print(f"engql: --resume: {error}", file=err)
            return Exit.USAGE
    fetch = None
    if args.command == "collect" and store is not None:  # --store is required
        from engql.store.collect import planned

        fetch = planned(plan, store)
    sent = fetch.plan if fetch is not None else plan
    options = RunOptions(
        concurrency=args.concurrency,
        rate_limit=args.rate_limit or settings.rate_limit,
        on_unowned=args.on_unowned,
        insecure=args.insecure,
        max_wait=args.max_wait,
    )
    progress = Progress(len(sent.requests), err, bar=not args.no_progress, quiet=args.quiet)
    several = len(plan.statements) > 1

    def on_response(request: Request, body: dict[str, Any], reply: Reply) -> None:
        progress.say(f"engql: {attempt_line(request, reply, several)}")

    hooks = RunHooks(
        on_wait=progress.on_wait,
        on_response=on_response if args.verbose else None,
        on_done=progress.on_done,
        on_unreachable=lambda sentence: progress.say(f"engql: {sentence}"),
    )
    try:
        with progress:
            if fetch is not None and store is not None:
                from engql.store.collect import DEFAULT_SETTLE, collect

                report = collect(
                    plan,
                    fetch,
                    store,
                    credentials,
                    settings.base_url,
                    options,
                    output=Output(fmt, out, args.grouping, args.long),
                    hooks=hooks,
                    settle=DEFAULT_SETTLE if args.settle is None else args.settle,
                )
            else:
                report = run_plan(
                    plan,
                    credentials,
                    settings.base_url,
                    options,
                    output=_output(args, fmt, out, store),
                    journal=journal,
                    hooks=hooks,
                    sink=_sink(store, plan),
                )
    except KeyboardInterrupt:
        resume = getattr(args, "resume", None)
        kept = f"; rerun with --resume {resume} to finish" if resume else ""
        if fetch is not None:
            kept = "; collect again to finish (what was stored is kept)"
        print(f"engql: interrupted{kept}", file=err)
        return Exit.INTERRUPTED
    if journal is not None and journal.discarded:
        print(
            f"engql: --resume: {counted(journal.discarded, 'line')} of the journal could not "
            "be used (cut short or damaged) and the requests they held were sent again",
            file=err,
        )
    _report(report, err, args)
    return report.exit


def _output(args: argparse.Namespace, fmt: str, out: IO[Any], store: Store | None) -> Output | None:
    """The data's output: none when it goes into a store and no format or file is asked."""
    if store is not None and not args.format and not args.output:
        return None
    return Output(fmt, out, args.grouping, args.long)


def _sink(store: Store | None, plan: Plan) -> StoreSink | None:
    if store is None:
        return None
    from engql.store.sink import StoreSink

    return StoreSink(store, plan)


def attempt_line(request: Request, reply: Reply, several: bool) -> str:
    """``--verbose``'s line for one attempt: which request, and what came of it
    (``historical batch 0, window 1: HTTP 200``; ``totals batch 2: connection refused``)."""
    where = f"{request.endpoint} batch {request.batch}"
    if request.window is not None:
        where += f", window {request.window}"
    if several:
        where = f"statement {request.statement + 1}, {where}"
    return f"{where}: {reply.broken or f'HTTP {reply.status}'}"


def _report(report: RunReport, err: IO[str], args: argparse.Namespace) -> None:
    if report.credentials_missing:
        print(
            f"engql: credentials missing for this query: set "
            f"{', '.join(report.credentials_missing)} (or use a profile: engql configure)",
            file=err,
        )
        return
    if report.failure is not None:
        prefix = "refused: " if report.exit == Exit.REFUSED else ""
        if isinstance(report.failure, StoreError):
            prefix = "--store: " if args.command == "collect" else "--into: "
        print(f"engql: {prefix}{report.failure}", file=err)
        return
    write_diagnostics(report.warnings, err, args.error_format, args.color)
    if report.unreachable:
        print(f"engql: {report.unreachable_line} (--format json lists them all)", file=err)
    if report.more_missing:
        print(
            f"engql: {counted(report.more_missing, 'more Tweet is', 'more Tweets are')} "
            "missing (--format json lists them all)",
            file=err,
        )
    if not args.quiet:
        print(f"engql: {report.summary}", file=err)


def _dry_run(plan: Plan, credentials: Credentials, settings: Settings, err: IO[str]) -> None:
    from engql.plan.explain import explain_plan

    out = scrubbed(sys.stdout)
    for request in plan.requests:
        scheme = credentials.scheme_for(request.auth)
        print(
            json.dumps(
                {
                    "url": shown_url(request.url_at(settings.base_url)),
                    "auth": request.auth,
                    "headers": {
                        "Authorization": f"{scheme.value} {REDACTED}",
                        **facts.REQUEST_HEADERS,
                    },
                    "body": request.body,
                }
            ),
            file=out,
        )
    print(explain_plan(plan, settings.rate_limit or facts.ASSUMED_RATE_LIMIT), file=err)
