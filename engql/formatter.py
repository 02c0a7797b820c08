"""The formatter: a parsed script back to canonical text, with every comment kept.

The tree holds no comments, so they are put back by position. Each comment belongs to an
*atom*, a piece of the query with a place in the source: a keyword that opens a line, a
name, a literal, a list item, a list's closing parenthesis. A comment that ends a source
line trails the atom before it on that line and goes to the end of that atom's output
line; any other comment leads the atom after it (or around it) and goes on its own line
before that atom's output line. Formatting the output again finds the same owners, which
is what makes formatting idempotent.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

import attrs

from engql.record import Record
from engql.syntax import ast
from engql.syntax.keywords import reserved_words
from engql.syntax.parser import parse

LINE_WIDTH = 100
"""A Tweet list that would make its line longer than this wraps, several items a line."""

_CONDITION_INDENT = "  "
_LIST_INDENT = "    "
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANKS = re.compile(r"\s*")
_REST_OF_LINE_IS_EMPTY = re.compile(r"[ \t\r;]*(?:\n|\Z)")


def format_text(text: str, name: str = "<query>") -> str:
    """The canonical text of a script; raises EngqlError when it does not parse."""
    return format_script(parse(text, name))


def format_script(script: ast.Script) -> str:
    """The canonical text of a script that parsed without errors, comments included."""
    return _Formatter(script).text()


@attrs.frozen(repr=False)
class _Line(Record):
    """A piece of output (usually one line) and the atoms whose comments it carries.

    Atoms are named by their start offset. Leading comments of ``leads`` go on their own
    lines before the piece, trailing comments of ``trails`` at the end of its last line.
    """

    indent: str
    text: str
    leads: Sequence[int]
    trails: Sequence[int]
    comment_indent: str | None = None


class _Formatter:
    """Formats one script: places its comments on atoms, then prints statement by statement."""

    def __init__(self, script: ast.Script) -> None:
        self.script = script
        self.blanked = _blank_comments(script.source.text, script.comments)
        self.leading: defaultdict[int, list[ast.Comment]] = defaultdict(list)
        self.trailing: defaultdict[int, list[ast.Comment]] = defaultdict(list)
        self.closing: list[ast.Comment] = []
        self.semicolons = [self._semicolon(s) for s in script.statements]
        self._place_comments()

    def text(self) -> str:
        statements = zip(self.script.statements, self.semicolons, strict=True)
        blocks = [self._print(self._statement(s, semicolon)) for s, semicolon in statements]
        if self.closing:
            blocks.append("\n".join(c.text for c in self.closing))
        return "\n\n".join(blocks) + "\n" if blocks else ""

    def _atoms(self) -> list[tuple[int, int]]:
        """Every atom's ``(start, end)``, in source order.

        A statement's ``;`` is an atom too, but only comments after it on its line belong
        to it: one before it leads the next statement, as if it were written after the ``;``.
        """
        atoms: list[tuple[int, int]] = []
        for s, semicolon in zip(self.script.statements, self.semicolons, strict=True):
            atoms.append(_mark(s.span.start))
            if s.metrics is None:
                atoms.append(_mark(self._star(s)))
            else:
                atoms.extend(_bounds(m) for m in s.metrics)
            atoms.append(_bounds(s.endpoint))
            for c in s.conditions:
                atoms.append(_mark(c.span.start))
                if isinstance(c, ast.TimeRange):
                    atoms.extend((_bounds(c.start), _bounds(c.end)))
                elif isinstance(c.tweets, ast.TweetList):
                    atoms.extend(_bounds(item) for item in c.tweets.items)
                    atoms.append(_mark(c.tweets.span.end - 1))
                else:
                    atoms.append(_bounds(c.tweets))
            for g in s.groupings:
                atoms.append(_mark(g.span.start))
                atoms.extend(_bounds(k) for k in g.keys)
                if g.name is not None:
                    atoms.append(_bounds(g.name))
            if semicolon is not None:
                atoms.append(_mark(semicolon))
        return sorted(atoms)

    def _place_comments(self) -> None:
        atoms = self._atoms()
        ends = [end for _, end in atoms]
        semicolons = set(self.semicolons)
        for comment in self.script.comments:
            start = comment.span.start
            following = bisect_right(ends, start)
            inside = following < len(atoms) and atoms[following][0] < start
            if not inside and following > 0 and self._ends_line(atoms[following - 1], comment):
                self.trailing[atoms[following - 1][0]].append(comment)
                continue
            if following < len(atoms) and atoms[following][0] in semicolons:
                following += 1
            if following < len(atoms):
                self.leading[atoms[following][0]].append(comment)
            else:
                self.closing.append(comment)

    def _ends_line(self, atom: tuple[int, int], comment: ast.Comment) -> bool:
        """True when the comment is last on the line where ``atom`` ends, ignoring comments."""
        same_line = self.blanked.find("\n", atom[1], comment.span.start) < 0
        return (
            same_line and _REST_OF_LINE_IS_EMPTY.match(self.blanked, comment.span.end) is not None
        )

    def _semicolon(self, statement: ast.Statement) -> int | None:
        """Where the statement's ``;`` stands, if it has one."""
        match = _BLANKS.match(self.blanked, statement.span.end)
        assert match is not None
        found = match.end()
        return found if self.blanked.startswith(";", found) else None

    def _star(self, statement: ast.Statement) -> int:
        """Where ``*`` stands: the first thing after SELECT (the tree does not record it)."""
        match = _BLANKS.match(self.blanked, statement.span.start + len("SELECT"))
        assert match is not None
        return match.end()

    def _statement(self, s: ast.Statement, semicolon: int | None) -> list[_Line]:
        select = (s.span.start,)
        if s.metrics is None:
            star = (*select, self._star(s))
            lines = [_Line("", "SELECT *", star, star)]
        else:
            metrics = (*select, *(m.span.start for m in s.metrics))
            text = "SELECT " + ", ".join(m.text for m in s.metrics)
            lines = [_Line("", text, metrics, metrics)]
        endpoint = (s.endpoint.span.start,)
        lines.append(_Line("", "FROM " + s.endpoint.text, endpoint, endpoint))
        for n, condition in enumerate(s.conditions):
            lines.extend(self._condition(condition, first=n == 0))
        lines.extend(_grouping(g) for g in s.groupings)
        last = lines[-1]
        trails = last.trails if semicolon is None else (*last.trails, semicolon)
        lines[-1] = attrs.evolve(last, text=last.text + ";", trails=trails)
        return lines

    def _condition(self, condition: ast.Condition, first: bool) -> list[_Line]:
        indent, keyword = ("", "WHERE") if first else (_CONDITION_INDENT, "AND")
        start = condition.span.start
        if isinstance(condition, ast.TimeRange):
            text = f"{keyword} time BETWEEN {_time(condition.start)} AND {_time(condition.end)}"
            range_atoms = (start, condition.start.span.start, condition.end.span.start)
            return [_Line(indent, text, range_atoms, range_atoms)]
        tweets = condition.tweets
        if isinstance(tweets, ast.IdList | ast.PackedList | ast.TweetList):
            return self._tweet_list(indent, f"{keyword} tweet IN (", start, tweets)
        if isinstance(tweets, ast.TweetLiteral):
            operand = "= " + _tweet_literal(tweets)
        elif isinstance(tweets, ast.FileRef):
            operand = "IN FILE " + _string(tweets.path)
        elif "=" in self.blanked[start : tweets.span.start]:
            operand = "= :" + tweets.name
        else:
            operand = "IN :" + tweets.name
        atoms = (start, tweets.span.start)
        return [_Line(indent, f"{keyword} tweet {operand}", atoms, atoms)]

    def _tweet_list(
        self,
        indent: str,
        head: str,
        keyword: int,
        tweets: ast.IdList | ast.PackedList | ast.TweetList,
    ) -> list[_Line]:
        """One line if it fits, else wrapped; one item a line when comments sit among them.

        Items of a one-token list are printed as written: that is already canonical.
        """
        items: Sequence[str]
        if isinstance(tweets, ast.IdList):
            items, atoms = tweets.ids, (keyword, tweets.span.start)
        elif isinstance(tweets, ast.PackedList):
            items, atoms = tweets.items, (keyword, tweets.span.start)
        elif self._has_comments(tweets):
            return self._vertical_list(indent, head, keyword, tweets)
        else:
            items = [_tweet_literal(item) for item in tweets.items]
            atoms = (keyword, tweets.span.end - 1)
        width = len(indent) + len(head) + sum(map(len, items)) + 2 * max(len(items) - 1, 0) + 1
        if width <= LINE_WIDTH:
            return [_Line(indent, head + ", ".join(items) + ")", atoms, atoms)]
        wrapped = "\n".join([head, *_rows(items, indent + _LIST_INDENT), indent + ")"])
        return [_Line(indent, wrapped, atoms, atoms)]

    def _has_comments(self, tweets: ast.TweetList) -> bool:
        close = tweets.span.end - 1
        return close in self.leading or any(
            item.span.start in self.leading or item.span.start in self.trailing
            for item in tweets.items
        )

    def _vertical_list(
        self, indent: str, head: str, keyword: int, tweets: ast.TweetList
    ) -> list[_Line]:
        inner = indent + _LIST_INDENT
        lines = [_Line(indent, head, (keyword,), (keyword,))]
        last = len(tweets.items) - 1
        for n, item in enumerate(tweets.items):
            text = _tweet_literal(item) + ("," if n < last else "")
            lines.append(_Line(inner, text, (item.span.start,), (item.span.start,)))
        close = (tweets.span.end - 1,)
        lines.append(_Line(indent, ")", close, close, comment_indent=inner))
        return lines

    def _print(self, lines: list[_Line]) -> str:
        """The lines with their comments; only the last ``--`` comment can end a line."""
        out: list[str] = []
        for line in lines:
            before = _in_order(self.leading, line.leads)
            after = _in_order(self.trailing, line.trails)
            line_comments = [c for c in after if c.text.startswith("--")]
            block_comments = [c for c in after if not c.text.startswith("--")]
            comment_indent = line.indent if line.comment_indent is None else line.comment_indent
            out.extend(comment_indent + c.text for c in before + line_comments[:-1])
            ending = [c.text for c in block_comments + line_comments[-1:]]
            out.append(" ".join([line.indent + line.text, *ending]))
        return "\n".join(out)


def _grouping(g: ast.Grouping) -> _Line:
    text = "GROUP BY " + ", ".join(k.text for k in g.keys)
    atoms = [g.span.start, *(k.span.start for k in g.keys)]
    if g.name is not None:
        text += " AS " + _grouping_name(g.name.text)
        atoms.append(g.name.span.start)
    return _Line("", text, atoms, atoms)


def _rows(items: Sequence[str], indent: str) -> list[str]:
    """Items several to a row, each row (with its comma) at most LINE_WIDTH when it can be."""
    rows: list[str] = []
    row: list[str] = []
    width = len(indent)
    for item in items:
        if row and width + len(item) + 3 > LINE_WIDTH:
            rows.append(indent + ", ".join(row) + ",")
            row, width = [], len(indent)
        width += len(item) + (2 if row else 0)
        row.append(item)
    rows.append(indent + ", ".join(row))
    return rows


def _in_order(comments: dict[int, list[ast.Comment]], atoms: Sequence[int]) -> list[ast.Comment]:
    found = [c for atom in atoms for c in comments.get(atom, ())]
    return sorted(found, key=lambda c: c.span.start)


def _blank_comments(text: str, comments: Sequence[ast.Comment]) -> str:
    """The text with every comment turned to spaces, so searches see only code."""
    pieces: list[str] = []
    position = 0
    for c in comments:
        pieces.append(text[position : c.span.start])
        pieces.append(" " * (c.span.end - c.span.start))
        position = c.span.end
    pieces.append(text[position:])
    return "".join(pieces)


def _bounds(node: ast.Name | ast.TweetLiteral | ast.TweetSet | ast.TimeExpr) -> tuple[int, int]:
    return node.span.start, node.span.end


def _mark(start: int) -> tuple[int, int]:
    """A one-character atom: a keyword (by its first letter), ``*``, ``)`` or ``;``."""
    return start, start + 1


def _tweet_literal(literal: ast.TweetLiteral) -> str:
    return _string(literal.value) if literal.quoted else literal.value


def _time(expr: ast.TimeExpr) -> str:
    if isinstance(expr, ast.TimeLiteral):
        return _string(expr.text)
    if isinstance(expr, ast.Param):
        return ":" + expr.name
    if expr.sign is None:
        return expr.anchor
    return f"{expr.anchor} {expr.sign} {expr.amount} {expr.unit}"


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _grouping_name(text: str) -> str:
    """Bare when the grammar reads it back as a name, else double-quoted."""
    if _IDENTIFIER.fullmatch(text) and text.lower() not in reserved_words():
        return text
    return '"' + text.replace('"', '""') + '"'
