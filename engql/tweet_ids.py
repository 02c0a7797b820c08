"""Tweet IDs as users write them: numbers, strings of digits, Tweet URLs and IDs files."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import attrs

from engql import facts
from engql.diagnostics import Refusal, shortened
from engql.record import Record
from engql.syntax.source import Source, Span

if TYPE_CHECKING:
    from engql.ids_json import JsonEntries, JsonProblem

_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com(?:/[A-Za-z0-9_]{1,50}|/i(?:/web)?)?"
    r"/status(?:es)?/([0-9]+)(?:[/?#]\S*)?",
    re.I,
)
_DIGITS = re.compile(r"[+-]?[0-9]+")
_DIGITS_OR_URL = re.compile(r"([0-9]+)|" + _URL.pattern, re.I)
_NOT_DIGIT_OR_NEWLINE = re.compile(r"[^0-9\n]")
CSV_ID_COLUMNS = ("tweet_id", "tweet_ids", "id")
"""Header names of the ID column in a CSV IDs file, in order of preference."""


class BadTweet(Refusal):
    """A value that is not a Tweet; the message says why, the hint what to write."""


def tweet_id(text: str) -> str:
    """The canonical ID (digits, no leading zeros) of an ID or Tweet URL, or BadTweet."""
    if text.isascii() and text.isdigit():
        return checked_id(text)
    text = text.strip()
    if _DIGITS.fullmatch(text):
        return checked_id(text)
    url = _URL.fullmatch(text)
    if url:
        return checked_id(url.group(1))
    raise BadTweet(
        "E304",
        f"'{shortened(text)}' is neither a Tweet ID nor a Tweet URL",
        "write an ID (1234567890) or a URL like https://x.com/user/status/1234567890",
    )


def plain_digits(values: list[str]) -> list[str] | None:
    """Each value's digits when every one is bare digits or a Tweet URL, else None.

    One regex match per value and no call: the fast path for long lists of quoted IDs
    and URLs. Anything else (blanks, signs, other text) is left to ``tweet_id``.
    """
    found = [
        m.group(m.lastindex or 0) if (m := _DIGITS_OR_URL.fullmatch(v)) else None for v in values
    ]
    return None if None in found else cast(list[str], found)


def checked_id(digits: str) -> str:
    """ASCII digits with an optional sign as a canonical ID, or BadTweet (E303) out of range.

    Compared as text, never converted: Python refuses to convert more than 4,300 digits
    to an int, and for IDs of equal length text order is number order.
    """
    magnitude = digits[1:] if digits[0] == "+" else digits
    if magnitude[0] == "0":
        magnitude = magnitude.lstrip("0")
    width = len(magnitude)
    if (
        width == 0
        or magnitude[0] == "-"
        or width > len(_MAX_ID_TEXT)
        or (width == len(_MAX_ID_TEXT) and magnitude > _MAX_ID_TEXT)
    ):
        raise BadTweet(
            "E303",
            f"Tweet ID {shortened(digits)} is out of range: IDs are positive 64-bit integers",
        )
    return magnitude


_MAX_ID_TEXT = str(facts.MAX_TWEET_ID)


@attrs.frozen(repr=False)
class FileEntry(Record):
    """One ID read from a line or CSV file, or the reason its line is not one."""

    line: int
    column: int
    text: str


@attrs.frozen(repr=False, eq=False)
class FilePlaces(Record):
    """What finding where an IDs file named a Tweet needs, once its IDs are read: the
    format, the ID column of a CSV file, and where each JSON value starts."""

    format: str
    """``ids`` (digits only, the fast path), ``lines`` (one ID or URL a line), ``csv``
    or ``json``."""
    first_line: int = 1
    """The line of the first entry (of a CSV file, its header)."""
    csv_column: int = 0
    starts: array[int] | None = attrs.field(default=None, repr=False)

    def locate(self, source: Source, wanted: str) -> Span | None:
        """The span of the first entry that names Tweet ``wanted``: only the lines where
        its digits appear are read again."""
        text = source.text
        if self.format == "json":
            from engql.ids_json import locate  # loaded with the JSON file that needs it

            assert self.starts is not None
            found = locate(text, self.starts, digit_runs(text, wanted), lambda v: _names(v, wanted))
            return None if found is None else Span(source, *found)
        for offset in digit_runs(text, wanted):
            line = source.line_col(offset)[0]
            entry = self._entry(source, line)
            if entry is not None and _names(entry.text, wanted):
                start = source.offset(entry.line, entry.column)
                return Span(source, start, start + max(len(entry.text), 1))
        return None

    def _entry(self, source: Source, line: int) -> FileEntry | None:
        text = source.line_text(line)
        if self.format == "csv":
            return _csv_entry(line, text, self.csv_column) if line > self.first_line else None
        return _line_entry(line, text)


def digit_runs(text: str, digits: str) -> Iterator[int]:
    """Offsets where ``digits`` appear as a whole number (leading zeros allowed), first
    to last; found with ``str.find``, so a search of a large file costs little."""
    at = text.find(digits)
    while at >= 0:
        end = at + len(digits)
        if end == len(text) or not "0" <= text[end] <= "9":
            begin = at
            while begin and text[begin - 1] == "0":
                begin -= 1
            if not begin or not "0" <= text[begin - 1] <= "9":
                yield begin
        at = text.find(digits, at + 1)


def _names(text: str, wanted: str) -> bool:
    try:
        return tweet_id(text) == wanted
    except BadTweet:
        return False


@attrs.frozen(repr=False, eq=False)
class FileIds(Record):
    """What an IDs file says: each entry's text in order (``values``), where each is,
    and (JSON) the parts that give no ID."""

    places: FilePlaces
    values: list[str] = attrs.field(repr=False)
    records: list[FileEntry] = attrs.field(factory=list, repr=False)
    json: JsonEntries | None = attrs.field(default=None, repr=False)

    @property
    def digits_only(self) -> bool:
        """Every value is ASCII digits: the fast path."""
        return self.places.format == "ids"

    @property
    def problems(self) -> list[JsonProblem]:
        return [] if self.json is None else self.json.problems

    def span(self, source: Source, index: int) -> Span:
        """The span of entry ``index``: its ID or URL, cell, or JSON value."""
        if self.json is not None:
            return Span(source, *self.json.span(source.text, index))
        if self.records:
            entry = self.records[index]
            start = source.offset(entry.line, entry.column)
            return Span(source, start, start + max(len(entry.text), 1))
        start = source.offset(index + 1, 1)
        return Span(source, start, start + len(self.values[index]))

    def problem_span(self, source: Source, problem: JsonProblem) -> Span:
        assert self.json is not None
        return Span(source, *self.json.problem_span(source.text, problem))

    def tweet_id(self, text: str) -> str:
        """The canonical ID of an entry, or BadTweet; in a file of one Tweet a line, a
        JSON entry is said to be one, since a file is read in one format."""
        if self.places.format == "lines" and text[:1] in ("{", "["):
            raise BadTweet(
                "E304",
                f"'{shortened(text)}' is JSON, but this file is read as one Tweet ID or URL "
                f"a line, as its first entry (line {self.places.first_line}) is",
                "a file is read in one format, told by its first entry; "
                "put JSON in a file of its own",
            )
        return tweet_id(text)


def file_entries(text: str) -> FileIds:
    """The entries of an IDs file, in the format its content shows (docs/running.md
    "IDs files"): a file of only digits and line breaks is the plain list of IDs (the
    fast path for million-line files); else the first line that is neither blank nor a
    ``#`` comment tells: ``{`` or ``[`` starts JSON, a CSV header naming a
    ``tweet_id``, ``tweet_ids`` or ``id`` column starts CSV, ``"`` starts JSON, and
    anything else is one ID or URL a line.
    """
    if _is_plain(text):
        return FileIds(FilePlaces("ids"), text.split())
    first = _first_entry(text)
    if first < 0:
        return FileIds(FilePlaces("lines"), [])
    first_line = text.count("\n", 0, first) + 1
    if text[first] in "{[":
        return _json_ids(text, first, first_line)
    lines = text.split("\n")
    column = _csv_id_column(lines[first_line - 1])
    if column is not None:
        return _csv_ids(lines, first_line, column)
    if text[first] == '"':
        return _json_ids(text, first, first_line)
    records = [e for n, line in enumerate(lines, 1) if (e := _line_entry(n, line)) is not None]
    return FileIds(FilePlaces("lines", first_line), [e.text for e in records], records)


def starts_as_json(text: str) -> bool:
    """Whether an IDs file that starts with ``text`` has JSON (``{`` or ``[``) as its
    first entry: such a file may be larger (``MAX_JSON_IDS_FILE_BYTES``)."""
    first = _first_entry(text)
    return first >= 0 and text[first] in "{["


def _first_entry(text: str) -> int:
    """The offset of the first character of the first line that is neither blank nor a
    ``#`` comment, or -1."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        stripped = line.lstrip()
        if stripped.strip() and not stripped.startswith("#"):
            return pos + len(line) - len(stripped)
        pos = end + 1
    return -1


def _json_ids(text: str, first: int, first_line: int) -> FileIds:
    from engql.ids_json import read_json  # JSON files are read on demand: not at start-up

    found = read_json(text, first)
    return FileIds(FilePlaces("json", first_line, starts=found.starts), found.values, json=found)


def _line_entry(n: int, line: str) -> FileEntry | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    return FileEntry(n, len(line) - len(line.lstrip()) + 1, stripped)


def _is_plain(text: str) -> bool:
    """Only digits and line breaks, no blank line but a final one: one ID a line.

    Two plain scans at C speed, the first of which stops at the first other character,
    and no copy of the text; a single regex with alternatives is 5x slower. (Line
    breaks are ``\\n`` alone: ``read_text`` has made them so.)
    """
    end = len(text) - text.endswith("\n")
    return not (
        _NOT_DIGIT_OR_NEWLINE.search(text, 0, end)
        or text.startswith("\n")
        or text.find("\n\n", 0, end) >= 0
    )


def _csv_id_column(header: str) -> int | None:
    import csv  # CSV files are rare; kept off the start-up path

    try:
        names = [c.strip().lower() for c in next(csv.reader([header]))]
    except csv.Error:  # a field past csv's size limit: no header of a CSV of IDs
        return None
    for wanted in CSV_ID_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    return None


def _csv_ids(lines: list[str], header_line: int, column: int) -> FileIds:
    """The ID column's cells, each at its line and column; blank and # lines skipped."""
    records = [
        e
        for n, line in enumerate(lines[header_line:], header_line + 1)
        if (e := _csv_entry(n, line, column)) is not None
    ]
    places = FilePlaces("csv", header_line, column)
    return FileIds(places, [e.text for e in records], records)


def _csv_entry(n: int, line: str, column: int) -> FileEntry | None:
    import csv

    if not line.strip() or line.lstrip().startswith("#"):
        return None
    try:
        row = next(csv.reader([line]))
    except csv.Error:  # a field past csv's size limit: the line is one bad entry
        return FileEntry(n, len(line) - len(line.lstrip()) + 1, line.strip())
    cell = row[column] if column < len(row) else ""
    return FileEntry(n, _cell_column(line, row, column), cell.strip())


def _cell_column(line: str, row: list[str], column: int) -> int:
    """The 1-based column where a cell's text starts in its line (after a quote, if any)."""
    if column >= len(row):
        return len(line) + 1
    at = 0
    for cell in row[:column]:
        at = line.find(",", at + (len(cell) if line[at : at + 1] != '"' else len(cell) + 2)) + 1
    text = row[column].strip()
    found = line.find(text, at) if text else at
    return (found if found >= 0 else at) + 1
