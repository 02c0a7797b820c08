"""``%load_ext engql``: the ``%engql`` line magic and the ``%%engql`` cell magic.

Like jupysql's ``%%sql``: the magic's line is parsed like a command line (``engql run``'s
options), the cell is the query, and the magic returns the Result, which Jupyter shows
as tables (``Result._repr_html_``) and keeps in ``_``; ``%%engql df`` also binds its rows
as a DataFrame. A parameter that no ``-p`` binds is looked up among the notebook's
variables, as jupysql binds ``:name``. Whatever stops a run is raised as IPython's
UsageError, which it shows without a traceback: a query's problems as ``engql check``
prints them, each with its caret, anything else in one line. docs/notebooks.md is the
user's account.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import keyword
import shlex
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope

from engql import cli
from engql.client import Client, CredentialsMissing
from engql.config import ConfigError
from engql.counted import counted
from engql.diagnostics import EngqlError
from engql.executor.result import Result
from engql.executor.runner import RunFailed
from engql.executor.transport import InsecureURL
from engql.ids_file import IdsFileRefused, StandardInput
from engql.params import ParamSyntaxError, parse_cli_params
from engql.pipeline import options, plan_source
from engql.running import sandbox_settings
from engql.store.url import StoreError
from engql.syntax.source import Source
from engql.times import BadTime, parse_time_text

if TYPE_CHECKING:  # started only for --sandbox
    from engql.sandbox.server import Sandbox

CELL = "<cell>"
"""A cell's name in its query's diagnostics."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%engql: {message} (see %engql?)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%engql", add_help=False)
    parser.add_argument("words", nargs="*")
    parser.add_argument("-p", "--param", action="append", default=[])
    parser.add_argument("--now")
    parser.add_argument("--sandbox", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--base-url")
    stores = parser.add_mutually_exclusive_group()
    stores.add_argument("--store")
    stores.add_argument("--into")
    parser.add_argument("--grouping")
    parser.add_argument("--long", action="store_true")
    return parser


@magics_class
class EngqlMagics(Magics):
    """The magics of one shell, and the sandbox they started, if any."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.sandbox: Sandbox | None = None
        """The emulator ``--sandbox`` started, once it has: its ``base_url``, its ``log``."""
        self._clock: datetime | None = None
        """The sandbox's clock: the query's --now, else the time it is."""

    @needs_local_scope
    @line_cell_magic
    def engql(
        self, line: str, cell: str | None = None, local_ns: Mapping[str, Any] | None = None
    ) -> Result:
        """%%engql [options] [NAME]      the cell is the query
        %engql [options] [NAME] FILE  the query is FILE

        NAME binds the rows as a pandas DataFrame (Result.to_pandas); the magic returns the
        Result. Options, as for `engql run` (docs/notebooks.md):
          -p, --param NAME=VALUE
                           bind :NAME (text, 1,2,3 or @ids.txt); a parameter no -p
                           binds is looked up among the notebook's variables
          --now TIME       the clock for time expressions and checks
          --sandbox        run against a local emulator, started once for the kernel
          --profile NAME   the credentials profile
          --base-url URL   the API's address
          --store URL      collect into this store and answer from it (as `engql collect`)
          --into URL       store the answer in this database too (as `engql run --into`)
          --grouping NAME  the grouping NAME's DataFrame holds (default: the first)
          --long           NAME's DataFrame in the long form: one row per metric value
        """
        try:
            return self._run(line, cell, local_ns or {})
        except EngqlError as error:
            errors = sum(d.is_error for d in error.diagnostics)
            head = f"the query has {counted(errors, 'error')}; nothing was sent"
            raise UsageError("\n".join([head, *(d.render() for d in error.diagnostics)])) from None
        except CredentialsMissing as error:
            raise UsageError(f"{error} (or use --profile NAME, or --sandbox)") from None
        except RunFailed as error:
            raise UsageError(f"refused: {error}") from None
        except (ConfigError, InsecureURL, cli.UsageError) as error:
            raise UsageError(str(error)) from None

    def close(self) -> None:
        """Stop the sandbox, if one was started."""
        if self.sandbox is not None:
            atexit.unregister(self.sandbox.stop)
            self.sandbox.stop()
            self.sandbox = None

    def _run(self, line: str, cell: str | None, local_ns: Mapping[str, Any]) -> Result:
        try:
            args = build_parser().parse_intermixed_args(shlex.split(line))
        except ValueError as error:  # shlex: an unclosed quote
            raise UsageError(f"%engql: {error}") from None
        shell = self.shell
        assert shell is not None  # the magics are made for a shell
        name, text, where, base_dir = _query(args.words, cell)
        given, now = _options(args, name)
        opts = attrs.evolve(
            options({**shell.user_ns, **local_ns, **given}, now, True, base_dir),
            stdin=StandardInput(refusal=_STDIN_REFUSED),
        )
        plan, diagnostics = plan_source(Source(text, where), opts)
        if plan is None:
            raise EngqlError(diagnostics)
        for warning in plan.warnings:
            print(warning.render(), file=sys.stderr)
        if args.grouping and plan.statements:
            names = [grouping for grouping, _ in plan.statements[0].query.groupings]
            if args.grouping not in names:
                raise UsageError(f"--grouping {args.grouping!r}: the groupings are {names}")
        self._clock = plan.statements[0].query.now if now and plan.statements else None
        client = self._client(args)
        try:
            if args.store:
                result = client.collect(plan, store=args.store)
            else:
                result = client.run(plan, into=args.into)
        except StoreError as error:
            raise UsageError(f"{'--store' if args.store else '--into'}: {error.message}") from None
        if name is not None:
            shell.user_ns[name] = result.to_pandas(grouping=args.grouping, long=args.long)
        return result

    def _client(self, args: argparse.Namespace) -> Client:
        if not args.sandbox:
            client = Client(profile=args.profile, base_url=args.base_url)
            for warning in client.warnings:
                print(f"engql: warning: {warning}", file=sys.stderr)
            return client
        if self.sandbox is None:
            from engql.sandbox.server import Sandbox

            self.sandbox = Sandbox(now=self._sandbox_now).start()
            atexit.register(self.sandbox.stop)
        return Client.from_settings(sandbox_settings(self.sandbox))

    def _sandbox_now(self) -> datetime:
        return self._clock or datetime.now(UTC)


def _query(words: list[str], cell: str | None) -> tuple[str | None, str, str, str | None]:
    """The DataFrame's name (None when none is given), the query's text, its name in
    diagnostics, and the folder its FILE paths start from: the cell, else FILE's."""
    words = list(words)
    if cell is None:
        if not 1 <= len(words) <= 2:
            raise UsageError("%engql takes [NAME] FILE; %%engql takes the query in the cell")
        path = words.pop()
        if path == "-":
            raise UsageError("%engql reads no standard input: name a query file")
        source, base_dir = cli.read_source(path)
        text, where, folder = source.text, source.name, base_dir
    elif len(words) > 1:
        raise UsageError("%%engql takes one NAME, the DataFrame's, and the query in the cell")
    else:
        text, where, folder = cell, CELL, None
    name = words[0] if words else None
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise UsageError(f"NAME is a Python variable's name, not {name!r}")
    return name, text, where, folder


def _options(args: argparse.Namespace, name: str | None) -> tuple[dict[str, Any], datetime | None]:
    """The ``-p`` bindings and the ``--now`` clock, once the options are known to fit."""
    if args.sandbox and (args.profile or args.base_url):
        raise UsageError("--sandbox runs against the emulator: no --profile or --base-url")
    if (args.grouping or args.long) and name is None:
        raise UsageError("--grouping and --long shape NAME's DataFrame: %%engql df --long")
    if name is not None and importlib.util.find_spec("pandas") is None:
        raise UsageError(f"{name} would be a DataFrame: pip install 'engql[pandas]'")
    try:
        given = parse_cli_params(args.param)
        now = parse_time_text(args.now, datetime.now().astimezone()) if args.now else None
    except ParamSyntaxError as error:
        raise UsageError(str(error)) from None
    except BadTime as error:
        raise UsageError(f"--now: {error}") from None
    return given, now


_STDIN_REFUSED = IdsFileRefused(
    "E307",
    "reading Tweet IDs from standard input is not allowed in a notebook: a kernel has none",
    "name a file: FILE 'ids.txt' or -p ids=@ids.txt, or bind the parameter to a Python list",
)


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext engql``."""
    ipython.register_magics(EngqlMagics(ipython))


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext engql``: the sandbox stops."""
    magics = ipython.magics_manager.registry.get(EngqlMagics.__name__)
    if isinstance(magics, EngqlMagics):
        magics.close()
