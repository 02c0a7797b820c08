"""The terminal while the shell is not reading from it: kept quiet while a query runs,
or handed to the pager or the editor.

The pager and the editor are shell commands (``PAGER="less -S"``, ``EDITOR="code -w"``),
run through ``/bin/sh`` as git and psql run them. While one runs, a Ctrl-C is its own:
the shell waits for it rather than leaving it behind on the screen.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO

LESS_OPTIONS = "-SRXF"
"""less's options when ``LESS`` is not set, as pgcli's: long lines are chopped (scroll
sideways) rather than wrapped, colours pass, the screen is left as it is, and a text
that fits on one screen is shown without waiting."""

NOT_FOUND = 127
"""What ``/bin/sh`` exits with when it cannot find the command."""


@contextlib.contextmanager
def keys_hidden(terminal: IO[str] | None) -> Iterator[None]:
    """Keys typed in the block are not echoed (an arrow key would show as ``^[[A``);
    they stay typed ahead for the next prompt. The terminal's mode is restored however
    the block ends, Ctrl-C included. Nothing happens when ``terminal`` is not one."""
    if terminal is None or not terminal.isatty():
        yield
        return
    try:
        import termios
    except ImportError:  # not on POSIX: the keys are echoed as before
        yield
        return
    descriptor = terminal.fileno()
    saved = termios.tcgetattr(descriptor)
    quiet = termios.tcgetattr(descriptor)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(descriptor, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(descriptor, termios.TCSANOW, saved)


def page(text: str, environ: Mapping[str, str]) -> None:
    """Show ``text`` through ``$PAGER``, else ``less``; less gets ``LESS_OPTIONS`` unless
    ``LESS`` is set. An empty ``PAGER``, or one that cannot be started, writes ``text``
    straight to stdout."""
    command = environ.get("PAGER", "less")
    if not command.strip():
        _write(text)
        return
    env = dict(environ)
    env.setdefault("LESS", LESS_OPTIONS)
    sys.stdout.flush()
    try:
        pager = subprocess.Popen(
            command, shell=True, stdin=subprocess.PIPE, env=env, text=True, errors="replace"
        )
    except OSError:
        _write(text)
        return
    assert pager.stdin is not None
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # quit before the end
        pager.stdin.write(text)
    with contextlib.suppress(BrokenPipeError):
        pager.stdin.close()
    if _waited(pager) == NOT_FOUND:
        _write(text)


class EditorFailed(Exception):
    """The editor could not be run, or did not end well; the message says which."""


def edit(text: str, environ: Mapping[str, str]) -> str:
    """``text`` as the user left it in ``$VISUAL``, else ``$EDITOR``, else ``vi``, edited in
    a temporary ``.engql`` file (made readable by the user only, and removed after)."""
    editor = environ.get("VISUAL") or environ.get("EDITOR") or "vi"
    descriptor, path = tempfile.mkstemp(prefix="engql-", suffix=".engql")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        sys.stdout.flush()
        try:
            process = subprocess.Popen(f"{editor} {shlex.quote(path)}", shell=True, env=environ)
        except OSError as error:
            raise EditorFailed(f"cannot run the editor {editor!r}: {error.strerror}") from None
        status = _waited(process)
        if status == NOT_FOUND:
            raise EditorFailed(f"cannot run the editor {editor!r}; set VISUAL or EDITOR")
        if status != 0:
            raise EditorFailed(f"the editor {editor!r} exited with {status}; nothing was run")
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except UnicodeDecodeError:
            raise EditorFailed("the edited text is not UTF-8; nothing was run") from None
        except OSError as error:
            raise EditorFailed(f"cannot read the edited text: {error.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _waited(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> int:
    """The process's exit status, once it has ended: a Ctrl-C meanwhile is the process's."""
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
