"""Tweet IDs as users write them: numbers, strings of digits, Tweet URLs and IDs files."""

from __future__ import annotations

import re

import attrs

from engql import facts

_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:[A-Za-z0-9_]{1,50}|i(?:/web)?)"
    r"/status(?:es)?/([0-9]+)(?:[/?#]\S*)?",
    re.I,
)
_DIGITS = re.compile(r"[+-]?[0-9]+")
_NOT_PLAIN = re.compile(r"[^0-9\r\n]|^\r?\n|\n\r?\n(?!\Z)")
"""Anything but digits and line breaks, or a blank line: not a plain one-ID-a-line file."""
CSV_ID_COLUMNS = ("tweet_id", "tweet_ids", "id")
"""Header names of the ID column in a CSV IDs file, in order of preference."""


class BadTweet(ValueError):
    """A value that is not a Tweet; the message says why, the hint what to write."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def tweet_id(text: str) -> str:
    """The canonical ID (digits, no leading zeros) of an ID or Tweet URL, or BadTweet."""
    text = text.strip()
    if _DIGITS.fullmatch(text):
        return checked_id(text)
    url = _URL.fullmatch(text)
    if url:
        return checked_id(url.group(1))
    raise BadTweet(
        "E304",
        f"'{_shorten(text)}' is neither a Tweet ID nor a Tweet URL",
        "write an ID (1234567890) or a URL like https://x.com/user/status/1234567890",
    )


def checked_id(digits: str) -> str:
    value = int(digits)
    if not 0 < value <= facts.MAX_TWEET_ID:
        raise BadTweet(
            "E303",
            f"Tweet ID {digits} is out of range: IDs are positive 64-bit integers",
        )
    return str(value)


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@attrs.frozen
class FileEntry:
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
    if not _NOT_PLAIN.search(text):
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


def _csv_id_column(header: str) -> int | None:
    import csv  # CSV files are rare; kept off the start-up path

    names = [c.strip().lower() for c in next(csv.reader([header]))]
    for wanted in CSV_ID_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    return None


def _csv_entries(lines: list[str], header_at: int, column: int) -> list[FileEntry]:
    import csv
    import io

    entries = []
    body = io.StringIO("\n".join(lines[header_at + 1 :]))
    for n, row in enumerate(csv.reader(body), header_at + 2):
        if not row or not "".join(row).strip():
            continue
        cell = row[column].strip() if column < len(row) else ""
        entries.append(FileEntry(n, 1, cell))
    return entries
