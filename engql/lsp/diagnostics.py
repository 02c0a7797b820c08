"""A document's diagnostics as ``engql check`` finds them, in LSP's form.

The same path as the command: ``analyse`` and the file warning W002. Each diagnostic
keeps its code, its hint (after the message, and in ``data`` for code actions) and a
link to its entry in docs/errors.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from lsprotocol import types

from engql.check import CheckOptions
from engql.codes import CODES, Severity
from engql.diagnostics import Diagnostic
from engql.lsp.positions import to_range
from engql.lsp.reparse import StatementTrees
from engql.pipeline import analyse, with_file_warnings
from engql.syntax.ast import FileRef, Script, TweetCondition
from engql.syntax.source import Source, Span

HINT_MARK = "\nhint: "
"""What separates a message from its hint in an LSP diagnostic's message."""
_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
}
_ERRORS_DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "errors.md"


def found(
    source: Source, opts: CheckOptions, trees: StatementTrees | None = None
) -> tuple[Script, list[Diagnostic]]:
    """The tree and every diagnostic of a document, exactly those ``engql check`` prints;
    with ``trees``, the statements the last parse saw are not parsed again."""
    script, _, diagnostics = analyse(source, opts, trees.parse if trees else None)
    if trees is not None:
        trees.end()
    return script, with_file_warnings(source, diagnostics)


def to_lsp_all(
    script: Script, diagnostics: Sequence[Diagnostic], encoding: str
) -> list[types.Diagnostic]:
    refs = _file_refs(script)
    return [to_lsp(d, encoding, script.source, refs) for d in diagnostics]


def to_lsp(
    diagnostic: Diagnostic,
    encoding: str,
    document: Source,
    file_refs: Mapping[str, Span] | None = None,
) -> types.Diagnostic:
    """A problem in an IDs file is shown at the FILE that names it (at the document's
    start when none does), and its place in the file is its related information."""
    span, related = diagnostic.span, None
    if span is not None and span.source is not document:
        name = span.source.name
        path = os.path.normpath(os.path.join(os.path.dirname(document.name), name))
        if os.path.isabs(path):
            location = types.Location(uri=Path(path).as_uri(), range=to_range(span, encoding))
            related = [types.DiagnosticRelatedInformation(location=location, message=name)]
        span = (file_refs or {}).get(path)
    message = diagnostic.message
    if diagnostic.hint:
        message += HINT_MARK + diagnostic.hint
    href = errors_link(diagnostic.code)
    return types.Diagnostic(
        range=to_range(span, encoding),
        message=message,
        severity=_SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source="engql",
        related_information=related,
        data={"hint": diagnostic.hint} if diagnostic.hint else None,
    )


def _file_refs(script: Script) -> dict[str, Span]:
    """Each ``FILE 'path'`` of the script by the path it names, as the check reads it."""
    folder = os.path.dirname(script.source.name)
    return {
        os.path.normpath(os.path.join(folder, c.tweets.path)): c.tweets.span
        for statement in script.statements
        for c in statement.conditions
        if isinstance(c, TweetCondition) and isinstance(c.tweets, FileRef)
    }


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
