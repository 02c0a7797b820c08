"""Hypothesis strategies for random engql text that parses (whether it means anything or not).

A statement is drawn as a list of tokens, then joined with random blanks, so tests see the
spellings the grammar accepts: keyword case, spacing and line breaks, ``tweet.id``, bare
and quoted names, signed and quoted Tweet IDs. Metric, endpoint and grouping key names are
often wrong on purpose: only the syntax is promised, not the meaning.

- ``statement_tokens()``, ``script_tokens()``: the token lists, for tests that place things
  between tokens themselves.
- ``statements()``, ``scripts()``: the text of one statement or of a script, no comments.
- ``with_comments(tokens)``: the text of a token-list strategy with ``--`` and ``/* */``
  comments at random token boundaries, including the very start and end.
- ``comments()``: one comment.
- ``spliced(text)``: a text strategy with unclosed comments, odd whitespace and stray
  quotes spliced in at random offsets; much of it no longer parses, on purpose.
"""

from __future__ import annotations

import re
from functools import cache

from hypothesis import strategies as st

from engql.facts import DEPRECATED_METRICS, ENDPOINTS, GROUP_KEYS, METRICS
from engql.syntax.keywords import reserved_words

_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


@cache
def keyword(word: str) -> st.SearchStrategy[str]:
    """A keyword in upper, lower, title or alternating case."""
    alternating = "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(word))
    return st.sampled_from([word.upper(), word.lower(), word.capitalize(), alternating])


identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda name: name.lower() not in reserved_words()
)
"""Names the grammar reads as NAME (never a reserved word)."""

metric_names = st.one_of(
    st.sampled_from(sorted(METRICS)),
    st.sampled_from([*DEPRECATED_METRICS, "likes", "Impressions", "tweet", "time", "now"]),
    identifiers,
)
endpoint_names = st.sampled_from([*ENDPOINTS, "Totals", "hourly", "123", "engagement_28hr"])


def _quoted(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote * 2) + quote


_quoted_text = st.text(alphabet=st.sampled_from("abc XYZ09_-'\".;:/*"), max_size=12)
tweet_ids = st.integers(min_value=0, max_value=2**63 - 1).map(str)
tweet_literals = st.one_of(
    tweet_ids,
    tweet_ids.map(lambda i: _quoted(i, "'")),
    tweet_ids.map(lambda i: _quoted(f"https://x.com/user/status/{i}", "'")),
    st.sampled_from(["+20", "-7", "007", "'it''s'", "''"]),
)
params = st.from_regex(r":[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)


@st.composite
def _tweet_list(draw: st.DrawFn) -> list[str]:
    if draw(st.integers(0, 9)) == 0:
        return ["(", ")"]
    items = draw(st.lists(tweet_literals, min_size=1, max_size=12))
    tokens = ["("]
    for n, item in enumerate(items):
        tokens.extend([",", item] if n else [item])
    return [*tokens, ")"]


@st.composite
def _tweet_condition(draw: st.DrawFn) -> list[str]:
    tweet = draw(st.sampled_from(["tweet", "TWEET", "tweet.id", "Tweet.Id"]))
    kind = draw(st.sampled_from(["=", "=param", "list", "param", "file"]))
    if kind == "=":
        return [tweet, "=", draw(tweet_literals)]
    if kind == "=param":
        return [tweet, "=", draw(params)]
    in_ = draw(keyword("IN"))
    if kind == "list":
        return [tweet, in_, *draw(_tweet_list())]
    if kind == "param":
        return [tweet, in_, draw(params)]
    path = draw(st.sampled_from(["x.txt", "ids/it's.txt", "a b.txt"]))
    return [tweet, in_, draw(keyword("FILE")), _quoted(path, "'")]


@st.composite
def _time_expr(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["literal", "param", "anchor", "relative"]))
    if kind == "literal":
        text = draw(st.sampled_from(["2016-02-10T17:00:00Z", "2016-02-10", "2021-01-01T00:00"]))
        return [_quoted(text, "'")]
    if kind == "param":
        return [draw(params)]
    anchor = draw(keyword("now") | keyword("today"))
    if kind == "anchor":
        return [anchor]
    sign = draw(st.sampled_from(["+", "-"]))
    amount = str(draw(st.integers(0, 400)))
    unit = draw(st.sampled_from(["day", "days", "hour", "hours", "week", "weeks"]).flatmap(keyword))
    return [anchor, sign, amount, unit]


@st.composite
def _time_condition(draw: st.DrawFn) -> list[str]:
    start, end = draw(_time_expr()), draw(_time_expr())
    between, and_ = draw(keyword("BETWEEN")), draw(keyword("AND"))
    return [draw(keyword("time")), between, *start, and_, *end]


@st.composite
def _group_key(draw: st.DrawFn) -> list[str]:
    key = draw(st.sampled_from([*GROUP_KEYS, "Tweet.Id", "foo", "a.b.c"]) | identifiers)
    if "." in key and draw(st.booleans()):
        parts = key.split(".")
        return [token for part in parts for token in (".", part)][1:]
    return [key]


grouping_names = st.one_of(
    identifiers,
    identifiers.map(lambda name: _quoted(name, '"')),
    _quoted_text.map(lambda text: _quoted(text, '"')),
    st.sampled_from(['"Grand Totals"', '"select"', '"AS"', '"engagement-types-by-id"']),
)


@st.composite
def _grouping(draw: st.DrawFn) -> list[str]:
    tokens = [draw(keyword("GROUP")), draw(keyword("BY"))]
    for n in range(draw(st.integers(1, 4))):
        tokens.extend([",", *draw(_group_key())] if n else draw(_group_key()))
    if draw(st.booleans()):
        tokens.extend([draw(keyword("AS")), draw(grouping_names)])
    return tokens


@st.composite
def statement_tokens(draw: st.DrawFn) -> list[str]:
    """The tokens of one statement, without ``;``."""
    tokens = [draw(keyword("SELECT"))]
    if draw(st.integers(0, 5)) == 0:
        tokens.append("*")
    else:
        for n, name in enumerate(draw(st.lists(metric_names, min_size=1, max_size=5))):
            tokens.extend([",", name] if n else [name])
    tokens.extend([draw(keyword("FROM")), draw(endpoint_names)])
    conditions = draw(st.lists(_tweet_condition() | _time_condition(), max_size=3))
    for n, condition in enumerate(conditions):
        tokens.extend([draw(keyword("AND" if n else "WHERE")), *condition])
    for _ in range(draw(st.integers(0, 4))):
        tokens.extend(draw(_grouping()))
    return tokens


@st.composite
def script_tokens(draw: st.DrawFn, max_statements: int = 3) -> list[str]:
    """The tokens of 1 to ``max_statements`` statements separated by ``;`` (the last optional)."""
    tokens: list[str] = []
    for statement in draw(st.lists(statement_tokens(), min_size=1, max_size=max_statements)):
        tokens.extend([*statement, ";"])
    if draw(st.booleans()):
        tokens.pop()
    return tokens


_BLANKS = st.sampled_from(["", "", "", " ", " ", "  ", "\n", "\n  ", "\t", " \n\n "])
_AFTER_BLOCK_COMMENT = st.sampled_from(["", " ", "\n"])


_COMMENTS = st.one_of(
    st.text(alphabet=st.sampled_from("ab -;'\"*/()"), max_size=10).map(lambda t: "--" + t),
    st.text(alphabet=st.sampled_from("ab \n-;'\"*/"), max_size=10)
    .map(lambda t: "/*" + t + "*/")
    .filter(lambda c: c.find("*/", 2) == len(c) - 2),
)


def comments() -> st.SearchStrategy[str]:
    """A ``--`` comment (no line break) or a ``/* */`` comment (maybe over several lines)."""
    return _COMMENTS


_MAYBE_COMMENTS: st.SearchStrategy[list[str]] = st.one_of(
    st.just([]), st.just([]), st.lists(_COMMENTS, min_size=1, max_size=2)
)


def _gap(draw: st.DrawFn, before: str, after: str, with_comments: bool) -> str:
    """Blanks (and maybe comments) between two tokens that still lex as those tokens."""
    last, first = before[-1:], after[:1]
    words = bool(_WORD_CHAR.match(last) and _WORD_CHAR.match(first))
    needs_blank = words or last + first in ("--", "/*")
    gap = draw(_BLANKS) or (" " if needs_blank else "")
    if not with_comments:
        return gap
    for comment in draw(_MAYBE_COMMENTS):
        end = "\n" if comment.startswith("--") else draw(_AFTER_BLOCK_COMMENT)
        gap += (" " if before or gap else "") + comment + end
    return gap


@st.composite
def _joined(draw: st.DrawFn, tokens: st.SearchStrategy[list[str]], with_comments: bool) -> str:
    parts: list[str] = []
    before = ""
    for token in [*draw(tokens), ""]:
        parts.extend([_gap(draw, before, token, with_comments), token])
        before = token
    return "".join(parts)


def statements() -> st.SearchStrategy[str]:
    """The text of one statement, without comments or ``;``."""
    return _joined(statement_tokens(), with_comments=False)


def scripts(max_statements: int = 3) -> st.SearchStrategy[str]:
    """The text of a script of 1 to ``max_statements`` statements, without comments."""
    return _joined(script_tokens(max_statements), with_comments=False)


def with_comments(tokens: st.SearchStrategy[list[str]] | None = None) -> st.SearchStrategy[str]:
    """The text of ``tokens`` (default: a script) with comments at random token boundaries."""
    return _joined(script_tokens() if tokens is None else tokens, with_comments=True)


_SPLICES = st.sampled_from(
    [
        "/*",
        "/* open",
        "/*/",
        "*/",
        "--",
        "-- x",
        "'",
        '"',
        ";",
        "\r",
        "\r\n",
        "\t",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\u00a0",
        "\u2028",
        "\u3000",
        "\ufeff",
        " \n",
        "\n\n",
    ]
)


@st.composite
def _spliced(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    text = draw(texts)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_SPLICES) + text[at:]
    return text


def spliced(texts: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """``texts`` (default: scripts with comments) with odd pieces spliced in anywhere."""
    return _spliced(with_comments() if texts is None else texts)
