"""Split a script into statements at ``;`` outside quotes and comments, and find its comments.

The parser reads one statement at a time, so a syntax error in one statement does not hide
the problems of the others; the REPL uses the same split to know when a statement ends.
"""

from __future__ import annotations

import re

import attrs

from engql.record import Record

_QUOTED = r"""'[^'\n]*(?:''[^'\n]*)*(?:'|$)|"[^"\n]*(?:""[^"\n]*)*(?:"|$)"""
"""A string or quoted name, to the end of its line when it is not closed."""
_SCAN = re.compile(
    rf"""--[^\n]*|/\*.*?(?:\*/|\Z)|(?:{_QUOTED})(?:[^-/;'"]|-(?!-)|/(?!\*)|{_QUOTED})*+|;""",
    re.S | re.M,
)
"""A comment, a ``;``, or quoted text with the code up to the next comment or ``;`` (one
match for a whole list of quoted IDs instead of one per ID)."""
_NON_BLANK = re.compile(r"\S")


@attrs.frozen(repr=False)
class Piece(Record):
    """A statement's text range ``[start, end)``, without its ``;``, and whether one ends it."""

    start: int
    end: int
    terminated: bool


@attrs.frozen(repr=False)
class Scan(Record):
    """A script's statements and the ``[start, end)`` range of every comment in it."""

    pieces: tuple[Piece, ...]
    comments: tuple[tuple[int, int], ...]


def scan(text: str) -> Scan:
    """Statements that hold more than blanks and comments, and every comment's range."""
    pieces: list[Piece] = []
    comments: list[tuple[int, int]] = []
    start = 0
    first_comment = 0
    for m in _SCAN.finditer(text):
        first = text[m.start()]
        if first == ";":
            _add_piece(text, start, m.start(), comments[first_comment:], True, pieces)
            start, first_comment = m.end(), len(comments)
        elif first in "-/":
            comments.append((m.start(), m.end()))
    _add_piece(text, start, len(text), comments[first_comment:], False, pieces)
    return Scan(tuple(pieces), tuple(comments))


def _add_piece(
    text: str,
    start: int,
    end: int,
    comments: list[tuple[int, int]],
    terminated: bool,
    pieces: list[Piece],
) -> None:
    """Keep the range unless it is only blanks and comments."""
    pos = start
    for c_start, c_end in [*comments, (end, end)]:
        if _NON_BLANK.search(text, pos, c_start):
            pieces.append(Piece(start, end, terminated))
            return
        pos = c_end


def is_complete(text: str) -> bool:
    """True when the text ends a statement: its last non-blank, non-comment thing is ``;``."""
    result = scan(text)
    if not result.pieces:
        return False
    last = result.pieces[-1]
    return last.terminated
