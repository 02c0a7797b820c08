"""Diagnostics are data: code, severity, message, span and hint.

Every stage collects them instead of raising at the first problem; rendering happens
once, at the edge, as text with a caret (coloured on a terminal) or as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

import attrs

from engql.codes import CODES, Severity
from engql.limits import MAX_QUOTED_CHARS, MAX_SHOWN_COLUMNS
from engql.record import Record
from engql.syntax.source import Source, Span


@attrs.frozen(repr=False)
class Diagnostic(Record):
    """One problem found in a query, at a place in its source."""

    code: str
    message: str
    span: Span | None = attrs.field(default=None, eq=False)
    hint: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> tuple[str, int, int, int, int] | None:
        """(source name, line, column, end line, end column), all 1-based."""
        if self.span is None:
            return None
        line, col = self.span.start_line_col()
        end_line, end_col = self.span.end_line_col()
        return self.span.source.name, line, col, end_line, end_col

    def to_json(self) -> dict[str, Any]:
        loc = self.location()
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": loc[0] if loc else None,
            "line": loc[1] if loc else None,
            "column": loc[2] if loc else None,
            "end": {"line": loc[3], "column": loc[4]} if loc else None,
            "hint": self.hint,
        }
        return data

    def render(self, colour: bool = False) -> str:
        """``file:line:col: error[CODE]: message``, the source line, a caret, the hint.

        With ``colour``, the ``error[CODE]`` or ``warning[CODE]`` label and the caret are
        in the severity's colour; the text is the same but for those escape codes.
        """
        paint = _painter(self.severity) if colour else str
        loc = self.location()
        head = f"{paint(f'{self.severity.value}[{self.code}]')}: {self.message}"
        lines = [f"{loc[0]}:{loc[1]}:{loc[2]}: {head}" if loc else head]
        if self.span is not None and loc is not None:
            lines.extend(_excerpt(self.span.source, *loc[1:], paint))
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


def _excerpt(
    source: Source, line: int, col: int, end_line: int, end_col: int, paint: Callable[[str], str]
) -> list[str]:
    """The source line with a caret under the span; a long line only around the caret.

    At most MAX_SHOWN_COLUMNS columns of the line are copied, so rendering costs the same
    for a line of any length, and a cut is shown by ``...`` and a note with the columns.
    """
    begin, end = source.line_bounds(line)
    length = end - begin
    stop = max(end_col if end_line == line else length + 1, col)
    first = 1
    if length > MAX_SHOWN_COLUMNS:
        first = max(1, min(col - MAX_SHOWN_COLUMNS // 4, length - MAX_SHOWN_COLUMNS + 1))
    text = source.text[begin + first - 1 : begin + min(length, first - 1 + MAX_SHOWN_COLUMNS)]
    opening = "..." if first > 1 else ""
    closing = "..." if first - 1 + len(text) < length else ""
    before = len(opening) + len(text[: col - first].expandtabs())
    under = len(opening) + len(text[: stop - first].expandtabs())
    gutter = f"{line} | "
    shown = [
        gutter + opening + text.expandtabs() + closing,
        " " * (len(gutter) + before) + paint("^" * max(1, under - before)),
    ]
    if opening or closing:
        shown.append(
            f"  = note: line {line} is {length:,} characters long; "
            f"columns {first:,} to {first - 1 + len(text):,} are shown"
        )
    return shown


COLOUR_CHOICES = ("auto", "always", "never")
"""``--color``: auto colours a terminal's diagnostics unless NO_COLOR or TERM=dumb says not."""
NO_COLOR_VARIABLE = "NO_COLOR"
"""Any non-empty value turns colour off where ``--color`` does not ask for it (no-color.org)."""
_SEVERITY_STYLES = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m"}
"""Bold red and bold yellow, as compilers colour their errors and warnings."""
_RESET = "\x1b[0m"


def _painter(severity: Severity) -> Callable[[str], str]:
    style = _SEVERITY_STYLES[severity]
    return lambda text: f"{style}{text}{_RESET}"


def wants_colour(choice: str, stream: IO[str], environ: Mapping[str, str]) -> bool:
    """Whether diagnostics written to ``stream`` are coloured: ``--color always`` or
    ``never`` as said; ``auto`` on a terminal, unless NO_COLOR is set to anything or
    the terminal is a dumb one."""
    if choice not in COLOUR_CHOICES:
        raise ValueError(f"--color takes {', '.join(COLOUR_CHOICES)}, not {choice!r}")
    if choice != "auto":
        return choice == "always"
    if environ.get(NO_COLOR_VARIABLE) or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class EngqlError(Exception):
    """A query could not be used; ``diagnostics`` says every reason, with places."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = next((d for d in self.diagnostics if d.is_error), None)
        summary = first.render().splitlines()[0] if first else "query has errors"
        more = len([d for d in self.diagnostics if d.is_error]) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


class Refusal(ValueError):
    """A value refused with a diagnostic's code, message and hint; the caller knows
    where the value was written and reports it there."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def shortened(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Text to quote in a message: as it is, or its start marked as cut, with its length."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 3]}... ({len(text):,} characters)"


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def write_diagnostics(
    diagnostics: Iterable[Diagnostic], out: IO[str], error_format: str, color: str
) -> None:
    """Each diagnostic as a command's ``--error-format`` (``human`` or ``json``, one
    object a line) and ``--color`` ask, those before a run and those after it alike."""
    colour = error_format == "human" and wants_colour(color, out, os.environ)
    for d in diagnostics:
        print(json.dumps(d.to_json()) if error_format == "json" else d.render(colour), file=out)
