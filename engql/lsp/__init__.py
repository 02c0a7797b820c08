"""``engql lsp``: the language server, a thin layer over what ``check``, the shell and
``fmt`` use, so an editor shows the same diagnostics, completions and formatting.

Only this package imports pygls (the ``engql[lsp]`` extra), and only when it serves.
"""

from __future__ import annotations

import sys

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
    build_server().start_io()
    return Exit.OK
