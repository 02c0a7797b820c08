"""Reading an IDs file: a regular text file of bounded size, kept inside a folder if asked.

``FILE '...'`` and ``-p ids=@path`` name a file. What is named may be anything the
process can open: a FIFO that blocks forever, ``/dev/zero`` that never ends, a ``/proc``
file that says it is empty, a path with a NUL in it. Here a path is checked before it
is used, the file is opened without blocking and checked again through its descriptor
(the name may have been swapped for something else in between), and at most one byte
more than the limit is read. With confinement, the path's real location (symbolic links
resolved) must lie inside the folder and the resolved path is opened without following
a link, so that the check and the read see the same file unless a writer inside the
folder races them.

``FILE '-'`` and ``-p ids=@-`` name standard input (``StandardInput``): a pipe or a
redirected file, read once per compile and held to the same limits; a terminal is
refused rather than waited on.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from typing import BinaryIO

import attrs

from engql.diagnostics import Refusal
from engql.record import Record
from engql.tweet_ids import starts_as_json

_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)
_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class IdsFileRefused(Refusal):
    """An IDs file that is not read: the diagnostic's code, message and hint."""


@attrs.frozen(repr=False)
class IdsFile(Record):
    """A located IDs file: ``name`` for messages, ``path`` to open."""

    name: str
    path: str
    confined: bool = False
    """Opened without following a final symbolic link: its real path was checked."""


STDIN = "-"
"""The path that names standard input, as jq and twarc2 take it: ``FILE '-'``, ``@-``."""
STDIN_FILE = IdsFile("<stdin>", STDIN)


@attrs.define(eq=False, repr=False)
class StandardInput:
    """Standard input as an IDs file: read once, when first named, and kept, so that
    every statement and parameter of one compile that names it reads the same text
    (``CheckOptions`` makes one per compile).

    ``stream`` is what to read (the process's standard input when None, looked up when
    read); ``refusal``, why it may not be read at all (the shell reads its statements
    from it).
    """

    stream: BinaryIO | None = None
    refusal: IdsFileRefused | None = None
    _read: str | IdsFileRefused | None = None

    def read(self, max_bytes: int, max_json_bytes: int) -> str:
        """The text, read as an IDs file is; IdsFileRefused (E308) for a terminal (a
        user who forgot to pipe the IDs in gets told, not a prompt that waits), a
        device such as ``/dev/zero``, a closed stream, or what a file is refused for."""
        if self._read is None:
            try:
                self._read = self._read_once(max_bytes, max_json_bytes)
            except IdsFileRefused as refused:
                self._read = refused
        if isinstance(self._read, IdsFileRefused):
            kept = self._read
            raise IdsFileRefused(kept.code, kept.message, kept.hint)
        return self._read

    def _read_once(self, max_bytes: int, max_json_bytes: int) -> str:
        if self.refusal is not None:
            raise self.refusal
        stream = self.stream if self.stream is not None else getattr(sys.stdin, "buffer", None)
        if stream is None:
            closed = sys.stdin is None or sys.stdin.closed
            raise _cannot(STDIN_FILE, "it is closed" if closed else "it gives text, not bytes")
        try:
            if stream.isatty():
                raise _cannot(
                    STDIN_FILE,
                    "it is a terminal: the IDs were not piped in",
                    "pipe them in (twarc2 search ... | engql run q.engql -p ids=@-) or name a file",
                )
            _check_stream(stream)
            data = _read_stream(stream, max_bytes, max_json_bytes)
        except IdsFileRefused:
            raise
        except (OSError, ValueError) as error:  # ValueError: a stream closed under us
            reason = getattr(error, "strerror", None) or str(error)
            raise _cannot(STDIN_FILE, reason) from None
        return _text(STDIN_FILE, data)


def _check_stream(stream: BinaryIO) -> None:
    """A pipe, a socket or a regular file; a stream without a descriptor (an embedding's,
    a test's) is read as it is."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISREG(mode)):
        kind = next((name for test, name in _KINDS if test(mode)), "something else")
        raise _cannot(STDIN_FILE, f"it is {kind}, not a pipe or a regular file")


def shown(path: str) -> str:
    """The path as a message may print it: control characters and the like escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


def locate(path: str, base_dir: str, *, confined: bool) -> IdsFile:
    """Where ``path`` (relative to ``base_dir``) is, or IdsFileRefused.

    Unconfined, any path is taken and messages name the file by its full path. Confined,
    the path must be relative and its real location inside ``base_dir`` (E311), and
    messages name it as written, without the folder.
    """
    _check_characters(path)
    if not confined:
        full = os.path.normpath(os.path.join(base_dir, path))
        return IdsFile(full, full)
    if os.path.isabs(path):
        raise IdsFileRefused(
            "E311",
            f"IDs file '{shown(path)}' is an absolute path; base_dir allows only relative ones",
            _CONFINED_HINT,
        )
    base = os.path.abspath(base_dir)
    real_base = os.path.realpath(base)
    real = os.path.realpath(os.path.join(real_base, path))
    if not _inside(real, real_base):
        through = " through a symbolic link" if _inside(os.path.join(base, path), base) else ""
        raise IdsFileRefused(
            "E311", f"IDs file '{shown(path)}' leads out of base_dir{through}", _CONFINED_HINT
        )
    return IdsFile(path, real, confined=True)


_CONFINED_HINT = "with allow_files='base_dir' an IDs file must be a file inside base_dir"


def _check_characters(path: str) -> None:
    reason = None
    if not path:
        reason = "its path is empty"
    elif "\0" in path:
        reason = "its path holds a NUL character"
    else:
        try:
            os.fsencode(path)
        except UnicodeEncodeError:
            reason = "its path holds a character no file name can hold"
    if reason is not None:
        raise IdsFileRefused("E308", f"cannot read IDs file '{shown(path)}': {reason}")


def _inside(path: str, folder: str) -> bool:
    path = os.path.normpath(path)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def read_text(file: IdsFile, max_bytes: int, max_json_bytes: int) -> str:
    """The file's text with universal newlines, as ``open(..., encoding="utf-8-sig")``
    reads it; IdsFileRefused (E308) when it is not a regular UTF-8 text file of at most
    ``max_bytes`` bytes (``max_json_bytes`` when its first entry is JSON)."""
    try:
        data = _read_bytes(file, max_bytes, max_json_bytes)
    except OSError as error:
        raise _cannot(file, error.strerror or str(error)) from None
    return _text(file, data)


def _text(file: IdsFile, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _cannot(file, "it is not UTF-8 text") from None
    if "\0" in text:
        raise _cannot(file, "it holds NUL bytes, so it is not a text file")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _read_bytes(file: IdsFile, max_bytes: int, max_json_bytes: int) -> bytes:
    """Checked by name first, so that a FIFO or device is never opened, then through
    the descriptor, which is the file actually read. Its first MiB, read in place,
    tells whether its first entry is JSON, and so which limit holds."""
    _check_regular(file, os.stat(file.path, follow_symlinks=not file.confined))
    descriptor = os.open(file.path, _OPEN | (_NO_FOLLOW if file.confined else 0))
    with open(descriptor, "rb", buffering=0) as raw:
        size = _check_regular(file, os.fstat(descriptor))
        head = os.pread(descriptor, _CHUNK, 0)
        limit = _limit(file, head, size, max_bytes, max_json_bytes)
        return _read_up_to(raw, file, limit, size)


def _read_stream(stream: BinaryIO, max_bytes: int, max_json_bytes: int) -> bytes:
    """A stream that cannot be read twice: its first MiB tells the limit."""
    head = stream.read(_CHUNK)
    limit = _limit(STDIN_FILE, head, 0, max_bytes, max_json_bytes)
    return _read_up_to(stream, STDIN_FILE, limit, 0, head)


def _read_up_to(
    raw: BinaryIO, file: IdsFile, limit: tuple[int, bool], size: int, head: bytes = b""
) -> bytes:
    """At most one byte more than the limit, IdsFileRefused past it: a file that says
    its size (a regular one, not in ``/proc``) in one call, anything else a MiB at a
    time."""
    most, json = limit
    chunks = [head] if head else []
    total = len(head)
    while total <= most:
        chunk = raw.read(min(size, most) + 1 - total if 0 <= total < size else _CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > most:
        raise _too_large(file, most, json)
    return b"".join(chunks)


def _limit(
    file: IdsFile, head: bytes, size: int, max_bytes: int, max_json_bytes: int
) -> tuple[int, bool]:
    """The limit for a file that starts with ``head``, and whether it is JSON's;
    IdsFileRefused when ``size`` is past it."""
    json = starts_as_json(head.decode("utf-8-sig", errors="replace"))
    limit = max_json_bytes if json else max_bytes
    if size > limit:
        raise _too_large(file, limit, json)
    return limit, json


def _check_regular(file: IdsFile, status: os.stat_result) -> int:
    """The file's size as it reports it (0 for ``/proc`` files, whatever they hold)."""
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), None)
        raise _cannot(
            file, f"it is {kind}, not a regular file" if kind else "it is not a regular file"
        )
    return status.st_size


def _too_large(file: IdsFile, max_bytes: int, json: bool) -> IdsFileRefused:
    if json:
        return _cannot(
            file,
            f"it is larger than {max_bytes:,} bytes, the most a JSON IDs file may hold",
            "split it over several files and statements, or keep only the IDs: "
            "jq -r '.data[].id' for twarc2's pages",
        )
    return _cannot(
        file,
        f"it is larger than {max_bytes:,} bytes",
        "split the IDs over several files and statements",
    )


def _cannot(file: IdsFile, reason: str, hint: str | None = None) -> IdsFileRefused:
    return IdsFileRefused("E308", f"cannot read IDs file '{shown(file.name)}': {reason}", hint)
