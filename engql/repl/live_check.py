"""The toolbar's live diagnostics: the statement under the cursor, checked off the
keystroke path so that a long statement or a large IDs file never slows typing."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

import attrs

from engql.check import CheckOptions
from engql.diagnostics import Diagnostic
from engql.ids_file import IdsFileRefused, StandardInput
from engql.pipeline import analyse, options
from engql.repl.commands import BY_NAME
from engql.syntax.source import Source
from engql.syntax.statements import scan

Submit = Callable[[Callable[[], str]], "Future[str]"]

_STDIN_REFUSED = IdsFileRefused(
    "E307",
    "reading Tweet IDs from standard input is not allowed in the shell: "
    "it is where the shell reads its statements",
    "save the IDs to a file and name it: FILE 'ids.txt', or \\set ids @ids.txt",
)


def check_options(params: Mapping[str, Any], base_dir: str) -> CheckOptions:
    """How the shell checks what it is given: files allowed, as on the command line,
    but not standard input (``FILE '-'``, ``@-``), which is the shell's own."""
    return attrs.evolve(
        options(params, None, True, base_dir), stdin=StandardInput(refusal=_STDIN_REFUSED)
    )


def status_line(text: str, cursor: int, params: Mapping[str, Any]) -> str:
    """One line about the input under the cursor: its first problem, or what it is."""
    stripped = text.strip()
    if stripped.startswith("\\"):
        name = stripped[1:].split(" ", 1)[0].lower()
        command = BY_NAME.get(name)
        if command is None:
            return f"unknown command \\{name}: \\help lists them"
        return f"{command.usage}: {command.help}"
    piece = next((p for p in scan(text).pieces if p.start <= cursor <= p.end + 1), None)
    if piece is None:
        return ""
    _, _, diagnostics = analyse(Source(text), check_options(params, os.getcwd()))
    found = [d for d in diagnostics if d.span is None or piece.start <= d.span.start <= piece.end]
    if not found:
        return "no problems"
    found.sort(key=lambda d: not d.is_error)
    first = _shown(found[0])
    return first if len(found) == 1 else f"{first}  (+{len(found) - 1} more)"


def _shown(d: Diagnostic) -> str:
    location = d.location()
    where = f"{location[1]}:{location[2]} " if location else ""
    return f"{where}{d.severity.value}[{d.code}]: {d.message}"


class LiveCheck:
    """Keeps the status line of the latest input; checks run one at a time elsewhere."""

    def __init__(
        self,
        params: Callable[[], Mapping[str, Any]],
        submit: Submit,
        on_ready: Callable[[], None],
    ) -> None:
        self._params = params
        self._submit = submit
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._latest: tuple[str, int] = ("", 0)
        self._line = ""

    def request(self, text: str, cursor: int) -> None:
        """Check this input when the worker is free; older requests are dropped."""
        with self._lock:
            self._latest = (text, cursor)
        params = dict(self._params())
        future = self._submit(lambda: self._check(text, cursor, params))
        future.add_done_callback(lambda done: self._arrived(text, cursor, done))

    def _check(self, text: str, cursor: int, params: Mapping[str, Any]) -> str:
        with self._lock:
            if self._latest != (text, cursor):
                return ""  # a newer input is queued: skip this one
        return status_line(text, cursor, params)

    def _arrived(self, text: str, cursor: int, done: Future[str]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        with self._lock:
            if self._latest != (text, cursor):
                return
            self._line = done.result()
        self._on_ready()

    def toolbar(self) -> str:
        return self._line
