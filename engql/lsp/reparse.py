"""Parse again only the statements a change touched.

After a keystroke most statements of a document are the same text at another offset (or
the same one): their trees are reused, moved to the new text, so checking a long
document costs little more than checking it without its parse. A statement with a
syntax error is parsed each time, since its message may name a line.
"""

from __future__ import annotations

from typing import Any

import attrs

from engql.syntax.ast import Statement
from engql.syntax.parser import parse_statement
from engql.syntax.source import Source, Span


class StatementTrees:
    """The trees of one document's last parse, by statement text; a parse keeps only
    the trees it used, so the cache is never larger than the document."""

    def __init__(self) -> None:
        self._trees: dict[str, tuple[Statement, int]] = {}
        self._next: dict[str, tuple[Statement, int]] = {}

    def parse(self, source: Source, start: int, end: int) -> Statement:
        """``parse_statement``'s tree of ``source.text[start:end]``, reused when known."""
        text = source.text[start:end]
        known = self._trees.get(text)
        tree: Statement
        if known is None:
            tree = parse_statement(source, start, end)
        else:
            tree = moved(known[0], source, start - known[1])
        self._next[text] = (tree, start)
        return tree

    def end(self) -> None:
        """Keep only the trees of this parse."""
        self._trees, self._next = self._next, {}


def moved(node: Any, source: Source, delta: int) -> Any:
    """The same tree with each span in ``source``, ``delta`` characters on."""
    if isinstance(node, Span):
        return Span(source, node.start + delta, node.end + delta)
    if isinstance(node, tuple):
        return tuple(moved(item, source, delta) for item in node)
    if attrs.has(type(node)):
        fields = attrs.fields(type(node))
        changes = {f.name: moved(getattr(node, f.name), source, delta) for f in fields}
        return attrs.evolve(node, **changes)
    return node
