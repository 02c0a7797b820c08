"""The engql command: query files, the shell, the sandbox and credential profiles.

``check``, ``compile``, ``fmt``, ``explain``, ``debug``, ``run`` and ``collect`` work on
query files; ``repl`` is the interactive shell; ``sandbox`` serves the emulator;
``configure`` and ``profiles`` manage credentials; ``completion`` prints a shell's
completion script and ``help`` a command's help.

Data goes to stdout, diagnostics to stderr (``check`` prints its diagnostics to stdout,
since they are its output). Each command's ``--help`` ends with examples, its exit codes
(engql.exits) and the variables it reads (engql.command_help).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import IO, Any, NoReturn

from engql import facts
from engql.codes import CODES
from engql.command_help import epilog
from engql.completion import SHELLS
from engql.diagnostics import (
    COLOUR_CHOICES,
    Diagnostic,
    EngqlError,
    has_errors,
    write_diagnostics,
)
from engql.exits import Exit, internal_error
from engql.limits import MAX_QUERY_CHARS
from engql.output import format_names
from engql.params import ParamSyntaxError, parse_cli_params
from engql.pipeline import analyse, options, plan_source, with_file_warnings
from engql.plan.planner import Plan
from engql.syntax.source import Source
from engql.times import BadTime, parse_time_text


class UsageError(Exception):
    """A command line that cannot be run; the message says why (exit 2). ``prog`` is
    the command whose ``--help`` to see, when the parser that refused it says."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """Errors are raised, not printed with the usage; a help's epilog keeps its lines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Records, as ``help_prog``, the innermost command that parsed the line: an
        argument left over is refused there, so its ``--help`` is the one to see."""
        parsed, unknown = super().parse_known_args(args, namespace)
        if not hasattr(parsed, "help_prog"):
            parsed.help_prog = self.prog
        return parsed, unknown


class _Version(argparse.Action):
    """``--version``: the installed package's version, read only when it is asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        import engql

        print(f"engql {engql.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="engql", description=__doc__.splitlines()[0], epilog=epilog(""))
    parser.add_argument("-V", "--version", action=_Version, help="print engql's version")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help="the command to run"
    )

    def query_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-p",
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="bind :NAME (VALUE: text, 1,2,3 or @ids.txt)",
        )
        p.add_argument(
            "--now", metavar="TIME", help="the clock for time expressions and checks (default: now)"
        )

    def colour(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--color",
            choices=COLOUR_CHOICES,
            default="auto",
            help="colour the diagnostics: auto (on a terminal, unless NO_COLOR is set), "
            "always or never",
        )

    def diagnostic_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--error-format",
            choices=("human", "json"),
            default="human",
            help="diagnostics as text with carets, or one JSON object a line",
        )
        colour(p)

    check = commands.add_parser("check", help="report every problem in query files")
    check.add_argument("files", nargs="+", metavar="FILE", help="query files; - for stdin")
    query_options(check)
    diagnostic_options(check)

    compile_ = commands.add_parser("compile", help="print the HTTP requests as JSON Lines")
    compile_.add_argument("file", metavar="FILE", help="a query file; - for stdin")
    query_options(compile_)
    diagnostic_options(compile_)
    compile_.add_argument("--pretty", action="store_true", help="indented JSON")
    compile_.add_argument(
        "--base-url",
        default=facts.DEFAULT_BASE_URL,
        metavar="URL",
        help="the server the requests' URLs name (default: the API's)",
    )

    fmt = commands.add_parser("fmt", help="print query files in canonical form")
    fmt.add_argument("files", nargs="+", metavar="FILE", help="query files; - for stdin")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    mode.add_argument("--write", action="store_true", help="rewrite the files in place")
    colour(fmt)

    debug = commands.add_parser("debug", help="print a stage's value as JSON: ast, query or plan")
    debug.add_argument("stage", choices=("ast", "query", "plan"), help="the stage to print")
    debug.add_argument("file", metavar="FILE", help="a query file; - for stdin")
    debug.add_argument(
        "--base-url", default=facts.DEFAULT_BASE_URL, metavar="URL", help="for the plan's URLs"
    )
    query_options(debug)
    diagnostic_options(debug)
    debug.add_argument("--pretty", action="store_true", help="indented JSON")

    explain = commands.add_parser("explain", help="describe the plan in words")
    explain.add_argument("file", metavar="FILE", help="a query file; - for stdin")
    query_options(explain)
    diagnostic_options(explain)
    explain.add_argument(
        "--rate-limit",
        type=int,
        default=facts.ASSUMED_RATE_LIMIT,
        metavar="N",
        help="requests per minute for the time estimate",
    )
    explain.add_argument(
        "--store",
        metavar="URL",
        help="say what a collection into this store already holds and what it would send",
    )
    run = commands.add_parser("run", help="run a query file and print the merged answer")
    run.add_argument("file", metavar="FILE", help="a query file; - for stdin")
    query_options(run)
    diagnostic_options(run)
    _run_arguments(run)
    collect = commands.add_parser(
        "collect",
        help="bring a store up to date for a query file, sending only what it lacks, "
        "and print the answer",
    )
    collect.add_argument("file", metavar="FILE", help="a query file; - for stdin")
    query_options(collect)
    diagnostic_options(collect)
    collect.add_argument(
        "--store",
        metavar="URL",
        required=True,
        help="the collection's database: sqlite:///FILE.db, duckdb:///FILE.duckdb or "
        "postgresql://USER@HOST:PORT/DB (docs/storage.md)",
    )
    collect.add_argument(
        "--settle",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="hours newer than this when fetched are fetched again (default 24h; e.g. 6h, 2d, 0)",
    )
    _run_arguments(collect, collecting=True)

    configure = commands.add_parser(
        "configure", help="write a credentials profile (prompts; secrets are not echoed)"
    )
    configure.add_argument(
        "--profile",
        metavar="NAME",
        help="the profile to write (default: ENGQL_PROFILE, default_profile, then 'default')",
    )
    profiles = commands.add_parser(
        "profiles", help="list credential profiles, without their secrets; choose or delete one"
    )
    profile_actions = profiles.add_subparsers(
        dest="action", metavar="ACTION", help="none: list the profiles"
    )
    default = profile_actions.add_parser(
        "default", help="make a profile the default one (default_profile)"
    )
    default.add_argument("name", metavar="NAME", help="a profile in the file")
    delete = profile_actions.add_parser("delete", help="remove a profile from the file")
    delete.add_argument("name", metavar="NAME", help="a profile in the file")

    repl = commands.add_parser(
        "repl", help="an interactive shell (also what bare `engql` opens on a terminal)"
    )
    repl.add_argument(
        "--sandbox", action="store_true", help="start with queries running against the emulator"
    )
    repl.add_argument("--profile", metavar="NAME", help="the credentials profile to use")
    repl.add_argument(
        "--on-error-stop",
        action="store_true",
        help="input that is not a terminal stops at the first error, with its exit code "
        "(as psql -v ON_ERROR_STOP=1)",
    )

    sandbox = commands.add_parser("sandbox", help="serve a local emulator of the API")
    sandbox.add_argument("--host", default="127.0.0.1", help="a loopback address")
    sandbox.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sandbox.add_argument("--seed", type=int, default=0, help="seeds credentials and data")
    sandbox.add_argument(
        "--rate-limit",
        type=int,
        default=facts.ASSUMED_RATE_LIMIT,
        metavar="N",
        help="requests a minute per credential",
    )
    sandbox.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        metavar="MS",
        help="delay each request this many milliseconds before handling it",
    )
    sandbox.add_argument(
        "--connection-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="close a connection that sends nothing for this long",
    )
    sandbox.add_argument(
        "--max-connections",
        type=int,
        default=128,
        metavar="N",
        help="connections served at once; past it a new one is closed",
    )
    sandbox.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="N=FAULT",
        help="the Nth request (or N-M) gets FAULT: 500, 502, 503, 429, drop, truncate, "
        "malformed, or a hostile server's (docs/sandbox.md lists them)",
    )
    sandbox.add_argument(
        "--fault-rate",
        action="append",
        default=[],
        metavar="FAULT=P",
        help="each request gets FAULT with probability P",
    )
    sandbox.add_argument(
        "--fault-seed", type=int, default=0, metavar="N", help="seeds the --fault-rate draws"
    )
    for kind in ("unowned", "unavailable", "protected"):
        sandbox.add_argument(
            f"--{kind}", default="", metavar="ID,...", help=f"Tweet IDs that are {kind}"
        )
    sandbox.add_argument(
        "--unavailable-form",
        choices=("with-errors", "ids-only"),
        default="with-errors",
        help="unavailable Tweets with their errors string, or their IDs alone",
    )

    commands.add_parser("lsp", help="serve the Language Server Protocol on stdin and stdout")
    completion = commands.add_parser(
        "completion", help="print the completion script of a shell: bash, zsh or fish"
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell the script is for")
    help_ = commands.add_parser("help", help="print a command's help: engql help COMMAND")
    help_.add_argument(
        "topic", nargs="?", choices=list(commands.choices), metavar="COMMAND", help="the command"
    )
    _add_epilogs(commands)
    return parser


def _add_epilogs(commands: argparse._SubParsersAction[Any]) -> None:
    """Each command's help ends with its examples, exit codes and variables, and so
    does each of its own commands' (``engql profiles delete``)."""
    for parser in commands.choices.values():
        parser.epilog = epilog(parser.prog.removeprefix("engql "))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_epilogs(action)


def _duration(text: str) -> timedelta:
    """``--settle``: a number of hours or days (``6h``, ``2d``), or 0."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([hd]?)\s*", text.lower())
    if match is None or (not match[2] and match[1] != "0"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 6h, 2d or 0")
    amount = int(match[1])
    return timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)


def _run_arguments(run: argparse.ArgumentParser, collecting: bool = False) -> None:
    """The options of ``engql run`` and ``engql collect`` (their code loads only when
    they run); a collection's store is its journal, so it has no --resume, --into or
    --dry-run (``engql explain --store`` says what it would send)."""
    run.add_argument(
        "--format",
        choices=format_names(),
        help="default: the one -o's extension names, else table on a terminal, json otherwise",
    )
    run.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write the data here; .csv, .json, .jsonl, .parquet or .xlsx picks the format",
    )
    if not collecting:
        run.add_argument(
            "--into",
            metavar="URL",
            help="store the answer in a database: sqlite:///FILE.db, duckdb:///FILE.duckdb "
            "or postgresql://USER@HOST:PORT/DB (docs/storage.md)",
        )
    run.add_argument(
        "--sandbox", action="store_true", help="run against a local emulator started for this run"
    )
    run.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's address (default: ENGQL_BASE_URL, else the profile's, else "
        f"{facts.DEFAULT_BASE_URL})",
    )
    run.add_argument("--profile", metavar="NAME", help="the credentials profile to use")
    run.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="requests in flight at once (default 4)",
    )
    run.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="requests a minute when the server sends no limit headers",
    )
    run.add_argument(
        "--on-unowned",
        choices=("fail", "drop"),
        default="fail",
        help="Tweets the credentials do not own: stop (exit 4), or drop them and go on",
    )
    run.add_argument(
        "--max-wait",
        type=float,
        default=facts.MAX_WAIT_SECONDS,
        metavar="SECONDS",
        help="the longest wait for a rate limit; past it a request gives up (exit 6)",
    )
    if not collecting:
        run.add_argument(
            "--resume", metavar="DIR", help="keep a run directory; a rerun sends only what is left"
        )
        run.add_argument("--dry-run", action="store_true", help="print the requests; send nothing")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="print where each setting came from, and each attempt's status",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress, no wait lines and no summary line; warnings and errors still print",
    )
    run.add_argument("--long", action="store_true", help="one row per metric value")
    run.add_argument("--grouping", metavar="NAME", help="the grouping to tabulate")
    run.add_argument(
        "--insecure",
        action="store_true",
        help="allow plain http:// to hosts other than this machine",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    args = None
    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        if not arguments and sys.stdin.isatty() and sys.stdout.isatty():
            arguments = ["repl"]
        args, unknown = build_parser().parse_known_args(arguments)
        if unknown:
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)}", args.help_prog)
        command = {
            "check": run_check,
            "compile": run_compile,
            "debug": run_debug,
            "fmt": run_fmt,
            "sandbox": run_sandbox,
            "run": run_run,
            "collect": run_run,
            "configure": run_configure,
            "profiles": run_profiles,
            "explain": run_explain,
            "repl": run_repl,
            "completion": run_completion,
            "lsp": run_lsp,
            "help": run_help,
        }[args.command]
        return command(args)
    except SystemExit as stop:  # --help and --version print, then argparse stops
        return stop.code if isinstance(stop.code, int) else Exit.OK
    except UsageError as error:
        prog = error.prog or (f"engql {args.command}" if args is not None else "engql")
        print(f"engql: {error} (see '{prog} --help')", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return Exit.OK
    except Exception as error:  # the last line of defence: no traceback, no secret
        print(internal_error(error), file=sys.stderr)
        return Exit.BUG


def read_source(path: str) -> tuple[Source, str]:
    """The query text and the folder its relative FILE paths start from.

    A file and stdin are read alike: strict UTF-8 with universal newlines, a byte-order
    mark dropped, whatever the locale says (Python's own stdin would let bad bytes
    through as surrogates in a C locale), and at most one character more than a query
    may hold, so that ``/dev/zero`` or an endless pipe is refused instead of filling
    memory.
    """
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            buffer: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
            # A text stream in place of stdin (an embedding, a test) is read as it is.
            text = sys.stdin.read(MAX_QUERY_CHARS + 1) if buffer is None else _read_query(buffer)
        else:
            with open(path, "rb") as file:
                text = _read_query(file)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read {name}: {reason}") from None
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"cannot read {name}: it is longer than the {MAX_QUERY_CHARS:,} characters "
            "a query may hold"
        )
    folder = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
    return Source(text, name), folder


def _read_query(raw: IO[bytes]) -> str:
    reader = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict")
    try:
        return reader.read(MAX_QUERY_CHARS + 1)
    finally:
        reader.detach()


def _clock(args: argparse.Namespace) -> datetime | None:
    if not args.now:
        return None
    try:
        return parse_time_text(args.now, datetime.now().astimezone())
    except BadTime as error:
        raise UsageError(f"--now: {error}") from None


def _params(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return parse_cli_params(args.param)
    except ParamSyntaxError as error:
        raise UsageError(str(error)) from None


def _print_diagnostics(
    args: argparse.Namespace, diagnostics: Sequence[Diagnostic], out: IO[str]
) -> None:
    """As the command's --error-format and --color ask (fmt has no JSON form)."""
    write_diagnostics(diagnostics, out, getattr(args, "error_format", "human"), args.color)


def _fails(diagnostics: Sequence[Diagnostic]) -> bool:
    """An error, or a warning about the file itself that the commands exit 1 for."""
    return has_errors(diagnostics) or any(CODES[d.code].of_file for d in diagnostics)


def _plan(args: argparse.Namespace) -> Plan | None:
    """Compile the file of a command, printing diagnostics to stderr; None on errors."""
    params, now = _params(args), _clock(args)
    source, base_dir = read_source(args.file)
    plan, diagnostics = plan_source(source, options(params, now, True, base_dir))
    diagnostics = with_file_warnings(source, diagnostics)
    _print_diagnostics(args, diagnostics, sys.stderr)
    return None if _fails(diagnostics) else plan


def run_check(args: argparse.Namespace) -> int:
    params, now = _params(args), _clock(args)
    failed = False
    for path in args.files:
        source, base_dir = read_source(path)
        _, _, found = analyse(source, options(params, now, True, base_dir))
        diagnostics = with_file_warnings(source, found)
        _print_diagnostics(args, diagnostics, sys.stdout)
        failed = failed or _fails(diagnostics)
    return Exit.QUERY if failed else Exit.OK


def run_compile(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if plan is None:
        return Exit.QUERY
    several = len(plan.statements) > 1
    indent = 2 if args.pretty else None
    write = sys.stdout.write
    for request in plan.requests:
        shown = request.to_json(with_statement=several, base_url=args.base_url)
        write(json.dumps(shown, indent=indent) + "\n")
    return Exit.OK


def run_explain(args: argparse.Namespace) -> int:
    if args.rate_limit < 1:
        raise UsageError("--rate-limit must be at least 1")
    plan = _plan(args)
    if plan is None:
        return Exit.QUERY
    from engql.plan.explain import explain_plan

    print(explain_plan(plan, args.rate_limit))
    if args.store:
        from engql.store.explain import explain_store

        return explain_store(plan, args.store, args.rate_limit, sys.stdout, sys.stderr)
    return Exit.OK


def run_fmt(args: argparse.Namespace) -> int:
    from engql.formatter import format_text

    status = Exit.OK
    for path in args.files:
        source, _ = read_source(path)
        try:
            formatted = format_text(source.text, source.name)
        except EngqlError as error:
            _print_diagnostics(args, error.diagnostics, sys.stderr)
            status = Exit.QUERY
            continue
        if args.check:
            if formatted != source.text:
                print(f"would reformat {path}", file=sys.stderr)
                status = Exit.QUERY
        elif args.write and path != "-":
            if formatted != source.text:
                from engql.atomic import atomic_file

                with atomic_file(path) as out:
                    out.write(formatted)
        else:
            sys.stdout.write(formatted)
    return status


def run_run(args: argparse.Namespace) -> int:
    from engql.run_command import run

    plan = _plan(args)
    if plan is None:
        return Exit.QUERY
    return run(args, plan, sys.stderr)


def run_repl(args: argparse.Namespace) -> int:
    from engql.repl.session import main as repl

    return repl(args.sandbox, args.profile, args.on_error_stop)


def run_configure(args: argparse.Namespace) -> int:
    from engql.config_commands import run_configure as configure

    return configure(args)


def run_profiles(args: argparse.Namespace) -> int:
    from engql.config_commands import run_profiles as profiles

    return profiles(args)


def run_completion(args: argparse.Namespace) -> int:
    from engql.completion import completion_script

    sys.stdout.write(completion_script(build_parser(), args.shell))
    return Exit.OK


def run_lsp(args: argparse.Namespace) -> int:
    from engql.lsp import serve

    return serve()


def run_help(args: argparse.Namespace) -> int:
    """``engql help COMMAND`` is ``engql COMMAND --help``; ``engql help``, ``engql --help``."""
    build_parser().parse_args([args.topic, "--help"] if args.topic else ["--help"])
    return Exit.OK


def run_debug(args: argparse.Namespace) -> int:
    from engql.debug import stage_json

    params, now = _params(args), _clock(args)
    source, base_dir = read_source(args.file)
    opts = options(params, now, allow_files=True, base_dir=base_dir)
    value, found = stage_json(args.stage, source, opts, args.base_url)
    diagnostics = with_file_warnings(source, found)
    _print_diagnostics(args, diagnostics, sys.stderr)
    if value is None or _fails(diagnostics):
        return Exit.QUERY
    print(json.dumps(value, indent=2 if args.pretty else None))
    return Exit.OK


def run_sandbox(args: argparse.Namespace) -> int:
    from engql.sandbox.faults import FaultPlan, FaultSyntaxError, parse_rates, parse_script
    from engql.sandbox.server import CannotServe, Sandbox, serve

    try:
        faults = FaultPlan(
            parse_script(args.fault), parse_rates(args.fault_rate), seed=args.fault_seed
        )
        sandbox = Sandbox(
            host=args.host,
            port=args.port,
            seed=args.seed,
            rate_limit=args.rate_limit,
            latency_ms=args.latency_ms,
            connection_timeout=args.connection_timeout,
            max_connections=args.max_connections,
            faults=faults,
            unowned=_ids(args.unowned),
            unavailable=_ids(args.unavailable),
            unavailable_form=args.unavailable_form,
            protected=_ids(args.protected),
            echo=sys.stderr,
        )
    except CannotServe as error:
        print(f"engql: {error}", file=sys.stderr)
        return Exit.USAGE
    except (FaultSyntaxError, ValueError, OSError) as error:
        raise UsageError(str(error)) from None
    print(f"engql sandbox: serving on {sandbox.base_url}; Ctrl-C stops it", file=sys.stderr)
    try:
        serve(sandbox)
    except KeyboardInterrupt:
        print("engql sandbox: stopped", file=sys.stderr)
    return Exit.OK


def _ids(text: str) -> list[str]:
    return text.replace(",", " ").split()


if __name__ == "__main__":
    sys.exit(main())
