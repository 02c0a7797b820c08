"""A document's diagnostics as ``engql check`` finds them, in LSP's form.

The same path as the command: ``analyse`` and the file warning W002. Each diagnostic
keeps its code, its hint (after the message, and in ``data`` for code actions) and a
link to its entry in docs/errors.md.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lsprotocol import types

from engql.check import CheckOptions
from engql.codes import CODES, Severity
from engql.diagnostics import Diagnostic
from engql.lsp.positions import to_range
from engql.pipeline import analyse, with_file_warnings
from engql.syntax.ast import Script
from engql.syntax.source import Source

HINT_MARK = "\nhint: "
"""What separates a message from its hint in an LSP diagnostic's message."""
_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
}
_ERRORS_DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "errors.md"


def found(source: Source, opts: CheckOptions) -> tuple[Script, list[Diagnostic]]:
    """The tree and every diagnostic of a document, exactly those ``engql check`` prints."""
    script, _, diagnostics = analyse(source, opts)
    return script, with_file_warnings(source, diagnostics)


def to_lsp(diagnostic: Diagnostic, encoding: str) -> types.Diagnostic:
    message = diagnostic.message
    if diagnostic.hint:
        message += HINT_MARK + diagnostic.hint
    href = errors_link(diagnostic.code)
    return types.Diagnostic(
        range=to_range(diagnostic.span, encoding),
        message=message,
        severity=_SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source="engql",
        data={"hint": diagnostic.hint} if diagnostic.hint else None,
    )


def errors_link(code: str) -> str | None:
    """The code's entry in docs/errors.md, where the docs are beside the package."""
    base = _errors_uri()
    return f"{base}#{anchor(code)}" if base else None


def anchor(code: str) -> str:
    """The heading ``## E101 unknown endpoint`` as Markdown renderers link it."""
    heading = f"{code} {CODES[code].title}".lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


@cache
def _errors_uri() -> str | None:
    return _ERRORS_DOC.as_uri() if _ERRORS_DOC.is_file() else None
