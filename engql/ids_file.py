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
"""

from __future__ import annotations

import os
import stat

import attrs

from engql.diagnostics import Refusal
from engql.record import Record

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


def read_text(file: IdsFile, max_bytes: int) -> str:
    """The file's text with universal newlines, as ``open(..., encoding="utf-8-sig")``
    reads it; IdsFileRefused (E308) when it is not a regular UTF-8 text file of at most
    ``max_bytes`` bytes."""
    try:
        text = _read_bytes(file, max_bytes).decode("utf-8-sig")
    except OSError as error:
        raise _cannot(file, error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise _cannot(file, "it is not UTF-8 text") from None
    if "\0" in text:
        raise _cannot(file, "it holds NUL bytes, so it is not a text file")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _read_bytes(file: IdsFile, max_bytes: int) -> bytes:
    """Checked by name first, so that a FIFO or device is never opened, then through
    the descriptor, which is the file actually read."""
    _check_regular(file, os.stat(file.path, follow_symlinks=not file.confined), max_bytes)
    descriptor = os.open(file.path, _OPEN | (_NO_FOLLOW if file.confined else 0))
    with open(descriptor, "rb", buffering=0) as raw:
        size = _check_regular(file, os.fstat(descriptor), max_bytes)
        chunks: list[bytes] = []
        left = max_bytes + 1
        want = min(size, max_bytes) + 1 if size else _CHUNK
        while left:
            chunk = raw.read(min(want, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            want = _CHUNK
    if not left:
        raise _too_large(file, max_bytes)
    return b"".join(chunks)


def _check_regular(file: IdsFile, status: os.stat_result, max_bytes: int) -> int:
    """The file's size as it reports it (0 for ``/proc`` files, whatever they hold)."""
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), None)
        raise _cannot(
            file, f"it is {kind}, not a regular file" if kind else "it is not a regular file"
        )
    if status.st_size > max_bytes:
        raise _too_large(file, max_bytes)
    return status.st_size


def _too_large(file: IdsFile, max_bytes: int) -> IdsFileRefused:
    return _cannot(
        file,
        f"it is larger than {max_bytes:,} bytes",
        "split the IDs over several files and statements",
    )


def _cannot(file: IdsFile, reason: str, hint: str | None = None) -> IdsFileRefused:
    return IdsFileRefused("E308", f"cannot read IDs file '{shown(file.name)}': {reason}", hint)
