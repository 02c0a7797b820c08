"""Tweet IDs as users write them: numbers, strings of digits, Tweet URLs and IDs files."""

from __future__ import annotations

import re
from typing import cast

import attrs

from engql import facts
from engql.diagnostics import Refusal, shortened
from engql.record import Record

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
    """One ID read from a file, or the reason its line is not one."""

    line: int
    column: int
    text: str


def file_entries(text: str) -> list[FileEntry] | list[str]:
    """The entries of an IDs file.

    A file of only digits and line breaks comes back as the plain list of ID strings
    (the fast path for million-line files); anything else as FileEntry records with
    line numbers: one ID or URL a line with blank lines and ``#`` comments skipped, or a
    CSV whose header names a ``tweet_id``, ``tweet_ids`` or ``id`` column.
    """
    if _is_plain(text):
        return text.split()
    lines = text.splitlines()
    header_at = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if header_at is not None:
        column = _csv_id_column(lines[header_at])
        if column is not None:
            return _csv_entries(lines, header_at, column)
    return [
        FileEntry(n, len(line) - len(line.lstrip()) + 1, line.strip())
        for n, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _is_plain(text: str) -> bool:
    """Only digits and line breaks, no blank line but a final one: one ID a line.

    Three plain scans, each at C speed; a single regex with alternatives is 5x slower.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    body = text[:-1] if text.endswith("\n") else text
    return not (body.startswith("\n") or "\n\n" in body or _NOT_DIGIT_OR_NEWLINE.search(body))


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


def _csv_entries(lines: list[str], header_at: int, column: int) -> list[FileEntry]:
    """The ID column's cells, each at its line and column; blank and # lines skipped."""
    import csv

    entries = []
    for n, line in enumerate(lines[header_at + 1 :], header_at + 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = next(csv.reader([line]))
        except csv.Error:  # a field past csv's size limit: the line is one bad entry
            entries.append(FileEntry(n, len(line) - len(line.lstrip()) + 1, line.strip()))
            continue
        cell = row[column] if column < len(row) else ""
        entries.append(FileEntry(n, _cell_column(line, row, column), cell.strip()))
    return entries


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
