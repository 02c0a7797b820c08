"""Write a file so that a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_file(
    path: str, mode: int | None = None, newline: str | None = None
) -> Iterator[IO[str]]:
    """A temporary file beside ``path`` that replaces it when the block ends without error.

    The new content is synced to the disk before it replaces the old, and the folder
    after, so a crash (even of the machine) leaves the old file or the new one. On an
    error the temporary file is removed. ``newline`` is ``open``'s (``""`` writes the
    text's line ends as they are).

    Without ``mode`` the new file keeps the old one's permissions (a new one gets the
    umask's). With one it has exactly ``mode``, and never anything wider: the temporary
    file is created readable and writable by its owner only and given ``mode`` before
    anything is written to it, so a file of secrets (``0o600``) is never open to others.

    A ``path`` that is a device or a pipe (``-o /dev/null``, ``-o /dev/stdout``) is
    written to as it is: replacing it would put a regular file in its place.
    """
    with _replacing(path, mode, {"mode": "w", "encoding": "utf-8", "newline": newline}) as out:
        yield out


@contextlib.contextmanager
def atomic_binary_file(path: str, mode: int | None = None) -> Iterator[IO[bytes]]:
    """``atomic_file`` for bytes (a Parquet or xlsx file), with the same guarantees."""
    with _replacing(path, mode, {"mode": "wb"}) as out:
        yield out


@contextlib.contextmanager
def _replacing(path: str, mode: int | None, how: dict[str, Any]) -> Iterator[IO[Any]]:
    """``atomic_file``'s work, the file opened as ``open`` takes ``how``."""
    if is_stream(path):
        with open(path, **how) as stream:
            yield stream
        return
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, **how) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if mode is None:
            kept = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o666 & ~_umask()
            os.chmod(tmp, kept)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    sync_folder(folder)


def is_stream(path: str) -> bool:
    """Whether ``path`` is an existing file that is not a regular one (and no folder)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def sync_folder(folder: str) -> None:
    """Make a file created or renamed in ``folder`` survive a crash (POSIX; elsewhere the
    rename is durable by itself or cannot be synced)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
