"""A Pygments lexer for engql, for the shell's input, ``pygmentize`` and the docs.

It colours, it does not judge: a misspelled metric is a plain name and a character engql
has no use for is plain text, because the checker reports both with a better message
than a colour can. The names of endpoints, metrics and grouping keys come from
``engql.facts``, the keywords from the grammar's terminals (``engql.syntax.keywords``).
Registered as the ``pygments.lexers`` entry point ``engql``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words  # type: ignore[import-untyped]
from pygments.token import (  # type: ignore[import-untyped]
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from engql.facts import ENDPOINTS, GROUP_KEYS, METRICS
from engql.syntax.keywords import keyword_terminals, reserved_words, terminal_patterns

_END_OF_WORD = r"(?![A-Za-z0-9_])"


def _caseless(names: tuple[str, ...]) -> str:
    """Whole words in any case, as the grammar's keyword terminals match them."""
    return "(?i:" + "|".join(map(re.escape, names)) + ")" + _END_OF_WORD


_KEYWORDS = keyword_terminals()
_RESERVED_WORDS = _caseless(tuple(sorted(reserved_words())))
"""The clause keywords, never read as a name."""
_SOFT_KEYWORDS = "|".join(
    [
        terminal_patterns()["TWEET"],
        terminal_patterns()["UNIT"],
        _caseless(tuple(sorted(set(_KEYWORDS.values()) - reserved_words()))),
    ]
)
"""Keywords of conditions and times but not reserved (``tweet``, ``time``, the units):
after GROUP BY they are names."""
_ANCHORS = terminal_patterns()["ANCHOR"]


class EngqlLexer(RegexLexer):  # type: ignore[misc]
    """Lexes engql scripts and shell input, where a line may be a ``\\command``.

    After ``BY`` it is in the grouping state, where the grouping keys are known and
    ``tweet`` or ``time`` are names (``AS time``); a ``;`` or a ``SELECT`` ends it.
    """

    name = "engql"
    aliases: ClassVar[list[str]] = ["engql"]
    filenames: ClassVar[list[str]] = ["*.engql"]
    mimetypes: ClassVar[list[str]] = ["text/x-engql"]

    tokens: ClassVar[dict[str, list[Any]]] = {
        "space": [
            (r"\n", Whitespace),
            (r"^([^\S\n]*)(\\[A-Za-z_][A-Za-z0-9_]*)", bygroups(Whitespace, Keyword.Pseudo)),
            (r"[^\S\n]+", Whitespace),
            (r"--[^\n]*", Comment.Single),
            (r"/\*[\s\S]*?(?:\*/|\Z)", Comment.Multiline),
        ],
        "common": [
            (_RESERVED_WORDS, Keyword),
            (r"'(?:[^'\n]|'')*'?", String.Single),
            (r'"(?:[^"\n]|"")*"?', String.Double),
            (r":[A-Za-z_][A-Za-z0-9_]*", Name.Variable),
            (r"[0-9]+", Number.Integer),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r"[=+*-]", Operator),
            (r"[,();.]", Punctuation),
            (r".", Text),
        ],
        "root": [
            include("space"),
            (_caseless((_KEYWORDS["_BY"],)), Keyword, "grouping"),
            (_SOFT_KEYWORDS, Keyword),
            (_ANCHORS, Keyword.Constant),
            (words(tuple(ENDPOINTS), suffix=_END_OF_WORD), Name.Builtin),
            (words(tuple(METRICS), suffix=_END_OF_WORD), Name.Function),
            include("common"),
        ],
        "grouping": [
            include("space"),
            (r";", Punctuation, "#pop"),
            (_caseless((_KEYWORDS["_SELECT"],)), Keyword, "#pop"),
            (words(tuple(GROUP_KEYS), suffix=_END_OF_WORD), Name.Attribute),
            include("common"),
        ],
    }
