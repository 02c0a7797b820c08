"""The language server's parts, called as the server calls them: each answer is the
one the CLI, the shell or the formatter gives for the same text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from engql.cli import main
from engql.codes import CODES
from engql.lsp import MISSING_PYGLS
from engql.lsp.actions import code_actions
from engql.lsp.completion import completions
from engql.lsp.diagnostics import HINT_MARK, anchor, found, to_lsp_all
from engql.lsp.formatting import format_edits, format_range_edits
from engql.lsp.hover import hover_text
from engql.lsp.positions import offset, position
from engql.lsp.reparse import StatementTrees
from engql.lsp.settings import Settings, read_settings
from engql.lsp.symbols import statement_symbols
from engql.syntax.ast import dump
from engql.syntax.source import Source

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*ROOT.glob("examples/*.engql"), *(ROOT / "tests" / "queries").rglob("*.engql")])
UTF16 = types.PositionEncodingKind.Utf16
ALLOWED = Settings(allow_files=True)


def lsp_diagnostics(text: str, path: str, settings: Settings = ALLOWED) -> list[types.Diagnostic]:
    script, diagnostics = found(Source(text, path), settings.check_options(path))
    return to_lsp_all(script, diagnostics, UTF16)


def utf16_column(line: str, column: int) -> int:
    return len(line[: column - 1].encode("utf-16-le")) // 2


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_diagnostics_are_engql_checks(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    main(["check", "--error-format", "json", str(path)])
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    text = path.read_text(encoding="utf-8-sig")
    # The one difference: the server reads IDs files only inside the document's folder
    # (allow_files="base_dir"), and the check stage then names them relative to it.
    folder = str(path.parent) + os.sep
    expected = [
        (
            d["code"],
            d["message"].replace(folder, ""),
            d["hint"],
            Path(d["file"]).as_uri(),
            place(d["file"], d["line"], d["column"]),
            place(d["file"], d["end"]["line"], d["end"]["column"]),
        )
        for d in printed
    ]
    served = []
    for d in lsp_diagnostics(text, str(path)):
        where, file = d.range, path.as_uri()
        if d.related_information:
            (related,) = d.related_information
            where, file = related.location.range, related.location.uri
        message, _, hint = d.message.partition(HINT_MARK)
        start, end = where.start, where.end
        served.append(
            (
                d.code,
                message,
                hint or None,
                file,
                (start.line, start.character),
                (end.line, end.character),
            )
        )
    assert served == expected


def place(file: str, line: int, column: int) -> tuple[int, int]:
    """A 1-based line and column of the CLI's as an LSP position (UTF-16 code units)."""
    lines = Path(file).read_text(encoding="utf-8-sig").split("\n")
    return line - 1, utf16_column(lines[line - 1], column)


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) > 40


def test_positions_count_utf16_code_units() -> None:
    text = "/* 😀 é */ SELECT favourites FROM totals WHERE tweet = 20;\n"
    (diagnostic,) = lsp_diagnostics(text, "/nowhere/q.engql")
    start = text.index("favourites")
    assert diagnostic.range.start == types.Position(line=0, character=start + 1)
    assert diagnostic.range.end == types.Position(line=0, character=start + 1 + 10)
    source = Source(text)
    assert offset(source, diagnostic.range.start, UTF16) == start
    assert position(source, start, types.PositionEncodingKind.Utf8).character == start + 4
    assert offset(source, types.Position(line=0, character=999), UTF16) == len(text) - 1
    assert offset(source, types.Position(line=7, character=0), UTF16) == len(text)


def test_each_diagnostic_links_its_entry_and_carries_its_hint() -> None:
    (diagnostic,) = lsp_diagnostics("SELECT favourites FROM totals WHERE tweet = 20;", "/x/q.engql")
    assert diagnostic.code == "E102"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.data == {"hint": "did you mean 'favorites'?"}
    assert diagnostic.code_description is not None
    href = diagnostic.code_description.href
    assert href == (ROOT / "docs" / "errors.md").as_uri() + "#e102-unknown-metric"
    assert anchor("W201") == "w201-grouping-without-engagementtype"


def test_every_link_is_to_a_heading_of_the_errors_doc() -> None:
    """The anchor is made from the code's title, which is its heading's text."""
    headings = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8").splitlines()
    assert all(f"## {code} {CODES[code].title}" in headings for code in CODES)


def test_files_are_read_only_when_the_client_allows_it(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("20\n", encoding="utf-8")
    path = str(tmp_path / "q.engql")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';\n"
    assert [d.code for d in lsp_diagnostics(text, path, Settings())] == ["E307"]
    assert lsp_diagnostics(text, path, ALLOWED) == []
    outside = "SELECT favorites FROM totals WHERE tweet IN FILE '../ids.txt';\n"
    assert [d.code for d in lsp_diagnostics(outside, path, ALLOWED)] == ["E311"]


def test_settings_come_from_the_engql_section_or_the_section_itself() -> None:
    assert read_settings({"engql": {"allowFiles": True}}, Settings()) == ALLOWED
    assert read_settings({"allowFiles": True}, Settings()) == ALLOWED
    assert read_settings({"engql": {"allowFiles": "yes"}}, ALLOWED) == Settings()
    assert read_settings(None, ALLOWED) == ALLOWED
    assert read_settings({"engql": {}}, ALLOWED) == ALLOWED


def test_completion_is_the_shells_with_kinds() -> None:
    source = Source("SELECT favorites FROM t")
    listed = completions(source, types.Position(line=0, character=23), UTF16)
    assert [(i.label, i.kind) for i in listed.items] == [
        ("totals", types.CompletionItemKind.Module)
    ]
    (item,) = listed.items
    assert item.detail == "lifetime totals as of now"
    assert item.text_edit == types.TextEdit(
        range=types.Range(
            start=types.Position(line=0, character=22), end=types.Position(line=0, character=23)
        ),
        new_text="totals",
    )
    keys = completions(
        Source("SELECT favorites FROM totals WHERE tweet = 1 GROUP BY tw"),
        types.Position(line=0, character=56),
        UTF16,
    )
    assert [(i.label, i.kind) for i in keys.items] == [
        ("tweet.id", types.CompletionItemKind.Property)
    ]
    words = completions(Source("/* 😀 */ se"), types.Position(line=0, character=11), UTF16)
    assert [(i.label, i.kind) for i in words.items] == [
        ("select", types.CompletionItemKind.Keyword)
    ]
    assert words.items[0].text_edit is not None
    assert words.items[0].text_edit.range == types.Range(
        start=types.Position(line=0, character=9), end=types.Position(line=0, character=11)
    )


def hover_at(text: str, word: str, nth: int = 0) -> str | None:
    source = Source(text, "/nowhere/q.engql")
    script, diagnostics = found(source, Settings().check_options(source.name))
    at = text.index(word)
    for _ in range(nth):
        at = text.index(word, at + 1)
    return hover_text(script, diagnostics, at + 1)


QUERY = "SELECT favorites, impressions FROM totals WHERE tweet = 20 GROUP BY tweet.id;\n"


def test_hover_on_a_metric_says_what_it_counts_and_where() -> None:
    shown = hover_at(QUERY, "favorites")
    assert shown is not None
    assert shown.startswith("**favorites**: likes")
    assert "- /historical: since 2015-09-15" in shown
    assert "- /28hr: the last 28 hours" in shown
    impressions = hover_at(QUERY, "impressions")
    assert impressions is not None and "- /totals: Tweets younger than 90 days" in impressions


def test_hover_on_an_endpoint_is_the_shells_describe() -> None:
    shown = hover_at(QUERY, "totals")
    assert shown is not None
    assert "up to 250 Tweet IDs a request" in shown
    assert "time range: none (the endpoint fixes it)" in shown
    assert "auth: needs OAuth 1.0a user context" in shown


def test_hover_on_a_tweet_id_reads_its_snowflake_and_the_age_warning() -> None:
    text = "SELECT impressions FROM totals WHERE tweet = 1600000000000000000;\n"
    shown = hover_at(text, "1600000000000000000")
    assert shown is not None
    assert "created 2022-12-06 05:31:41 UTC" in shown
    assert "W501: Tweet 1600000000000000000 is older than 90 days" in shown
    old = hover_at("SELECT favorites FROM totals WHERE tweet = 20;", "20")
    assert old is not None and "before Snowflake IDs" in old


def test_hover_on_a_grouping_says_whether_the_api_takes_it() -> None:
    refused = (
        "SELECT favorites FROM historical WHERE tweet = 20 AND time BETWEEN now - 2 days AND now"
        " GROUP BY engagement.day, tweet.id, engagement.type, engagement.hour;\n"
    )
    shown = hover_at(refused, "engagement.day")
    assert shown is not None and "the API refuses it: E203" in shown
    accepted = hover_at(QUERY, "tweet.id")
    assert accepted is not None
    assert "the API accepts it on /totals" in accepted
    assert "W201: a grouping without engagement.type" in accepted


def test_formatting_is_fmts_and_leaves_a_broken_document_alone() -> None:
    text = "-- kept\nselect favorites from totals where tweet = 20 ; -- and this\n"
    (edit,) = format_edits(Source(text), UTF16)
    assert edit.new_text == (
        "-- kept\nSELECT favorites\nFROM totals\nWHERE tweet = 20; -- and this\n"
    )
    assert edit.range.end == types.Position(line=2, character=0)
    assert format_edits(Source(edit.new_text), UTF16) == []
    assert format_edits(Source("SELECT favorites FROM;"), UTF16) == []


def test_range_formatting_formats_the_statements_it_touches() -> None:
    text = (
        "select favorites from totals where tweet = 20 ;\n"
        "-- the second\n"
        "select retweets from totals where tweet = 21 /* here */ ;\n"
    )
    source = Source(text)
    (edit,) = format_range_edits(source, line_range(0, 3, 5), UTF16)
    assert edit == types.TextEdit(
        range=line_range(0, 0, 47), new_text="SELECT favorites\nFROM totals\nWHERE tweet = 20;"
    )
    assert format_range_edits(source, line_range(2, 3, 5), UTF16) == []
    assert format_range_edits(Source("SELECT favorites FROM;"), line_range(0, 0, 3), UTF16) == []


def actions_for(text: str) -> list[tuple[str, str, types.Range]]:
    source = Source(text, "/nowhere/q.engql")
    script, diagnostics = found(source, Settings().check_options(source.name))
    served = to_lsp_all(script, diagnostics, UTF16)
    actions = code_actions(script, served, "file:///nowhere/q.engql", UTF16)
    fixes = []
    for action in actions:
        assert action.edit is not None and action.edit.changes is not None
        (edit,) = action.edit.changes["file:///nowhere/q.engql"]
        fixes.append((action.title, edit.new_text, edit.range))
    return fixes


def line_range(line: int, start: int, end: int) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=line, character=end),
    )


def test_a_did_you_mean_hint_is_a_quick_fix() -> None:
    fixes = actions_for("SELECT favourites FROM total WHERE tweet = 20;")
    assert fixes == [
        ("replace 'favourites' by 'favorites'", "favorites", line_range(0, 7, 17)),
        ("replace 'total' by 'totals'", "totals", line_range(0, 23, 28)),
    ]


def test_a_forgotten_semicolon_is_added_before_the_comment() -> None:
    text = (
        "SELECT favorites FROM totals WHERE tweet = 20 -- first\n"
        "SELECT retweets FROM totals WHERE tweet = 21;\n"
    )
    assert actions_for(text) == [("add the missing `;`", ";", line_range(0, 45, 45))]


def test_a_four_key_grouping_is_put_in_the_documented_order() -> None:
    text = (
        "SELECT favorites FROM historical WHERE tweet = 20 AND time BETWEEN now - 2 days AND now\n"
        "GROUP BY engagement.day, engagement.type, engagement.hour, tweet.id;\n"
    )
    order = "engagement.type, tweet.id, engagement.day, engagement.hour"
    assert actions_for(text) == [(f"group by {order}", order, line_range(1, 9, 67))]


def test_each_statement_is_a_symbol() -> None:
    text = (
        "SELECT favorites FROM totals WHERE tweet = 20;\n"
        "SELECT * FROM 28hr WHERE tweet = 20 GROUP BY tweet.id, engagement.type AS mine"
        " GROUP BY engagement.type;\n"
    )
    source = Source(text)
    script, _ = found(source, Settings().check_options(None))
    symbols = statement_symbols(script, UTF16)
    assert [(s.name, s.detail) for s in symbols] == [
        ("totals", "SELECT favorites"),
        ("28hr by mine; engagement.type", "SELECT *"),
    ]
    assert symbols[1].selection_range == line_range(1, 14, 18)


def test_without_pygls_the_command_says_what_to_install() -> None:
    blocked = (
        "import sys; sys.modules['pygls'] = None; "
        "from engql.cli import main; sys.exit(main(['lsp']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", MISSING_PYGLS + "\n")


def edits_of(text: str) -> list[str]:
    """The text after each of a few keystrokes: typed, deleted, a line broken, at the
    start, in the middle and at the end."""
    middle = len(text) // 2
    return [
        text[:middle] + "x" + text[middle:],
        text[:middle] + text[middle + 1 :],
        text[:middle] + "\n" + text[middle:],
        "\n" + text,
        " " + text,
        text + "\nSELECT",
        text,
    ]


@pytest.mark.parametrize("path", CORPUS[::3], ids=lambda p: str(p.relative_to(ROOT)))
def test_reused_trees_give_what_a_fresh_parse_gives(path: Path) -> None:
    trees = StatementTrees()
    opts = ALLOWED.check_options(str(path))
    original = path.read_text(encoding="utf-8-sig")
    for text in [original, *edits_of(original)]:
        source = Source(text, str(path))
        script, diagnostics = found(source, opts, trees)
        fresh_script, fresh = found(Source(text, str(path)), opts)
        assert [d.to_json() for d in diagnostics] == [d.to_json() for d in fresh]
        assert dump(script, spans=True) == dump(fresh_script, spans=True)
        assert all(s.span.source is source for s in script.statements)
