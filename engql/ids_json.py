"""Tweet IDs in JSON: API v2 answer pages (twarc2's JSON Lines), Tweet objects, arrays.

A JSON IDs file is a sequence of JSON values: one a line, as twarc2 writes them, or
documents over many lines; docs/running.md "IDs files" states the rules. Each value is
decoded whole by the json module's C decoder, except a top-level array, whose items
are decoded one by one so that a large array never sits in memory as Python objects.
Only the IDs are kept, each with the start of the value (or array item) that held it;
the place of an ID inside that value is found again, by walking its text, only when a
message needs it.
"""

from __future__ import annotations

import abc
import json
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from itertools import repeat
from json.decoder import JSONDecodeError
from typing import Any

import attrs

from engql import facts
from engql.diagnostics import shortened
from engql.record import Record

_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
"""Numbers come back as their text: an integer ID is not converted (nor refused past
Python's 4,300-digit limit), and ``1.5e18`` or ``NaN`` is refused as any other text."""
_decode = _DECODER.raw_decode
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SLICED_LINE = 1 << 20
"""JSON Lines up to this long are decoded from a copy of the line: an error's line and
column are then counted in the line, not in the whole file before it."""
_ID_STR, _ID = facts.TWEET_ID_KEYS
_DATA = facts.PAGE_DATA_KEY
_ERRORS = facts.PAGE_KEYS[1]
Path = tuple[str | int, ...]


@attrs.frozen(repr=False)
class JsonProblem(Record):
    """A part of a JSON IDs file that gives no Tweet ID, and why.

    ``at`` is where the value holding it starts and ``path`` the way into that value;
    without a path, ``at`` is the place itself (JSON that does not decode).
    """

    code: str
    message: str
    at: int
    path: Path | None = None
    hint: str | None = None


class _Sink(abc.ABC):
    """What reading a value gives: IDs (``add``) and problems, each with its path; a
    reader of entries (``JsonEntries``) and a finder of places (``_Paths``) keep them
    their own ways."""

    at = 0
    """Where the value being read starts."""

    def add(self, value: object, path: Path) -> None:
        if isinstance(value, dict | list):
            kind = "an object" if isinstance(value, dict) else "a list"
            self.problem("E313", f"the id of a Tweet object is {kind}, not an ID", path)
        else:
            self.id(value if isinstance(value, str) else json.dumps(value), path)

    @abc.abstractmethod
    def id(self, text: str, path: Path) -> None:
        """An ID's text, at ``path`` in the value."""

    @abc.abstractmethod
    def problem(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        """Why the part at ``path`` gives no ID."""

    def tweets(self, data: list[Any], path: Path) -> None:
        """The items of a page's ``data``: Tweet objects."""
        for k, tweet in enumerate(data):
            self.tweet(tweet, (*path, _DATA, k))

    def tweet(self, tweet: Any, path: Path) -> None:
        if isinstance(tweet, dict) and (key := _tweet_key(tweet)) is not None:
            self.add(tweet[key], (*path, key))
        elif isinstance(tweet, dict):
            self.problem("E313", "a Tweet object in data has no id or id_str", path)
        elif isinstance(tweet, list):
            self.problem("E313", "a list inside data, where Tweet objects belong", path)
        else:
            self.add(tweet, path)


@attrs.define(repr=False)
class JsonEntries(_Sink, Record):
    """The IDs of a JSON IDs file in order, each with the start of the value that held
    it (``starts``, so non-decreasing), and what gave none (``problems``)."""

    values: list[str] = attrs.field(factory=list)
    starts: array[int] = attrs.field(factory=lambda: array("q"))
    problems: list[JsonProblem] = attrs.field(factory=list)

    def id(self, text: str, path: Path) -> None:
        self.values.append(text)
        self.starts.append(self.at)

    def problem(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        self.problems.append(JsonProblem(code, message, self.at, path, hint))

    def tweets(self, data: list[Any], path: Path) -> None:
        """As ``_Sink.tweets``, without a call or a path for a Tweet whose ID is text
        (a number is read as text too), which is nearly every one: for a million
        Tweets, 3 s less."""
        values, starts, at = self.values, self.starts, self.at
        for k, tweet in enumerate(data):
            if isinstance(tweet, dict):
                value = tweet[_ID_STR] if _ID_STR in tweet else tweet.get(_ID)
                if isinstance(value, str):
                    values.append(value)
                    continue
            starts.extend(repeat(at, len(values) - len(starts)))
            self.tweet(tweet, (*path, _DATA, k))
        starts.extend(repeat(at, len(values) - len(starts)))

    def span(self, text: str, index: int) -> tuple[int, int]:
        """Offsets ``[begin, end)`` of entry ``index``'s ID in ``text``."""
        at = self.starts[index]
        path, _ = _entries_at(text, at)[index - bisect_left(self.starts, at)]
        return _inside_quotes(text, *_place(text, at, path))

    def problem_span(self, text: str, problem: JsonProblem) -> tuple[int, int]:
        if problem.path is None:
            return problem.at, min(problem.at + 1, len(text))
        return _place(text, problem.at, problem.path)


class _Paths(_Sink):
    """The entries of one value with their paths, problems left out."""

    def __init__(self) -> None:
        self.found: list[tuple[Path, str]] = []

    def id(self, text: str, path: Path) -> None:
        self.found.append((path, text))

    def problem(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        pass


def read_json(text: str, first: int) -> JsonEntries:
    """The entries of ``text``, whose first entry (a ``{``, ``[`` or ``"``) is at ``first``.

    When the first value ends on its line the file is JSON Lines: each line is read on
    its own, and a bad one is reported and the next read. Otherwise it is JSON over
    many lines (one document, or several as ``jq`` prints them); after bad JSON,
    reading goes on at the next line that starts in column 1 with something other than
    the ``}`` or ``]`` that closes the bad value.
    """
    entries = JsonEntries()
    one_a_line = _ends_on_its_line(text, first)
    pos = first
    while (pos := _skip_comments(text, pos)) < len(text):
        if one_a_line:
            end = _line_end(text, pos)
            _read_line(text, pos, end, entries)
            pos = end + 1
        else:
            try:
                pos = _top_value(text, pos, len(text), 0, entries)
            except JSONDecodeError as bad:
                entries.problems.append(_bad_json(bad.msg, bad.pos, one_a_line=False))
                pos = _next_line_in_column_1(text, bad.pos)
    return entries


def _ends_on_its_line(text: str, first: int) -> bool:
    try:
        end = _decode(text, first)[1]
    except JSONDecodeError:
        return False
    return end <= _line_end(text, first)


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _skip_comments(text: str, pos: int) -> int:
    """Past whitespace, and past lines whose first non-blank character is ``#``."""
    while (pos := _skip(text, pos)) < len(text) and text[pos] == "#":
        if text[text.rfind("\n", 0, pos) + 1 : pos].strip():
            break
        pos = _line_end(text, pos)
    return pos


def _read_line(text: str, pos: int, end: int, entries: JsonEntries) -> None:
    """The values of one line of a JSON Lines file, each of which must end on it."""
    piece, base = (text[pos:end], pos) if end - pos <= _SLICED_LINE else (text, 0)
    at, stop = pos - base, end - base
    try:
        while (at := _skip(piece, at)) < stop:
            at = _top_value(piece, at, stop, base, entries)
    except JSONDecodeError as bad:
        message = bad.msg if bad.pos < stop else _PAST_LINE
        entries.problems.append(_bad_json(message, base + min(bad.pos, stop), one_a_line=True))


_PAST_LINE = "the line ends inside a JSON value"


def _top_value(text: str, pos: int, stop: int, base: int, entries: JsonEntries) -> int:
    """Read the value at ``pos``, which must end by ``stop``; the offset after it.
    Offsets in ``text`` are ``base`` less than in the file."""
    if text[pos] == "[":
        return _top_array(text, pos, stop, base, entries)
    value, end = _decode(text, pos)
    if end > stop:
        raise JSONDecodeError(_PAST_LINE, text, stop)
    entries.at = base + pos
    _walk(value, (), entries)
    return end


def _top_array(text: str, start: int, stop: int, base: int, entries: JsonEntries) -> int:
    """A top-level array, item by item: each item is the value its IDs are placed in."""
    pos = _skip(text, start + 1)
    if pos > stop:
        raise JSONDecodeError(_PAST_LINE, text, stop)
    if text.startswith("]", pos):
        return pos + 1
    while True:
        item, end = _decode(text, pos)
        pos_after = _skip(text, end)
        if pos_after > stop:
            raise JSONDecodeError(_PAST_LINE, text, stop)
        entries.at = base + pos
        if isinstance(item, list):
            entries.problem("E313", "a list inside a list: give IDs, Tweets or pages", ())
        else:
            _walk(item, (), entries)
        pos = pos_after
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif text.startswith("]", pos):
            return pos + 1
        else:
            _decode(text, start)  # raises the json module's own error for the array
            raise AssertionError("an array that could not be read decoded")


def _bad_json(message: str, at: int, one_a_line: bool) -> JsonProblem:
    hint = (
        "a JSON Lines file holds one JSON value a line, as twarc2 writes them"
        if one_a_line
        else "the file is read as JSON, since its first entry is"
    )
    said = message.removesuffix(" starting at").removesuffix(" at")
    return JsonProblem("E312", f"not valid JSON: {said}", at, None, hint)


def _next_line_in_column_1(text: str, at: int) -> int:
    """The start of the next line that starts with neither a blank nor a ``}`` or
    ``]`` (which close the bad value: no value starts with one)."""
    pos = _line_end(text, at) + 1
    while pos < len(text) and text[pos] in " \t\n}]":
        pos = _line_end(text, pos) + 1
    return pos


def _walk(value: Any, path: Path, sink: _Sink) -> None:
    """The IDs of one value: an ID, a Tweet object, or a page of the API's answer."""
    if isinstance(value, dict):
        key = _tweet_key(value)
        if key is not None:
            sink.add(value[key], (*path, key))
        elif any(k in value for k in facts.PAGE_KEYS):
            _page(value, path, sink)
        else:
            sink.problem(
                "E313",
                "a JSON object that is neither a Tweet (no id or id_str) "
                "nor a page of the API's answer (no data)",
                path,
            )
    else:
        sink.add(value, path)


def _tweet_key(value: dict[str, Any]) -> str | None:
    return _ID_STR if _ID_STR in value else _ID if _ID in value else None


def _page(page: dict[str, Any], path: Path, sink: _Sink) -> None:
    """A page's Tweets are its ``data``: a list of Tweet objects, or one. ``includes``
    are Tweets the collected ones refer to, not collected ones: they are not read."""
    data = page.get(_DATA)
    if isinstance(data, list):
        if not data:
            sink.problem("W302", "a page whose data is empty gives no Tweets", path)
        sink.tweets(data, path)
    elif isinstance(data, dict):
        sink.tweet(data, (*path, _DATA))
    elif data is None:
        sink.problem("W302", _no_data(page), path, _NO_DATA_HINT)
    else:
        sink.problem("E313", f"the page's data is {shortened(json.dumps(data))}, not Tweets", path)


def _no_data(page: dict[str, Any]) -> str:
    errors = page.get(_ERRORS)
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        said = next((first[k] for k in facts.PAGE_ERROR_TEXT_KEYS if first.get(k)), None)
        what = f": {shortened(str(said))}" if said else ""
        count = f"{len(errors):,} error" + ("s" if len(errors) > 1 else "")
        return f"a page with errors and no data gives no Tweets ({count}{what})"
    return "a page without data gives no Tweets"


_NO_DATA_HINT = "twarc2 writes the API's error answers too; the other pages are read"


def _entries_at(text: str, at: int) -> list[tuple[Path, str]]:
    """The path and text of each entry of the value at ``at``, as reading gave them."""
    paths = _Paths()
    _walk(_decode(text, at)[0], (), paths)
    return paths.found


def _place(text: str, at: int, path: Path) -> tuple[int, int]:
    """Offsets ``[begin, end)`` of the value reached by ``path`` from the value at ``at``."""
    pos = at
    for step in path:
        pos = _item(text, pos, step) if isinstance(step, int) else _member(text, pos, step)
    return pos, _decode(text, pos)[1]


def _item(text: str, pos: int, index: int) -> int:
    pos = _skip(text, pos + 1)
    for _ in range(index):
        pos = _skip(text, _skip(text, _decode(text, pos)[1]) + 1)
    return pos


def _member(text: str, pos: int, key: str) -> int:
    """Where the value of ``key`` starts: its last one, which is the one json keeps."""
    found = pos
    pos = _skip(text, pos + 1)
    while text[pos] == '"':
        name, pos = _decode(text, pos)
        pos = _skip(text, _skip(text, pos) + 1)
        if name == key:
            found = pos
        pos = _skip(text, _decode(text, pos)[1])
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return found


def locate(
    text: str, starts: array[int], places: Iterable[int], same: Callable[[str], bool]
) -> tuple[int, int] | None:
    """Offsets of the first entry that ``same`` accepts, looked for in the values (or
    items) that hold ``places``, in order: where the digits of the ID appear."""
    checked = -1
    for offset in places:
        index = bisect_right(starts, offset) - 1
        if index < 0 or starts[index] == checked:
            continue
        checked = at = starts[index]
        for path, value in _entries_at(text, at):
            if same(value):
                return _inside_quotes(text, *_place(text, at, path))
    return None


def _inside_quotes(text: str, begin: int, end: int) -> tuple[int, int]:
    """A string's text without its quotes, as a CSV cell's is shown."""
    return (begin + 1, end - 1) if text[begin] == '"' and end - begin > 2 else (begin, end)
