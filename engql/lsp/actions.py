"""Quick fixes for the diagnostics whose hint says the fix: a did-you-mean name, a
forgotten ``;``, a four-key grouping in an order the API refuses."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from engql import facts
from engql.lsp.diagnostics import HINT_MARK
from engql.lsp.positions import offset, position
from engql.syntax.ast import Grouping, Script
from engql.syntax.source import Source
from engql.syntax.syntax_errors import FORGOTTEN_SEMICOLON, semicolon_offset

_DID_YOU_MEAN = re.compile(r"did you mean (.+?)\?")
_QUOTED = re.compile(r"'([^']+)'")
_NAME = re.compile(r"[\w.]+")


def code_actions(
    script: Script, diagnostics: Sequence[types.Diagnostic], uri: str, encoding: str
) -> list[types.CodeAction]:
    found: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        for title, edit in _fixes(script, diagnostic, encoding):
            found.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
    return found


def _hint(diagnostic: types.Diagnostic) -> str:
    data = diagnostic.data
    hint = data.get("hint") if isinstance(data, dict) else None
    if isinstance(hint, str):
        return hint
    return diagnostic.message.partition(HINT_MARK)[2]


def _fixes(
    script: Script, diagnostic: types.Diagnostic, encoding: str
) -> list[tuple[str, types.TextEdit]]:
    source, hint = script.source, _hint(diagnostic)
    start = offset(source, diagnostic.range.start, encoding)
    if hint.startswith(FORGOTTEN_SEMICOLON):
        at = semicolon_offset(source.text, start)
        if at is None:
            return []
        here = position(source, at, encoding)
        return [("add the missing `;`", _edit(types.Range(start=here, end=here), ";"))]
    if diagnostic.code == "E203":
        return _reorder(source, script, start, encoding)
    meant = _DID_YOU_MEAN.search(hint)
    end = offset(source, diagnostic.range.end, encoding)
    written = source.text[start:end]
    if meant is None or not _NAME.fullmatch(written):
        return []
    return [
        (f"replace '{written}' by '{name}'", _edit(diagnostic.range, name))
        for name in _QUOTED.findall(meant[1])
    ]


def _reorder(
    source: Source, script: Script, start: int, encoding: str
) -> list[tuple[str, types.TextEdit]]:
    """The four keys in the documented order that keeps tweet.id and engagement.type as
    the user had them."""
    grouping = _grouping_at(script, start)
    if grouping is None:
        return []
    keys = [k.text for k in grouping.keys]
    orders = [o for o in facts.FOUR_KEY_ORDERS if set(o) == set(keys)]
    if not orders:
        return []
    tweet_first = keys.index(facts.TWEET_ID) < keys.index(facts.ENGAGEMENT_TYPE)
    leading = facts.TWEET_ID if tweet_first else facts.ENGAGEMENT_TYPE
    order = next((o for o in orders if o[0] == leading), orders[0])
    replaced = types.Range(
        start=position(source, grouping.keys[0].span.start, encoding),
        end=position(source, grouping.keys[-1].span.end, encoding),
    )
    return [(f"group by {', '.join(order)}", _edit(replaced, ", ".join(order)))]


def _grouping_at(script: Script, start: int) -> Grouping | None:
    for statement in script.statements:
        for grouping in statement.groupings:
            if grouping.span.start == start:
                return grouping
    return None


def _edit(where: types.Range, text: str) -> types.TextEdit:
    return types.TextEdit(range=where, new_text=text)
