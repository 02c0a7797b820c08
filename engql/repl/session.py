"""The terminal side of ``engql repl``: prompt_toolkit reads, the Shell runs.

Enter runs the input once it ends a statement (``;`` outside quotes and comments) or is a
backslash command, and starts a new line otherwise. Completion, colours and the toolbar's
live diagnostics read the same grammar and facts as the compiler.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import completion_is_selected
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer

from engql.exits import internal_error
from engql.highlight import EngqlLexer
from engql.repl.completion import complete
from engql.repl.live_check import LiveCheck
from engql.repl.shell import SANDBOX_ON, Shell
from engql.syntax.statements import is_complete
from engql.xdg import state_home

PROMPT = "engql> "
CONTINUATION = "...> "
BANNER = "engql shell: statements end with ;  \\help lists commands, Ctrl-D leaves."


def history_path(environ: Mapping[str, str]) -> str:
    """``$XDG_STATE_HOME/engql/history``, by default under ``~/.local/state``."""
    return os.path.join(state_home(environ), "engql", "history")


def ready_to_run(text: str) -> bool:
    """Enter runs the input (rather than adding a line) when this is true."""
    stripped = text.strip()
    return not stripped or stripped.startswith("\\") or is_complete(text)


class EngqlCompleter(Completer):
    """engql.repl.completion.complete, with the shell's parameters, for prompt_toolkit."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        cursor = document.cursor_position
        for suggestion in complete(document.text, cursor, self.shell.param_texts):
            yield Completion(
                suggestion.text,
                start_position=suggestion.start - cursor,
                display_meta=suggestion.meta,
            )


def key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=completion_is_selected)
    def _close_menu(event: KeyPressEvent) -> None:
        event.current_buffer.complete_state = None

    @bindings.add("enter", filter=~completion_is_selected)
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if ready_to_run(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return bindings


def run_terminal(shell: Shell, environ: Mapping[str, str]) -> int:
    """The interactive loop; returns the exit code."""
    path = history_path(environ)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engql-live-check")
    session: PromptSession[str] = PromptSession(
        PROMPT,
        multiline=True,
        prompt_continuation=lambda width, line, wrapped: CONTINUATION.rjust(width),
        key_bindings=key_bindings(),
        lexer=PygmentsLexer(EngqlLexer),
        completer=EngqlCompleter(shell),
        complete_while_typing=True,
        history=FileHistory(path),
        auto_suggest=AutoSuggestFromHistory(),
    )
    live = LiveCheck(lambda: shell.params, checks.submit, session.app.invalidate)
    session.default_buffer.on_text_changed += lambda buffer: live.request(
        buffer.text, buffer.cursor_position
    )
    print(BANNER)
    if shell.sandbox_on:
        print(SANDBOX_ON)
    try:
        while True:
            try:
                text = session.prompt(bottom_toolbar=live.toolbar)
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            if not _handled(shell, text):
                return 0
    finally:
        checks.shutdown(wait=False, cancel_futures=True)


def run_script(shell: Shell, lines: Iterable[str]) -> int:
    """Input that is not a terminal: the same commands and statements, no prompt."""
    pending = ""
    for line in lines:
        if not pending and line.strip().startswith("\\"):
            if not _handled(shell, line):
                return 0
            continue
        pending += line
        if is_complete(pending):
            _handled(shell, pending)
            pending = ""
    if pending.strip():
        _handled(shell, pending)
    return 0


def _handled(shell: Shell, text: str) -> bool:
    """Run one input; an unexpected error is reported as a bug and the shell goes on."""
    try:
        return shell.handle(text)
    except KeyboardInterrupt:
        return True
    except Exception as error:
        print(internal_error(error), file=shell.err)
        return True


def _pager(text: str) -> None:
    import pydoc

    pydoc.pager(text)


def main(sandbox: bool, profile: str | None) -> int:
    """``engql repl``: a terminal gets the interactive shell, a pipe the script mode."""
    environ = os.environ
    shell = Shell(
        sys.stdout,
        sys.stderr,
        profile=profile,
        sandbox=sandbox,
        pager=_pager if sys.stdout.isatty() else None,
    )
    try:
        if sys.stdin.isatty():
            return run_terminal(shell, environ)
        return run_script(shell, sys.stdin)
    finally:
        shell.close()
