"""The terminal side of ``engql repl``: prompt_toolkit reads, the Shell runs.

Enter runs the input once it ends a statement (``;`` outside quotes and comments), is a
backslash command or ends in ``\\e``, and starts a new line otherwise. Completion, colours
and the toolbar's live diagnostics read the same grammar and facts as the compiler.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    get_common_complete_suffix,
)
from prompt_toolkit.document import Document
from prompt_toolkit.filters import completion_is_selected, emacs_insert_mode, vi_insert_mode
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer

from engql.exits import Exit, internal_error
from engql.highlight import EngqlLexer
from engql.repl.completion import complete
from engql.repl.live_check import LiveCheck
from engql.repl.shell import NextInput, Shell, ends_in_edit
from engql.repl.terminal import page
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
    return not stripped or stripped.startswith("\\") or is_complete(text) or ends_in_edit(text)


def history(path: str) -> History:
    """The history file at ``path``, readable by the user only (it holds queries, as
    psql's does); kept in memory, as said, when it cannot be written."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)  # one made before, with the umask's mode
    except OSError as error:
        print(f"engql: history is not kept: cannot write {path}: {error.strerror}", file=sys.stderr)
        return InMemoryHistory()
    return FileHistory(path)


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

    @bindings.add("c-i", filter=vi_insert_mode | emacs_insert_mode)
    def _tab(event: KeyPressEvent) -> None:
        """Tab inserts what every completion shares, so a prefix only one fits is
        completed at once; with nothing left to share it walks the menu. (prompt_toolkit's
        own Tab selects the menu's first item once the menu shows, and a second Tab then
        takes even a unique one back.)"""
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is None:
            buffer.start_completion(insert_common_part=True)
            return
        if state.complete_index is None:
            if len(state.completions) == 1:
                buffer.apply_completion(state.completions[0])
                return
            common = get_common_complete_suffix(buffer.document, state.completions)
            if common:
                buffer.insert_text(common)
                return
        buffer.complete_next()

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
    checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engql-live-check")
    session: PromptSession[str] = PromptSession(
        PROMPT,
        multiline=True,
        prompt_continuation=lambda width, line, wrapped: CONTINUATION.rjust(width),
        key_bindings=key_bindings(),
        lexer=PygmentsLexer(EngqlLexer),
        completer=EngqlCompleter(shell),
        complete_while_typing=True,
        history=history(history_path(environ)),
        auto_suggest=AutoSuggestFromHistory(),
    )
    live = LiveCheck(lambda: shell.params, checks.submit, session.app.invalidate)
    session.default_buffer.on_text_changed += lambda buffer: live.request(
        buffer.text, buffer.cursor_position
    )
    print(BANNER)
    where = shell.destination()
    if where is not None:
        print(where)
    edited: NextInput | None = None
    try:
        while True:
            try:
                text = session.prompt(
                    bottom_toolbar=live.toolbar,
                    default=edited.text if edited else "",
                    accept_default=edited.run if edited else False,
                )
            except KeyboardInterrupt:
                edited = None
                continue
            except EOFError:
                return 0
            if not _handled(shell, text):
                return 0
            edited, shell.next_input = shell.next_input, None
    finally:
        checks.shutdown(wait=False, cancel_futures=True)


def run_script(shell: Shell, lines: Iterable[str]) -> int:
    """Input that is not a terminal: the same commands and statements, no prompt; 0 at
    its end. With ON_ERROR_STOP, the first input that fails ends it, with its exit code
    (``Shell.failed``)."""
    pending = ""
    for line in lines:
        command = line.strip().startswith("\\") and (not pending or ends_in_edit(line))
        pending += line
        if not command and not is_complete(pending):
            continue
        text, pending = pending, ""
        stop = _step(shell, text)
        edited, shell.next_input = shell.next_input, None
        if stop is None and edited is not None:
            if edited.run:
                stop = _step(shell, edited.text)
            else:
                pending = edited.text + "\n"
        if stop is not None:
            return stop
    if pending.strip():
        return _step(shell, pending) or 0
    return 0


def _step(shell: Shell, text: str) -> int | None:
    """Run one input of a script: the exit code to end with, or None to go on."""
    if not _handled(shell, text):
        return 0
    if shell.on_error_stop and shell.failed is not None:
        return int(shell.failed)
    return None


def _handled(shell: Shell, text: str) -> bool:
    """Run one input; an unexpected error is reported as a bug and the shell goes on."""
    try:
        return shell.handle(text)
    except KeyboardInterrupt:
        shell.failed = Exit.INTERRUPTED
        return True
    except Exception as error:
        print(internal_error(error), file=shell.err)
        shell.failed = Exit.BUG
        return True


def main(sandbox: bool, profile: str | None, on_error_stop: bool = False) -> int:
    """``engql repl``: a terminal gets the interactive shell, a pipe the script mode.
    A ``profile`` that cannot be used ends it at once (exit 3)."""
    environ = os.environ
    interactive = sys.stdin.isatty()
    shell = Shell(
        sys.stdout,
        sys.stderr,
        profile=profile,
        sandbox=sandbox,
        pager=functools.partial(page, environ=environ) if sys.stdout.isatty() else None,
        terminal=sys.stdin if interactive else None,
        on_error_stop=on_error_stop,
    )
    try:
        problem = None if profile is None else shell.profile_problem(profile)
        if problem is not None:
            print(f"engql: {problem}", file=sys.stderr)
            return Exit.CONFIG
        if interactive:
            return run_terminal(shell, environ)
        return run_script(shell, sys.stdin)
    finally:
        shell.close()
