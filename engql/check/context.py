"""What every rule reads (the statement, the options, values resolved so far) and writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import attrs

from engql import facts
from engql.diagnostics import Diagnostic
from engql.ids_file import StandardInput
from engql.limits import (
    MAX_IDS_FILE_BYTES,
    MAX_JSON_IDS_FILE_BYTES,
    MAX_REPORTS_PER_CODE,
    MAX_TWEET_IDS,
)
from engql.record import Record
from engql.syntax import ast
from engql.syntax.source import Span

FileAccess = bool | Literal["base_dir"]
"""``allow_files``: no files, any file, or only files inside ``base_dir``."""


@attrs.frozen(repr=False)
class CheckOptions(Record):
    """Inputs of validation besides the text: the clock, the parameters, file access.

    ``now`` is an input so that checking is deterministic in tests. Files named by
    ``FILE`` are read only when ``allow_files`` is true (the CLI sets it; the library does
    not, so that compiling untrusted text never touches the disk); relative paths are
    relative to ``base_dir``. ``allow_files="base_dir"`` reads only files inside
    ``base_dir``, for ``FILE`` and ``IdsFileParam`` alike (E311 otherwise). Standard
    input (``FILE '-'``, ``IdsFileParam('-')``) is read only with ``allow_files=True``,
    once for all the statements checked with these options: ``stdin``.
    """

    now: datetime = attrs.field(factory=lambda: datetime.now(UTC))
    params: Mapping[str, Any] = attrs.field(factory=dict)
    allow_files: FileAccess = False
    base_dir: str | None = None
    max_tweet_ids: int = MAX_TWEET_IDS
    max_ids_file_bytes: int = MAX_IDS_FILE_BYTES
    max_json_ids_file_bytes: int = MAX_JSON_IDS_FILE_BYTES
    stdin: StandardInput = attrs.field(factory=StandardInput, eq=False)

    @property
    def confine_files(self) -> bool:
        return self.allow_files == "base_dir"


@attrs.define(repr=False)
class StatementContext(Record):
    """One statement under check. Rules add diagnostics; resolvers fill in values."""

    statement: ast.Statement
    options: CheckOptions
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    endpoint: facts.Endpoint | None = None
    metrics: tuple[str, ...] = ()
    tweet_ids: list[str] = attrs.field(factory=list)
    tweet_ints: Sequence[int] = ()
    """The IDs as integers (an ``array('q')``, compact for millions of IDs)."""
    tweet_origin: Any = None
    time_range: tuple[datetime, datetime] | None = None
    groupings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _counts: Counter[str] = attrs.field(factory=Counter)
    _suppressed: Counter[str] = attrs.field(factory=Counter)

    def report(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self._counts[code] += 1
        if self._counts[code] > MAX_REPORTS_PER_CODE:
            self._suppressed[code] += 1
            return
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def shows(self, code: str) -> bool:
        """Whether the next report of ``code`` is kept (not only counted): worth a span."""
        return self._counts[code] < MAX_REPORTS_PER_CODE

    def finish(self) -> list[Diagnostic]:
        """The diagnostics, with one line per code that had more than the cap."""
        end = self.statement.span.end
        where = Span(self.statement.span.source, end, end)
        for code, count in self._suppressed.items():
            more = "problem is" if count == 1 else "problems are"
            message = f"{count:,} more {code} {more} not shown for this statement"
            self.diagnostics.append(Diagnostic(code, message, where))
        return self.diagnostics

    @property
    def now(self) -> datetime:
        return self.options.now


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming up to five close choices, matched without regard to case."""
    import difflib  # only needed on the error path; kept off the start-up path

    folded = {c.lower(): c for c in choices}
    if word.lower() in folded:
        return f"did you mean '{folded[word.lower()]}'? names are case-sensitive"
    close = difflib.get_close_matches(word.lower(), list(folded), n=5, cutoff=0.6)
    if not close:
        return None
    names = [f"'{folded[c]}'" for c in close]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"did you mean {listed}?"
