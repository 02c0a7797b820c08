"""Write editors/engql.tmLanguage.json, the TextMate grammar VS Code (and any editor that
reads TextMate grammars) colours ``.engql`` files with, and its copy in editors/vscode/.

The grammar is made, not written, so it cannot drift from the language: its keywords come
from the Lark grammar's terminals (``engql.syntax.keywords``, where the Pygments lexer
takes them too) and the names of endpoints, metrics and grouping keys from
``engql.facts``. Its rules follow the Pygments lexer's states in the same order, so both
colour a file alike (tests/test_editors.py compares them character by character). Every
pattern stays within what Python's ``re`` and Oniguruma read alike, so the tests can run
it with ``re``. Run this after changing the grammar or the facts; ``--check`` exits 1
when the committed file differs from what it would write (tests run it).

    python editors/generate_textmate.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engql.facts import ENDPOINTS, GROUP_KEYS, METRICS
from engql.syntax.keywords import keyword_terminals, reserved_words, terminal_patterns

ROOT = Path(__file__).resolve().parent.parent
GRAMMARS = (
    ROOT / "editors" / "engql.tmLanguage.json",
    ROOT / "editors" / "vscode" / "syntaxes" / "engql.tmLanguage.json",
)
"""The grammar, and its copy inside the VS Code extension, which may hold no file
outside its own folder."""
SCOPE = "source.engql"
_END_OF_WORD = r"(?![A-Za-z0-9_])"
_ATTRIBUTE = "entity.other.attribute-name"


def _words(names: Iterable[str], *, caseless: bool) -> str:
    """Whole words, the longest first so that no name stops at a shorter one's end."""
    alternatives = "|".join(map(re.escape, sorted(names, key=lambda n: (-len(n), n))))
    return ("(?i:" if caseless else "(?:") + alternatives + ")" + _END_OF_WORD


def _keyword(word: str) -> str:
    return _words([word], caseless=True)


def _rule(pattern: str, scope: str | None) -> dict[str, Any]:
    return {"match": pattern} if scope is None else {"match": pattern, "name": f"{scope}.engql"}


def repository() -> dict[str, Any]:
    """The named rules; the states ``statement`` and ``grouping`` include them in the
    order the Pygments lexer tries its rules, since the first rule matching wins in both."""
    keywords = keyword_terminals()
    soft = sorted(set(keywords.values()) - reserved_words())
    patterns = terminal_patterns()
    name = patterns["NAME"]
    return {
        "comments": {
            "patterns": [
                {
                    "match": "(--)[^\\n]*",
                    "name": "comment.line.double-dash.engql",
                    "captures": {"1": {"name": "punctuation.definition.comment.engql"}},
                },
                {
                    "begin": "/\\*",
                    "end": "\\*/",
                    "name": "comment.block.engql",
                    "beginCaptures": {"0": {"name": "punctuation.definition.comment.engql"}},
                    "endCaptures": {"0": {"name": "punctuation.definition.comment.engql"}},
                },
            ]
        },
        "grouping": {
            "comment": "After BY: the grouping keys are known, and tweet or time are names.",
            "begin": _keyword(keywords["_BY"]),
            "beginCaptures": {"0": {"name": "keyword.other.engql"}},
            "end": f"(?=;|{_keyword(keywords['_SELECT'])})",
            "name": "meta.grouping.engql",
            "patterns": [
                {"include": "#comments"},
                _rule(_words(GROUP_KEYS, caseless=False), f"{_ATTRIBUTE}.grouping-key"),
                {
                    "match": f"({_keyword(keywords['_AS'])})([^\\S\\n]+)({name})",
                    "captures": {
                        "1": {"name": "keyword.other.engql"},
                        "3": {"name": "entity.name.grouping.engql"},
                    },
                },
                {"include": "#common"},
            ],
        },
        "keywords": {
            "patterns": [
                _rule(patterns["TWEET"], "keyword.other"),
                _rule(patterns["UNIT"], "keyword.other"),
                _rule(_words(soft, caseless=True), "keyword.other"),
                _rule(patterns["ANCHOR"], "constant.language"),
            ]
        },
        "names": {
            "patterns": [
                _rule(_words(ENDPOINTS, caseless=False), "support.class.endpoint"),
                _rule(_words(METRICS, caseless=False), "support.function.metric"),
            ]
        },
        "common": {
            "patterns": [
                _rule(_words(reserved_words(), caseless=True), "keyword.other"),
                _rule("'(?:[^'\\n]|'')*'?", "string.quoted.single"),
                _rule('"(?:[^"\\n]|"")*"?', "string.quoted.double"),
                _rule(patterns["PARAM"], "variable.parameter"),
                _rule("[0-9]+", "constant.numeric.integer"),
                {
                    "comment": "Any other name: coloured by nothing, and whole, so no rule "
                    "above matches inside it.",
                    "match": "[A-Za-z_][A-Za-z0-9_]*",
                },
                _rule("[=+*-]", "keyword.operator"),
                _rule(",", "punctuation.separator.comma"),
                _rule(";", "punctuation.terminator.statement"),
                _rule("\\(", "punctuation.section.parens.begin"),
                _rule("\\)", "punctuation.section.parens.end"),
                _rule("\\.", "punctuation.accessor"),
            ]
        },
    }


def grammar() -> dict[str, Any]:
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "comment": "Generated by editors/generate_textmate.py from grammar/engql.lark and "
        "engql/facts.py; do not edit. Regenerate: python editors/generate_textmate.py",
        "name": "engql",
        "scopeName": SCOPE,
        "fileTypes": ["engql"],
        "patterns": [
            {"include": "#comments"},
            {"include": "#grouping"},
            {"include": "#keywords"},
            {"include": "#names"},
            {"include": "#common"},
        ],
        "repository": repository(),
    }


def text() -> str:
    return json.dumps(grammar(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    made = text()
    if not args.check:
        for path in GRAMMARS:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(made, encoding="utf-8")
        return 0
    stale = [p for p in GRAMMARS if not p.exists() or p.read_text(encoding="utf-8") != made]
    for path in stale:
        print(
            f"{path.relative_to(ROOT)} differs from what the grammar and the facts make; "
            "run: python editors/generate_textmate.py",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
