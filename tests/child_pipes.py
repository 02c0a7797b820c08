"""Reading a child process's pipe without blocking past a deadline."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable
from typing import Any


def read_until(stream: Any, enough: Callable[[bytes], bool], deadline: float) -> str:
    """What a pipe gives until ``enough`` of it has come, or fail at ``deadline``
    (``time.monotonic``) instead of blocking on a child that says nothing."""
    data = b""
    while not enough(data):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; read {data!r}"
        ready, _, _ = select.select([stream], [], [], left)
        chunk = os.read(stream.fileno(), 65536) if ready else b""
        assert chunk or not ready, f"the pipe closed; read {data!r}"
        data += chunk
    return data.decode(errors="replace")
