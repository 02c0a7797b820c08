"""The shell's completion: what may be typed at the cursor, from the grammar and the API's facts.

``complete`` is a pure function, so it is tested without a terminal; the shell wraps it in a
prompt_toolkit Completer. It feeds the statement's text before the word being typed to
Lark's interactive parser, asks which terminals may come next, and fills each kind
(metric, endpoint, grouping key, parameter, keyword) from engql.facts, narrowed by what
the statement already says: its endpoint, the metrics and the keys already listed.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import attrs

from engql.facts import ENDPOINTS, GROUP_KEYS, METRICS, Endpoint
from engql.params import IdsFileParam
from engql.record import Record
from engql.repl.commands import BY_NAME, COMMANDS, RESULT_FORMATS, MetaCommand
from engql.store.url import DUCKDB, POSTGRESQL, SQLITE
from engql.syntax.generated_parser import UnexpectedInput
from engql.syntax.keywords import keyword_terminals, reserved_words
from engql.syntax.parser import lark_parser
from engql.syntax.statements import scan


@attrs.frozen(repr=False)
class Suggestion(Record):
    """One completion: the shell replaces ``text[start:cursor]`` of the buffer with ``text``."""

    text: str
    start: int
    meta: str
    """A short description shown beside it."""


_NO_PARAMS: Mapping[str, object] = MappingProxyType({})
_COMMAND_LINE = re.compile(r"[ \t]*\\(?P<name>\S*)(?P<gap>\s+)?")
"""A line that starts with a backslash: the command's name, then blanks if it is complete."""


def complete(text: str, cursor: int, params: Mapping[str, object] = _NO_PARAMS) -> list[Suggestion]:
    """What may be typed at ``cursor`` in ``text``, the most useful first; [] when nothing fits.

    ``params`` are the parameters that are set. Never raises: text that does not parse
    before the cursor, or a cursor in a string or comment, gets no suggestions.
    """
    cursor = min(max(cursor, 0), len(text))
    line_start = text.rfind("\n", 0, cursor) + 1
    line_end = text.find("\n", cursor)
    line_end = len(text) if line_end < 0 else line_end
    command = _COMMAND_LINE.match(text, line_start, cursor)
    if command:
        return _complete_command(text, command, line_end, cursor, params)
    return _complete_statement(text, 0, len(text), cursor, params)


STORE_URL_STARTS = {SQLITE: "sqlite:///", DUCKDB: "duckdb:///", POSTGRESQL: "postgresql://"}


def _complete_command(
    text: str, line: re.Match[str], line_end: int, cursor: int, params: Mapping[str, object]
) -> list[Suggestion]:
    """A backslash command's name, or its argument by the kind its declaration names."""
    if not line["gap"]:
        start = line.start("name") - 1
        prefix = text[start:cursor]
        return _matching([("\\" + c.name, c.help) for c in COMMANDS], prefix, start)
    command = BY_NAME.get(line["name"])
    if command is None:
        return []
    start = line.end()
    if command.argument == "statement":
        return _complete_statement(text, start, line_end, cursor, params)
    if command.argument == "param" and text.startswith(":", start, cursor):
        start += 1  # `\unset :ids` names the parameter as the statement does
    prefix = text[start:cursor]
    if any(c.isspace() for c in prefix):
        return []  # only the first argument is completed
    return _matching(_argument_values(command, params), prefix, start)


def _argument_values(command: MetaCommand, params: Mapping[str, object]) -> list[tuple[str, str]]:
    match command.argument:
        case "endpoint":
            return [(e.name, e.description) for e in ENDPOINTS.values()]
        case "format":
            return [(f, f"show results as {f}") for f in RESULT_FORMATS]
        case "on_off":
            return [("on", f"turn on: {command.help}"), ("off", "turn off")]
        case "expanded":
            return [
                ("on", "each row as a block of lines"),
                ("off", "rows as a table"),
                ("auto", "blocks for a table wider than the screen"),
            ]
        case "param":
            return [(name, _preview(value)) for name, value in params.items()]
        case "store":
            return [(start, f"a {name} store") for name, start in STORE_URL_STARTS.items()]
    return []  # a file, a profile or a new parameter's value: nothing to offer


def _complete_statement(
    text: str, begin: int, end: int, cursor: int, params: Mapping[str, object]
) -> list[Suggestion]:
    """Suggestions for the statement of ``text[begin:end]`` that holds the cursor."""
    found = _statement_at(text, begin, end, cursor)
    if found is None:
        return []
    start, stop = found
    item_start = _item_start(text, start, cursor)
    accepted = _accepted_terminals(text[start:item_start])
    if not accepted:
        return []
    context = _read_context(text, start, stop, item_start, _item_end(text, cursor, stop))
    prefix = text[item_start:cursor]
    candidates = [
        candidate
        for terminal in _ORDER
        if terminal in accepted
        for candidate in _candidates(terminal, context, params, prefix)
    ]
    return _matching(candidates, prefix, item_start)


def _statement_at(text: str, begin: int, end: int, cursor: int) -> tuple[int, int] | None:
    """The ``[start, stop)`` of the statement that holds the cursor, or None when the cursor
    is in a string or a comment.

    A word and a ``;`` put at the cursor end a statement there, unless the string or comment
    the cursor is in swallows them; statements.scan decides both, as it does for the shell.
    """
    at = cursor - begin
    pieces = scan(text[begin:cursor] + "x;" + text[cursor:end]).pieces
    for n, piece in enumerate(pieces):
        if piece.terminated and piece.end == at + 1:
            rest = pieces[n + 1] if n + 1 < len(pieces) else None
            stop = begin + rest.end - 2 if rest and rest.start == at + 2 else cursor
            return begin + piece.start, stop
    return None


_ITEM_CHARS = frozenset(string.ascii_letters + string.digits + "_.")
"""The characters of a name being typed; the dot makes ``tweet.`` one grouping key."""


def _item_start(text: str, start: int, cursor: int) -> int:
    """Where the name, keyword or ``:parameter`` being typed at the cursor begins."""
    at = cursor
    while at > start and text[at - 1] in _ITEM_CHARS:
        at -= 1
    if at > start and text[at - 1] == ":":
        at -= 1
    return at


def _item_end(text: str, cursor: int, stop: int) -> int:
    """Where the name the cursor is in ends (the cursor may be in the middle of it)."""
    at = cursor
    while at < stop and text[at] in _ITEM_CHARS:
        at += 1
    return at


def _accepted_terminals(typed: str) -> set[str]:
    """The terminals the grammar takes after ``typed``; none when ``typed`` does not parse."""
    parser = lark_parser().parse_interactive(typed)
    try:
        parser.exhaust_lexer()
    except UnexpectedInput:
        return set()
    accepted: set[str] = parser.accepts()
    return accepted


@attrs.frozen(repr=False)
class _Context(Record):
    """What the rest of the statement says, the item being typed left out."""

    endpoint: Endpoint | None
    listed_metrics: frozenset[str]
    grouped_keys: frozenset[str]
    """The keys of the GROUP BY clause the cursor is in."""


_SELECT, _FROM, _GROUP = (keyword_terminals()[t] for t in ("_SELECT", "_FROM", "_GROUP"))


def _read_context(text: str, start: int, stop: int, item_start: int, item_end: int) -> _Context:
    """The statement's endpoint and metrics, and the keys of the grouping at the cursor."""
    words = [
        (word, at)
        for word, at, word_end in _words(text, start, stop)
        if word_end <= item_start or at >= item_end
    ]
    lowered = [word.lower() for word, _ in words]
    endpoint = None
    if _FROM in lowered[:-1]:
        endpoint = ENDPOINTS.get(words[lowered.index(_FROM) + 1][0])
    listed = _clause_items(words, lowered.index(_SELECT) + 1) if _SELECT in lowered else []
    groups = [n for n, (_, at) in enumerate(words) if lowered[n] == _GROUP and at < item_start]
    keys = _clause_items(words, groups[-1] + 2) if groups else []
    return _Context(endpoint, frozenset(listed), frozenset(keys))


def _clause_items(words: list[tuple[str, int]], first: int) -> list[str]:
    """The words from ``words[first]`` up to the next reserved word: a clause's list
    (after SELECT, or after GROUP and its BY)."""
    items = []
    reserved = reserved_words()
    for word, _ in words[first:]:
        if word.lower() in reserved:
            break
        items.append(word)
    return items


_HIDING_TERMINALS = ("LINE_COMMENT", "BLOCK_COMMENT", "STRING", "QUOTED_NAME")
_BLANKS = re.compile(r"\s+")


@cache
def _word_pattern() -> re.Pattern[str]:
    """A word or dotted key, unless it is inside a comment or string of the grammar's own."""
    terminals = (lark_parser().get_terminal(name) for name in _HIDING_TERMINALS)
    hiding = "|".join(terminal.pattern.to_regexp() for terminal in terminals)
    return re.compile(rf"{hiding}|(?P<word>\w+(?:\s*\.\s*\w+)*)")


def _words(text: str, start: int, stop: int) -> list[tuple[str, int, int]]:
    """The words of ``text[start:stop]`` with their ranges; ``tweet . id`` as ``tweet.id``."""
    return [
        (_BLANKS.sub("", m["word"]), m.start(), m.end())
        for m in _word_pattern().finditer(text, start, stop)
        if m["word"]
    ]


_ORDER = (
    "METRIC",
    "STAR",
    "WORD",
    "KEY",
    "TWEET",
    "_TIME",
    "ANCHOR",
    "UNIT",
    "PARAM",
    "_IN",
    "_FILE",
    "_BETWEEN",
    "_WHERE",
    "_AND",
    "_AS",
    "_GROUP",
    "_BY",
    "_FROM",
    "_SELECT",
)
"""The grammar's terminals that have suggestions, the most useful first: the names that fill
the slot at the cursor, then the keywords that open what may follow."""

_KEYWORD_META = {
    "_TIME": "a time range: BETWEEN start AND end",
    "_IN": "a list of Tweets, a :parameter or a FILE",
    "_FILE": "Tweets read from a file",
    "_BETWEEN": "start AND end",
    "_WHERE": "the Tweets, and a time range",
    "_AND": "the next condition, or the range's end",
    "_AS": "the grouping's name",
    "_GROUP": "a grouping: the levels of the answer",
    "_BY": "the grouping's keys",
    "_FROM": "the endpoint",
    "_SELECT": "the metrics",
}
"""What each keyword terminal opens; its word comes from the grammar."""
_VALUE_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "TWEET": (("tweet", "the Tweets: = one, or IN a list"),),
    "ANCHOR": (("now", "the current time"), ("today", "midnight UTC today")),
    "UNIT": (("hours", "unit of time"), ("days", "unit of time"), ("weeks", "unit of time")),
}
"""The words offered for the terminals that match several (``days`` and ``day``): the
forms the formatter writes; each is one its terminal matches (a test holds them to it)."""


def _written(terminal: str) -> str:
    """A keyword as the formatter writes it: reserved words upper case, ``time`` lower."""
    word = keyword_terminals()[terminal]
    return word.upper() if word in reserved_words() else word


KEYWORDS: dict[str, tuple[tuple[str, str], ...]] = {
    **_VALUE_WORDS,
    **{terminal: ((_written(terminal), meta),) for terminal, meta in _KEYWORD_META.items()},
    "_GROUP": ((f"{_written('_GROUP')} {_written('_BY')}", _KEYWORD_META["_GROUP"]),),
}
"""The words offered for each keyword terminal, with what they open; GROUP comes with BY."""


def _candidates(
    terminal: str, context: _Context, params: Mapping[str, object], prefix: str
) -> list[tuple[str, str]]:
    """The texts that stand for ``terminal`` here, each with its description."""
    endpoint = context.endpoint
    match terminal:
        case "METRIC":
            names = endpoint.metrics if endpoint else tuple(METRICS)
            return [(n, _METRIC_META[n]) for n in names if n not in context.listed_metrics]
        case "STAR":
            offered = f"/{endpoint.name}" if endpoint else "the endpoint"
            return [("*", f"every metric {offered} offers")]
        case "WORD":
            return [(e.name, e.description) for e in ENDPOINTS.values()]
        case "KEY":
            keys = endpoint.group_keys if endpoint else tuple(GROUP_KEYS)
            return [(k, _KEY_META[k]) for k in keys if k not in context.grouped_keys]
        case "PARAM":
            return [(":" + name, _preview(value)) for name, value in params.items()]
    return [(_cased(word, prefix), meta) for word, meta in KEYWORDS[terminal]]


def _cased(word: str, prefix: str) -> str:
    """The user's case when the prefix shows one, else the keyword's own."""
    if prefix.islower():
        return word.lower()
    if prefix.isupper():
        return word.upper()
    return word


def _endpoints_with(name: str) -> str:
    """The endpoints that offer a metric or grouping key, as ``28hr historical``."""
    return " ".join(e.name for e in ENDPOINTS.values() if name in (*e.metrics, *e.group_keys))


_METRIC_META = {m.name: f"{m.description} · {_endpoints_with(m.name)}" for m in METRICS.values()}
_KEY_META = {key: f"{buckets} · {_endpoints_with(key)}" for key, buckets in GROUP_KEYS.items()}

_PREVIEW_CHARS = 40
_PREVIEW_ITEMS = 5


def _preview(value: object) -> str:
    """A parameter's value in a few characters: ``3 items: 1, 2, 3``."""
    if isinstance(value, IdsFileParam):
        shown = "@" + value.path
    elif isinstance(value, list | tuple):
        items = ", ".join(str(item) for item in value[:_PREVIEW_ITEMS])
        shown = f"{len(value):,} item{'s' * (len(value) != 1)}: {items}"
    else:
        shown = str(value)
    return shown if len(shown) <= _PREVIEW_CHARS else shown[: _PREVIEW_CHARS - 1] + "…"


def _matching(candidates: list[tuple[str, str]], prefix: str, start: int) -> list[Suggestion]:
    """The candidates that start with ``prefix``, in any case, as suggestions from ``start``."""
    folded = prefix.lower()
    return [
        Suggestion(text, start, meta)
        for text, meta in candidates
        if text.lower().startswith(folded)
    ]
