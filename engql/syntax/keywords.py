"""The grammar's keywords, read from the terminals of the generated parser.

The formatter quotes a name spelled like a reserved word, the highlighter colours the
keywords and completion offers them; all three take them from here, and here they come
from grammar/engql.lark by way of the parser module generated from it. The terminals are
read from that module's data without building the parser: the highlighter, which
pygments loads on its own, should not pay for the parse tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from engql.syntax.generated_parser import MEMO

_WHOLE_WORD = "(?![A-Za-z0-9_])"
_LETTERS = re.compile(r"[a-z]+")


@cache
def terminal_patterns() -> Mapping[str, str]:
    """Each terminal's regular expression as the lexer applies it, a case-insensitive
    one wrapped in ``(?i:...)``; literal terminals (``,``) escaped."""
    patterns = {}
    definitions: list[dict[str, Any]] = list(MEMO.values())
    for item in definitions:
        if item.get("__type__") != "TerminalDef":
            continue
        pattern = item["pattern"]
        value = pattern["value"]
        if pattern["__type__"] == "PatternStr":
            value = re.escape(value)
        if pattern["flags"]:
            value = f"(?{''.join(pattern['flags'])}:{value})"
        patterns[item["name"]] = value
    return MappingProxyType(patterns)


@cache
def keyword_terminals() -> Mapping[str, str]:
    """The terminals that are one keyword, a whole word in any case, and their words in
    lower case: ``_SELECT`` → ``select``."""
    words = {}
    for name, pattern in terminal_patterns().items():
        word = pattern.removeprefix("(?i:").removesuffix(_WHOLE_WORD + ")")
        if pattern.startswith("(?i:") and _LETTERS.fullmatch(word):
            words[name] = word
    return MappingProxyType(words)


@cache
def reserved_words() -> frozenset[str]:
    """The keywords the grammar never reads as a name (its ``NAME`` terminal refuses
    them), so a grouping name spelled like one must be quoted. ``time`` is a keyword but
    not reserved: after ``AS`` it is a name."""
    name = re.compile(terminal_patterns()["NAME"])
    return frozenset(word for word in keyword_terminals().values() if not name.fullmatch(word))
