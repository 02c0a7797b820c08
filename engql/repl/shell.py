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
from typing import IO, Any

from engql import facts
from engql.config import ConfigError, Settings, load_settings
from engql.counted import counted
from engql.credentials import Credentials
from engql.executor.runner import RunOptions
from engql.exits import Exit
from engql.params import ParamSyntaxError, parse_cli_params
from engql.pipeline import plan_source
from engql.plan.planner import Plan
from engql.progress import Progress
from engql.repl.commands import BY_NAME, COMMANDS, RESULT_FORMATS
from engql.repl.live_check import check_options
from engql.repl.tables import describe_endpoint, metrics_table
from engql.running import Output, RunHooks, RunReport, run_plan, sandbox_settings
from engql.syntax.source import Source

QUERY_NAME = "<repl>"
SANDBOX_ON = "sandbox on: queries run against a local emulator of the API"


class Shell:
    """The shell's state (parameters, format, profile, sandbox, output) and its commands.

    ``pager`` receives results taller than the screen; ``None`` writes them straight out.
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
    ) -> None:
        self.out = out
        self.err = err
        self.environ = dict(os.environ if environ is None else environ)
        self.pager = pager
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
            "set": self._set,
            "unset": self._unset,
            "params": self._params,
            "profile": self._profile,
            "sandbox": self._sandbox_switch,
            "store": self._store,
            "o": self._output,
            "i": self._include,
            "timing": self._timing,
            "quit": lambda _: False,
        }
        if sandbox:
            self._start_sandbox()

    @property
    def sandbox_on(self) -> bool:
        return self._sandbox is not None

    def close(self) -> None:
        """Stop the sandbox, if one runs, and close the store."""
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def handle(self, text: str) -> bool:
        """Run one input: a backslash command or statements. False: leave the shell."""
        stripped = text.strip()
        if not stripped:
            return True
        if stripped.startswith("\\"):
            return self.meta(stripped)
        self.run_statements(text, QUERY_NAME, os.getcwd())
        return True

    def meta(self, line: str) -> bool:
        name, _, argument = line[1:].partition(" ")
        command = BY_NAME.get(name.strip().lower())
        if command is None:
            self._say(f"unknown command \\{name}; \\help lists them")
            return True
        argument = argument.strip()
        if command.argument and not argument and not command.optional:
            self._say(f"usage: {command.usage}")
            return True
        if not command.argument and argument:
            self._say(f"\\{command.name} takes no argument (usage: {command.usage})")
            return True
        return self._handlers[command.name](argument)

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
            self._say(
                f"credentials missing for this query: set {', '.join(report.credentials_missing)}, "
                "use \\profile NAME, or \\sandbox on"
            )
            return False
        if report.failure is not None:
            refused = "refused: " if report.exit == Exit.REFUSED else ""
            self._say(f"{refused}{report.failure}")
            return False
        if self.output_path is not None:
            with open(self.output_path, "a", encoding="utf-8") as file:
                file.write(text)
        else:
            self._page(text)
        for warning in report.warnings:
            print(warning.render(), file=self.err)
        if report.more_missing:
            self._say(f"{counted(report.more_missing, 'more Tweet is', 'more Tweets are')} missing")
        if report.result is not None and report.result.stats.cancelled:
            self._say(
                f"cancelled: {counted(report.unanswered, 'Tweet has', 'Tweets have')} no answer"
            )
        return True

    def _page(self, text: str) -> None:
        if self.pager is not None and text.count("\n") > _screen_lines():
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
            self._say(str(error))
            return None
        for warning in warnings:
            self._say(f"warning: {warning}")
        return settings

    def _start_sandbox(self) -> None:
        from engql.sandbox.server import Sandbox

        self._sandbox = Sandbox().start()

    # Backslash commands ----------------------------------------------------------------

    def _help(self, _: str) -> bool:
        width = max(len(c.usage) for c in COMMANDS)
        for command in COMMANDS:
            print(f"{command.usage:<{width}}  {command.help}", file=self.out)
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
            print(describe_endpoint(endpoint), file=self.out)
        return True

    def _known_endpoint(self, name: str) -> bool:
        if name in facts.ENDPOINTS:
            return True
        self._say(f"unknown endpoint {name!r}; the endpoints are {', '.join(facts.ENDPOINTS)}")
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
            self._say(f"unknown format {fmt!r}; choose {', '.join(RESULT_FORMATS)}")
        else:
            self.format = fmt
        return True

    def _set(self, argument: str) -> bool:
        name, _, value = argument.partition(" ")
        value = value.strip()
        if not value:
            self._say(f"usage: {BY_NAME['set'].usage}")
            return True
        try:
            parsed = parse_cli_params([f"{name}={value}"])
        except ParamSyntaxError as error:
            self._say(str(error))
            return True
        self.params.update(parsed)
        self.param_texts.update(dict.fromkeys(parsed, value))
        return True

    def _unset(self, name: str) -> bool:
        name = name.lstrip(":")
        if self.params.pop(name, None) is None:
            self._say(f"no parameter :{name}")
        self.param_texts.pop(name, None)
        return True

    def _params(self, _: str) -> bool:
        if not self.param_texts:
            print("no parameters are set (\\set NAME VALUE)", file=self.out)
        for name, value in self.param_texts.items():
            print(f":{name} = {value}", file=self.out)
        return True

    def _profile(self, name: str) -> bool:
        previous = self.profile
        self.profile = name
        if self._sandbox is not None:
            self._say("the sandbox is on; \\sandbox off to use the profile")
        elif self._settings() is None:
            self.profile = previous
        return True

    def _sandbox_switch(self, state: str) -> bool:
        if state not in ("on", "off"):
            self._say(f"usage: {BY_NAME['sandbox'].usage}")
        elif state == "on" and self._sandbox is None:
            self._start_sandbox()
            self._say(SANDBOX_ON, prefix="")
        elif state == "off":
            self.close()
        return True

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
            self._say(f"\\store: {error.message}")
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
            self._say(f"cannot write {path}: {error.strerror}")
            return True
        self.output_path = path
        return True

    def _include(self, path: str) -> bool:
        try:
            with open(path, encoding="utf-8-sig") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            self._say(f"cannot read {path}: {reason}")
            return True
        self.run_statements(text, path, os.path.dirname(os.path.abspath(path)))
        return True

    def _timing(self, _: str) -> bool:
        self.timing = not self.timing
        print(f"timing is {'on' if self.timing else 'off'}", file=self.out)
        return True

    def _say(self, message: str, prefix: str = "engql: ") -> None:
        print(prefix + message, file=self.err)


def _screen_lines() -> int:
    return shutil.get_terminal_size().lines - 2
