"""A TextMate tokenizer small enough to read, for testing editors/engql.tmLanguage.json
without an editor: ``match``, ``begin``/``end`` (which may span lines), ``include`` of the
repository, ``name``, ``captures``, ``beginCaptures`` and ``endCaptures``.

It matches as vscode-textmate does: one line at a time with its ``\\n``, and at each
position the rule whose match starts first, the earliest listed on a tie, an open rule's
``end`` before its own patterns. Patterns are compiled with Python's ``re``, which reads
the grammar's subset of Oniguruma alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

Scopes = tuple[str, ...]


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass
class _Open:
    rule: Mapping[str, Any]
    scopes: Scopes
    line: int
    column: int


class Tokenizer:
    def __init__(self, grammar: Mapping[str, Any]) -> None:
        self.grammar = grammar

    def rules(self, patterns: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The patterns with every include replaced by the rules it names, in order."""
        expanded: list[Mapping[str, Any]] = []
        for rule in patterns:
            if "include" in rule:
                named = self.grammar["repository"][rule["include"].removeprefix("#")]
                is_rule = "match" in named or "begin" in named
                expanded += [named] if is_rule else self.rules(named["patterns"])
            else:
                expanded.append(rule)
        return expanded

    def scopes(self, text: str) -> list[Scopes]:
        """The scopes of each character of ``text``, outermost first."""
        root: Scopes = (self.grammar["scopeName"],)
        stack: list[_Open] = []
        found: list[Scopes] = []
        for number, line in enumerate(re.findall(r"[^\n]*\n|[^\n]+$", text)):
            line_scopes: list[Scopes] = [()] * len(line)
            column = 0
            while column < len(line):
                outer = stack[-1].scopes if stack else root
                patterns = stack[-1].rule.get("patterns", []) if stack else self.grammar["patterns"]
                candidates = [(stack[-1].rule, "end")] if stack else []
                candidates += [
                    (r, "match" if "match" in r else "begin") for r in self.rules(patterns)
                ]
                best: tuple[re.Match[str], Mapping[str, Any], str] | None = None
                for rule, key in candidates:
                    match = compiled(rule[key]).search(line, column)
                    if match and (best is None or match.start() < best[0].start()):
                        best = (match, rule, key)
                if best is None:
                    line_scopes[column:] = [outer] * (len(line) - column)
                    break
                match, rule, key = best
                line_scopes[column : match.start()] = [outer] * (match.start() - column)
                if key == "end":
                    opened = stack.pop()
                    if (opened.line, opened.column) == (number, match.end()):
                        raise AssertionError(f"{rule['begin']!r} ends where it began")
                    self._paint(line_scopes, match, outer, rule.get("endCaptures", {}))
                elif key == "match":
                    inner = (*outer, rule["name"]) if "name" in rule else outer
                    self._paint(line_scopes, match, inner, rule.get("captures", {}))
                    if match.end() == match.start():
                        raise AssertionError(f"{rule['match']!r} matches nothing")
                else:
                    inner = (*outer, rule["name"]) if "name" in rule else outer
                    self._paint(line_scopes, match, inner, rule.get("beginCaptures", {}))
                    stack.append(_Open(rule, inner, number, match.start()))
                column = match.end()
            found += line_scopes
        return found

    @staticmethod
    def _paint(
        line_scopes: list[Scopes],
        match: re.Match[str],
        scopes: Scopes,
        captures: Mapping[str, Mapping[str, str]],
    ) -> None:
        line_scopes[match.start() : match.end()] = [scopes] * (match.end() - match.start())
        for group, capture in sorted(captures.items(), key=lambda item: int(item[0])):
            start, end = match.span(int(group))
            for index in range(max(start, 0), end):
                line_scopes[index] = (*scopes, capture["name"])
