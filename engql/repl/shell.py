"""What the shell does with each input, apart from the terminal: the session reads lines,
this runs them. Tests drive it with plain strings and StringIO.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

import attrs

from engql import facts
from engql.config import CREDENTIAL_FIELDS, ConfigError, Settings, load_settings, read_profile_file
from engql.counted import counted
from engql.credentials import Credentials
from engql.executor.runner import RunOptions
from engql.exits import Exit
from engql.params import ParamSyntaxError, parse_cli_params
from engql.pipeline import plan_source
from engql.plan.planner import Plan
from engql.progress import Progress
from engql.record import Record
from engql.redact import shown_url
from engql.repl.commands import BY_NAME, COMMANDS, RESULT_FORMATS
from engql.repl.live_check import check_options
from engql.repl.tables import describe_endpoint, metrics_table
from engql.repl.terminal import EditorFailed, edit, keys_hidden
from engql.repl.views import expanded, missing_table
from engql.running import Output, RunHooks, RunReport, run_plan, sandbox_settings
from engql.syntax.source import Source
from engql.syntax.statements import is_complete

if TYPE_CHECKING:
    from engql.executor.result import Result

QUERY_NAME = "<repl>"
EXPANDED = ("on", "off", "auto")
"""What ``\\x`` takes."""
SWITCHES = {"on": True, "1": True, "true": True, "off": False, "0": False, "false": False}
"""What ``\\set ON_ERROR_STOP`` takes, as psql does."""
ON_ERROR_STOP = "ON_ERROR_STOP"


def ends_in_edit(text: str) -> bool:
    """Whether the input's last line is ``\\e``: the lines above are the statement to edit."""
    return text.rstrip().rpartition("\n")[2].strip().lower() == "\\e"


@attrs.frozen(repr=False)
class NextInput(Record):
    """What ``\\e`` leaves for the next prompt: the edited text, and whether to run it
    at once (it ends a statement) or leave it to be typed on."""

    text: str
    run: bool


class Shell:
    """The shell's state (parameters, format, profile, sandbox, output) and its commands.

    ``pager`` receives results taller or wider than the screen; ``None`` writes them
    straight out. ``terminal``, the keyboard's, echoes no key while a query runs.
    ``on_error_stop`` is ``--on-error-stop`` (``\\set ON_ERROR_STOP``).
    """

    def __init__(
        self,
        out: IO[str],
        err: IO[str],
        *,
        profile: str | None = None,
        sandbox: bool = False,
        environ: Mapping[str, str] | None = None,
        pager: Callable[[str], None] | None = None,
        terminal: IO[str] | None = None,
        on_error_stop: bool = False,
    ) -> None:
        self.out = out
        self.err = err
        self.environ = dict(os.environ if environ is None else environ)
        self.pager = pager
        self.terminal = terminal
        self.on_error_stop = on_error_stop
        self.failed: Exit | None = None
        """How the last input failed, as the exit code ``engql run`` would give; None when
        it did not."""
        self.last_statement = ""
        self.last_result: Result | None = None
        self.next_input: NextInput | None = None
        self.expanded = "off"
        self.params: dict[str, Any] = {}
        self.param_texts: dict[str, str] = {}
        self.format = "table"
        self.timing = False
        self.output_path: str | None = None
        self.profile = profile
        self.store: Any = None
        """The store queries collect into (``\\store URL``), or None."""
        self._sandbox: Any = None
        self._handlers: dict[str, Callable[[str], bool]] = {
            "help": self._help,
            "metrics": self._metrics,
            "describe": self._describe,
            "explain": self._explain,
            "compile": self._compile,
            "format": self._format,
            "x": self._expanded,
            "set": self._set,
            "unset": self._unset,
            "params": self._params,
            "profile": self._profile,
            "sandbox": self._sandbox_switch,
            "store": self._store,
            "o": self._output,
            "i": self._include,
            "e": self._edit,
            "missing": self._missing,
            "timing": self._timing,
            "quit": lambda _: False,
        }
        if sandbox:
            self._start_sandbox()

    def close(self) -> None:
        """Stop the sandbox, if one runs, and close the store."""
        self._stop_sandbox()
        if self.store is not None:
            self.store.close()
            self.store = None

    def handle(self, text: str) -> bool:
        """Run one input: a backslash command or statements. False: leave the shell.
        ``failed`` says afterwards whether it failed."""
        self.failed = None
        stripped = text.strip()
        if not stripped:
            return True
        if ends_in_edit(stripped) and "\n" in stripped:
            return self._edit_text(stripped.rpartition("\n")[0])
        if stripped.startswith("\\"):
            return self.meta(stripped)
        self.last_statement = text.strip()
        with keys_hidden(self.terminal):
            self.run_statements(text, QUERY_NAME, os.getcwd())
        return True

    def meta(self, line: str) -> bool:
        name, _, argument = line[1:].partition(" ")
        command = BY_NAME.get(name.strip().lower())
        if command is None:
            self._fail(f"unknown command \\{name}; \\help lists them")
            return True
        argument = argument.strip()
        if command.argument and not argument and not command.optional:
            self._fail(f"usage: {command.usage}")
            return True
        if not command.argument and argument:
            self._fail(f"\\{command.name} takes no argument (usage: {command.usage})")
            return True
        return self._handlers[command.name](argument)

    def destination(self) -> str | None:
        """Where queries go, in one line, as the banner and ``\\sandbox`` say it; None
        when the settings cannot be used (which is said)."""
        if self._sandbox is not None:
            url = self._sandbox.base_url
            return f"queries go to the sandbox at {url}, a local emulator of the API"
        settings = self._settings()
        if settings is None:
            return None
        where = f"queries go to {shown_url(settings.base_url)}"
        if settings.profile is not None:
            return f"{where} (profile {settings.profile})"
        if not any(getattr(settings, name) for name in CREDENTIAL_FIELDS):
            return (
                f"{where}, but no credentials are set: `engql configure` writes a profile, "
                "\\sandbox on needs none"
            )
        return f"{where} (credentials from the environment)"

    def profile_problem(self, name: str) -> str | None:
        """Why profile ``name`` cannot be used, naming the profiles there are; None when
        it can."""
        try:
            file = read_profile_file(self.environ)
            if name not in file.profiles:
                writes = f"`engql configure --profile {name}` writes it"
                if not file.exists:
                    return f"no profile {name!r}: {file.shown} does not exist; {writes}"
                if not file.profiles:
                    return f"no profile {name!r}: {file.shown} has none; {writes}"
                there = ", ".join(file.profiles)
                return f"no profile {name!r}; the profiles in {file.shown} are {there}"
            load_settings({"profile": name}, self.environ)
        except ConfigError as error:
            return str(error)
        return None

    # Statements ----------------------------------------------------------------------

    def run_statements(self, text: str, name: str, base_dir: str) -> None:
        """Compile, run and show ``text``; errors are shown and the shell goes on."""
        started = time.monotonic()
        settings = self._settings()
        if settings is None:
            return
        plan = self._plan(text, name, base_dir)
        if plan is None:
            return
        buffer = io.StringIO()
        credentials = Credentials.from_settings(settings)
        options = RunOptions(rate_limit=settings.rate_limit)
        output = Output(self.format, buffer, stream=False)
        fetch = None
        if self.store is not None:
            from engql.store.collect import collect, planned

            fetch = planned(plan, self.store)
        progress = Progress(len((fetch.plan if fetch else plan).requests), self.err)
        hooks = RunHooks(
            on_wait=progress.on_wait,
            on_done=progress.on_done,
            on_interrupt=progress.around(self._cancelling),
            on_unreachable=lambda sentence: progress.say(f"engql: {sentence}"),
        )
        with progress:
            if fetch is not None:
                report = collect(
                    plan,
                    fetch,
                    self.store,
                    credentials,
                    settings.base_url,
                    options,
                    output=output,
                    hooks=hooks,
                )
            else:
                report = run_plan(
                    plan, credentials, settings.base_url, options, output=output, hooks=hooks
                )
        if not self._show(report, buffer.getvalue()):
            return
        if self.timing:
            self._say(f"Time: {time.monotonic() - started:.3f} s", prefix="")

    def _plan(self, text: str, name: str, base_dir: str) -> Plan | None:
        plan, diagnostics = plan_source(Source(text, name), check_options(self.params, base_dir))
        if plan is None:
            for diagnostic in diagnostics:
                print(diagnostic.render(), file=self.err)
            self.failed = Exit.QUERY
            return None
        for warning in plan.warnings:
            print(warning.render(), file=self.err)
        return plan

    def _cancelling(self) -> None:
        self._say("cancelling: requests in flight finish, no new one is sent")

    def _show(self, report: RunReport, text: str) -> bool:
        """Show what a run gave: its data, then what is missing; False when it gave none
        (credentials missing, refused), which is said instead."""
        if report.credentials_missing:
            self._fail(
                f"credentials missing for this query: set {', '.join(report.credentials_missing)}, "
                "use \\profile NAME, or \\sandbox on",
                Exit.CONFIG,
            )
            return False
        if report.failure is not None:
            refused = "refused: " if report.exit == Exit.REFUSED else ""
            self._fail(f"{refused}{report.failure}", report.exit)
            return False
        result = report.result
        self.last_result = result
        if result is not None and self._expands(text):
            text = expanded(result)
        if self.output_path is not None:
            with open(self.output_path, "a", encoding="utf-8") as file:
                file.write(text)
        else:
            self._page(text)
        if result is not None and result.stats.cancelled:
            self.failed = Exit.INTERRUPTED
            self._say(_cancelled(report.unanswered, len(result.missing)))
            return True
        if report.exit != Exit.OK:
            self.failed = report.exit
        for warning in report.warnings:
            print(warning.render(), file=self.err)
        if report.unreachable:
            self._say(f"{report.unreachable_line}; \\missing lists them")
        if report.more_missing:
            more = counted(report.more_missing, "more Tweet is", "more Tweets are")
            self._say(f"{more} missing; \\missing lists them")
        return True

    def _expands(self, table: str) -> bool:
        """Whether a result is shown as records: ``\\x on``, or ``\\x auto`` and its
        table is wider than the screen it goes to. A pipe has no width unless
        ``COLUMNS`` gives one (as psql's)."""
        if self.format != "table" or self.expanded == "off":
            return False
        if self.expanded == "on":
            return True
        on_screen = self.output_path is None and (self.out.isatty() or "COLUMNS" in os.environ)
        return on_screen and _widest(table) > shutil.get_terminal_size().columns

    def _page(self, text: str) -> None:
        size = shutil.get_terminal_size()
        if self.pager is not None and (
            text.count("\n") > size.lines - 2 or _widest(text) > size.columns
        ):
            self.pager(text)
        else:
            self.out.write(text)
            self.out.flush()

    # Settings and the sandbox ----------------------------------------------------------

    def _settings(self) -> Settings | None:
        if self._sandbox is not None:
            return sandbox_settings(self._sandbox)
        try:
            settings, warnings = load_settings({"profile": self.profile}, self.environ)
        except ConfigError as error:
            self._fail(str(error), Exit.CONFIG)
            return None
        for warning in warnings:
            self._say(f"warning: {warning}")
        return settings

    def _start_sandbox(self) -> None:
        from engql.sandbox.server import Sandbox

        self._sandbox = Sandbox().start()

    def _stop_sandbox(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    # Backslash commands ----------------------------------------------------------------

    def _help(self, _: str) -> bool:
        width = max(len(c.names) for c in COMMANDS)
        for command in COMMANDS:
            print(f"{command.names:<{width}}  {command.help}", file=self.out)
        print(
            "Statements end with ;  Tab completes, Ctrl-C cancels a running query, Ctrl-D leaves.",
            file=self.out,
        )
        return True

    def _metrics(self, endpoint: str) -> bool:
        if endpoint and not self._known_endpoint(endpoint):
            return True
        table = metrics_table(endpoint or None) + "\n"
        self._page(table)
        return True

    def _describe(self, endpoint: str) -> bool:
        if self._known_endpoint(endpoint):
            sandbox = None if self._sandbox is None else self._sandbox.base_url
            print(describe_endpoint(endpoint, sandbox), file=self.out)
        return True

    def _known_endpoint(self, name: str) -> bool:
        if name in facts.ENDPOINTS:
            return True
        self._fail(f"unknown endpoint {name!r}; the endpoints are {', '.join(facts.ENDPOINTS)}")
        return False

    def _explain(self, statement: str) -> bool:
        plan = self._plan(statement, QUERY_NAME, os.getcwd())
        if plan is not None:
            from engql.plan.explain import explain_plan

            print(explain_plan(plan, facts.ASSUMED_RATE_LIMIT), file=self.out)
        return True

    def _compile(self, statement: str) -> bool:
        plan = self._plan(statement, QUERY_NAME, os.getcwd())
        if plan is not None:
            several = len(plan.statements) > 1
            for request in plan.requests:
                print(json.dumps(request.to_json(with_statement=several), indent=2), file=self.out)
        return True

    def _format(self, fmt: str) -> bool:
        if fmt not in RESULT_FORMATS:
            self._fail(f"unknown format {fmt!r}; choose {', '.join(RESULT_FORMATS)}")
        else:
            self.format = fmt
        return True

    def _expanded(self, state: str) -> bool:
        if state and state not in EXPANDED:
            self._fail(f"usage: {BY_NAME['x'].usage}")
            return True
        self.expanded = state or ("off" if self.expanded == "on" else "on")
        shown = {
            "on": "on",
            "off": "off",
            "auto": "used for tables wider than the screen",
        }
        print(f"expanded display is {shown[self.expanded]}", file=self.out)
        return True

    def _set(self, argument: str) -> bool:
        name, _, value = argument.partition(" ")
        value = value.strip()
        if not value:
            self._fail(f"usage: {BY_NAME['set'].usage}")
            return True
        if name == ON_ERROR_STOP:
            if value.lower() not in SWITCHES:
                self._fail(f"usage: \\set {ON_ERROR_STOP} on|off")
            else:
                self.on_error_stop = SWITCHES[value.lower()]
            return True
        try:
            parsed = parse_cli_params([f"{name}={value}"])
        except ParamSyntaxError as error:
            self._fail(str(error))
            return True
        self.params.update(parsed)
        self.param_texts.update(dict.fromkeys(parsed, value))
        return True

    def _unset(self, name: str) -> bool:
        if name == ON_ERROR_STOP:
            self.on_error_stop = False
            return True
        name = name.lstrip(":")
        if self.params.pop(name, None) is None:
            self._fail(f"no parameter :{name}")
        self.param_texts.pop(name, None)
        return True

    def _params(self, _: str) -> bool:
        if not self.param_texts:
            print("no parameters are set (\\set NAME VALUE)", file=self.out)
        for name, value in self.param_texts.items():
            print(f":{name} = {value}", file=self.out)
        return True

    def _profile(self, name: str) -> bool:
        problem = self.profile_problem(name)
        if problem is not None:
            self._fail(problem, Exit.CONFIG)
            return True
        self.profile = name
        if self._sandbox is not None:
            self._say(f"profile {name} is used once the sandbox is off (\\sandbox off)", prefix="")
        else:
            self._say_destination()
        return True

    def _sandbox_switch(self, state: str) -> bool:
        if state not in ("on", "off"):
            self._fail(f"usage: {BY_NAME['sandbox'].usage}")
        elif state == "on":
            if self._sandbox is None:
                self._start_sandbox()
            self._say_destination()
        elif self._sandbox is None:
            self._say_destination("the sandbox is not on; ")
        else:
            self._stop_sandbox()
            self._say_destination("sandbox stopped; ")
        return True

    def _say_destination(self, before: str = "") -> None:
        where = self.destination()
        if where is not None:
            self._say(before + where, prefix="")

    def _store(self, url: str) -> bool:
        from engql.store import Store, StoreError

        if not url:
            if self.store is not None:
                self.store.close()
                self.store = None
            self._say("no store: queries run straight against the API")
            return True
        try:
            opened = Store.open(url)
        except StoreError as error:
            self._fail(f"\\store: {error.message}", error.exit)
            return True
        if self.store is not None:
            self.store.close()
        self.store = opened
        shown = opened.url.shown
        self._say(f"store {shown}: queries are answered from it; only what it lacks is sent")
        return True

    def _output(self, path: str) -> bool:
        if not path:
            self.output_path = None
            return True
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as error:
            self._fail(f"cannot write {path}: {error.strerror}")
            return True
        self.output_path = path
        return True

    def _include(self, path: str) -> bool:
        try:
            with open(path, encoding="utf-8-sig") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            self._fail(f"cannot read {path}: {reason}")
            return True
        with keys_hidden(self.terminal):
            self.run_statements(text, path, os.path.dirname(os.path.abspath(path)))
        return True

    def _edit(self, _: str) -> bool:
        return self._edit_text("")

    def _edit_text(self, current: str) -> bool:
        """``\\e``: the statement being typed (else the last one run) in the editor; what
        comes back runs if it ends a statement, else waits at the prompt to be typed on.
        The last statement, given back unchanged, is not run again (as psql)."""
        text = current.strip() or self.last_statement
        try:
            edited = edit(text + "\n" if text else "", self.environ).strip()
        except EditorFailed as error:
            self._fail(str(error))
            return True
        if not edited:
            return True
        if not current.strip() and edited == self.last_statement:
            self._say("unchanged; nothing was run", prefix="")
            return True
        self.next_input = NextInput(edited, is_complete(edited))
        return True

    def _missing(self, _: str) -> bool:
        result = self.last_result
        if result is None:
            print("no query has run yet", file=self.out)
        elif not result.missing:
            print("the last query has an answer for every Tweet", file=self.out)
        else:
            self._page(missing_table(result))
        return True

    def _timing(self, _: str) -> bool:
        self.timing = not self.timing
        print(f"timing is {'on' if self.timing else 'off'}", file=self.out)
        return True

    def _say(self, message: str, prefix: str = "engql: ") -> None:
        print(prefix + message, file=self.err)

    def _fail(self, message: str, exit: Exit = Exit.USAGE) -> None:
        """Say why the input cannot be done; ``exit`` is what ``--on-error-stop`` ends with."""
        self.failed = exit
        self._say(message)


def _cancelled(unanswered: int, missing: int) -> str:
    """The one line of a cancelled run about the Tweets it lacks, instead of a warning
    for each, which would fill the screen."""
    line = f"cancelled: {counted(unanswered, 'Tweet has', 'Tweets have')} no answer"
    if missing > unanswered:
        line += f" and {counted(missing - unanswered, 'more is', 'more are')} missing"
    return f"{line}; \\missing lists them" if missing else line


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)
