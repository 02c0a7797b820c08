"""``engql lsp``: the language server, a thin layer over what ``check``, the shell and
``fmt`` use, so an editor shows the same diagnostics, completions and formatting.

Only this package imports pygls (the ``engql[lsp]`` extra), and only when it serves.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from engql.exits import Exit

MISSING_PYGLS = "engql lsp needs pygls: pip install 'engql[lsp]'"


def serve() -> int:
    """Serve LSP on stdin and stdout until the client says exit."""
    try:
        from engql.lsp.server import build_server
    except ImportError as error:
        if error.name not in ("pygls", "lsprotocol"):
            raise
        print(MISSING_PYGLS, file=sys.stderr)
        return Exit.USAGE
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    build_server().start_io()
    return Exit.OK


class _OneLine(logging.Formatter):
    """A log record as one line on stderr, which editors show as the server's log: a
    message the server could not read is said with why, not with pygls's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        said = f"engql lsp: {record.getMessage()}"
        exc: Any = record.exc_info
        if exc and exc[1] is not None:
            said += f" ({type(exc[1]).__name__}: {exc[1]})"
        return said
