"""The stages joined: text → tree → checked queries → plan, as the public functions do it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from engql.check import CheckOptions, Query, check_statement
from engql.check.context import FileAccess
from engql.diagnostics import Diagnostic, EngqlError, has_errors
from engql.limits import MAX_DIAGNOSTICS
from engql.plan.planner import Plan, plan_queries
from engql.syntax.ast import Script
from engql.syntax.parser import StatementParser, parse_script, stopped_checking
from engql.syntax.source import Source, Span
from engql.syntax.statements import scan
from engql.times import as_utc


def options(
    params: Mapping[str, Any] | None,
    now: datetime | None,
    allow_files: FileAccess,
    base_dir: str | os.PathLike[str] | None,
) -> CheckOptions:
    if not (isinstance(allow_files, bool) or allow_files == "base_dir"):
        raise ValueError(f"allow_files takes True, False or 'base_dir', not {allow_files!r}")
    return CheckOptions(
        now=as_utc(now) if now is not None else datetime.now(UTC),
        params=dict(params or {}),
        allow_files=allow_files,
        base_dir=os.fspath(base_dir) if base_dir is not None else None,
    )


def analyse(
    source: Source, opts: CheckOptions, statement_parser: StatementParser | None = None
) -> tuple[Script, list[Query], list[Diagnostic]]:
    """Parse and validate; the diagnostics come statement by statement, in file order.

    Checking stops once MAX_DIAGNOSTICS errors are found (E007 says where); warnings
    never stop it, so a script that only has many warnings still compiles. At most
    MAX_DIAGNOSTICS diagnostics are returned, then one that counts what was left out.
    """
    script, syntax = parse_script(source, statement_parser)
    keyed: list[tuple[int, Diagnostic]] = [(d.span.start if d.span else 0, d) for d in syntax]
    queries: list[Query] = []
    errors = len(syntax)
    for index, statement in enumerate(script.statements):
        if errors >= MAX_DIAGNOSTICS:
            if not _stopped(syntax):
                keyed.append((statement.span.start, stopped_checking(statement.span)))
            break
        query, found = check_statement(statement, index, opts)
        keyed.extend((statement.span.start, d) for d in found)
        errors += sum(d.is_error for d in found)
        if query is not None:
            queries.append(query)
    keyed.sort(key=lambda pair: pair[0])
    return script, queries, _within_limit([d for _, d in keyed])


def with_file_warnings(source: Source, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics and W002 when the file holds no statement (it is empty or only
    comments): a command would otherwise check, compile or run nothing and say all is
    well, while the user meant to give it a query. The commands and the language
    server add it; ``check`` does not, since a Python caller gives text, not a file."""
    if scan(source.text).pieces:
        return list(diagnostics)
    hint = "write one, such as SELECT favorites FROM totals WHERE tweet = 20;"
    return [
        *diagnostics,
        Diagnostic("W002", "the file has no statements", Span(source, 0, 0), hint),
    ]


def _within_limit(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The first MAX_DIAGNOSTICS diagnostics, then one where the next one was: E007 when
    an error is among those left out, W001 when they are all warnings."""
    if len(diagnostics) <= MAX_DIAGNOSTICS:
        return diagnostics
    left_out = diagnostics[MAX_DIAGNOSTICS:]
    first = left_out[0].span
    where = None if first is None else first.source.span(first.start, first.start)
    if _stopped(left_out):
        return [*diagnostics[:MAX_DIAGNOSTICS], stopped_checking(where)]
    errors = sum(d.is_error for d in left_out)
    if errors:
        return [*diagnostics[:MAX_DIAGNOSTICS], _not_shown("E007", left_out, errors, where)]
    return [*diagnostics[:MAX_DIAGNOSTICS], _not_shown("W001", left_out, 0, where)]


def _stopped(diagnostics: list[Diagnostic]) -> bool:
    return any(d.code == "E007" for d in diagnostics)


def _not_shown(
    code: str, left_out: list[Diagnostic], errors: int, where: Span | None
) -> Diagnostic:
    if errors:
        message = f"{len(left_out):,} more problems are not shown, {errors:,} of them errors"
    else:
        message = f"{len(left_out):,} more warnings are not shown"
    return Diagnostic(
        code,
        f"{message}: at most {MAX_DIAGNOSTICS:,} problems are listed",
        where,
        hint="fix these and check again" if errors else None,
    )


def check(
    text: str,
    *,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    allow_files: FileAccess = False,
    base_dir: str | os.PathLike[str] | None = None,
    name: str = "<query>",
) -> list[Diagnostic]:
    """Every problem in a script, errors and warnings, in one list (empty when all is well).

    ``now`` fixes the clock (default: the current time); ``params`` binds ``:name``
    parameters; files named by ``FILE`` are read only with ``allow_files=True``,
    relative to ``base_dir``, or with ``allow_files="base_dir"`` only from inside
    ``base_dir`` (the working directory when it is None), which also holds for
    ``IdsFileParam`` paths: then relative to ``base_dir`` too.
    """
    return analyse(Source(text, name), options(params, now, allow_files, base_dir))[2]


def plan_source(source: Source, opts: CheckOptions) -> tuple[Plan | None, list[Diagnostic]]:
    """The plan of a script and every diagnostic; no plan when one is an error."""
    _, queries, diagnostics = analyse(source, opts)
    if has_errors(diagnostics):
        return None, diagnostics
    return plan_queries(queries, diagnostics), diagnostics


def compile(
    text: str,
    *,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    allow_files: FileAccess = False,
    base_dir: str | os.PathLike[str] | None = None,
    name: str = "<query>",
) -> Plan:
    """The plan of a script: its requests with exact JSON bodies, batched and windowed.

    Raises EngqlError carrying every diagnostic when any of them is an error; the
    warnings of a successful compile are in ``Plan.warnings``. Options as for ``check``.
    A plan names endpoint paths, not a server: whoever runs it gives the base URL.
    """
    plan, diagnostics = plan_source(Source(text, name), options(params, now, allow_files, base_dir))
    if plan is None:
        raise EngqlError(diagnostics)
    return plan


def format(text: str, name: str = "<query>") -> str:
    """The canonical text of a script, every comment kept; raises EngqlError on syntax errors.

    Formatting never changes what a script compiles to.
    """
    from engql.formatter import format_text  # loaded on use: `engql compile` never needs it

    return format_text(text, name)
