"""What editors/ gives an editor: the TextMate grammar, generated and colouring real
files as the shell's Pygments lexer does; the VS Code extension's manifest; and the
Neovim, Helix and Emacs snippets, which docs/editors.md shows verbatim."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String
from textmate import Scopes, Tokenizer

from engql import facts
from engql.highlight import EngqlLexer
from engql.lsp.settings import ALLOW_FILES, SECTION
from engql.syntax.keywords import keyword_terminals

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors"
GRAMMAR: dict[str, Any] = json.loads((EDITORS / "engql.tmLanguage.json").read_text())
TOKENIZER = Tokenizer(GRAMMAR)
VSCODE = EDITORS / "vscode"
MANIFEST: dict[str, Any] = json.loads((VSCODE / "package.json").read_text())
DOC = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")

EXAMPLES = sorted((ROOT / "examples").glob("*.engql"))
QUERIES = sorted((ROOT / "tests" / "queries").rglob("*.engql"))
_ENGQL_BLOCK = re.compile(r"^```engql\n(.*?)^```$", re.M | re.S)
DOC_BLOCKS = [
    (f"{doc.name}:{number}", block)
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    for number, block in enumerate(_ENGQL_BLOCK.findall(doc.read_text(encoding="utf-8")))
]


def kind(scopes: Scopes) -> str | None:
    """What a character is coloured as: its outermost scope below the file's and the
    grouping's region (a comment's ``--`` is the comment, not its punctuation)."""
    for scope in scopes[1:]:
        if not scope.startswith("meta."):
            return scope
    return None


def words(text: str) -> list[tuple[str, str | None]]:
    """Each run of characters of one colour, without spaces, and that colour."""
    runs: list[tuple[str, str | None]] = []
    previous: Scopes | None = None
    for character, scopes in zip(text, TOKENIZER.scopes(text), strict=True):
        if scopes != previous or not runs:
            runs.append(("", kind(scopes)))
        runs[-1] = (runs[-1][0] + character, runs[-1][1])
        previous = scopes
    return [(run.strip(), scope) for run, scope in runs if run.strip()]


def scope_of(text: str, word: str) -> str | None:
    (found,) = [scope for run, scope in words(text) if run == word]
    return found


def test_the_grammar_is_made_from_the_language() -> None:
    script = EDITORS / "generate_textmate.py"
    checked = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def _patterns(rule: Any) -> Iterator[str]:
    if isinstance(rule, dict):
        for key, value in rule.items():
            if key in ("match", "begin", "end"):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(rule, list):
        for item in rule:
            yield from _patterns(item)


def test_every_pattern_is_in_what_re_and_oniguruma_read_alike() -> None:
    """Python's named groups and its \\Z are spelled otherwise, or mean otherwise, in
    Oniguruma; everything else the grammar uses is read alike."""
    patterns = list(_patterns(GRAMMAR))
    assert len(patterns) > 10
    for pattern in patterns:
        re.compile(pattern)
        assert "(?P" not in pattern and "\\Z" not in pattern, pattern


@pytest.mark.parametrize("metric", facts.METRICS)
def test_each_metric_is_a_metric(metric: str) -> None:
    assert scope_of(f"SELECT {metric} FROM totals;", metric) == "support.function.metric.engql"


@pytest.mark.parametrize("endpoint", facts.ENDPOINTS)
def test_each_endpoint_is_an_endpoint(endpoint: str) -> None:
    assert scope_of(f"SELECT * FROM {endpoint};", endpoint) == "support.class.endpoint.engql"


@pytest.mark.parametrize("key", facts.GROUP_KEYS)
def test_each_grouping_key_is_one_after_group_by(key: str) -> None:
    text = f"SELECT * FROM totals WHERE tweet = 1\nGROUP BY\n  {key} AS g;"
    assert scope_of(text, key) == "entity.other.attribute-name.grouping-key.engql"


@pytest.mark.parametrize("word", sorted(keyword_terminals().values()))
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_each_keyword_in_any_case_is_a_keyword(word: str, case: Any) -> None:
    assert scope_of(f"x {case(word)} y", case(word)) == "keyword.other.engql"


def test_the_rest_of_a_query() -> None:
    text = (
        "-- owned\nSELECT * FROM historical /* all\nof them */\n"
        "WHERE tweet.id IN :ids AND time BETWEEN 'x' AND now - 2 days\n"
        'GROUP BY tweet.id AS "by id"; SELECT favourites FROM totals WHERE tweet = 20;'
    )
    assert words(text) == [
        ("--", "comment.line.double-dash.engql"),
        ("owned", "comment.line.double-dash.engql"),
        ("SELECT", "keyword.other.engql"),
        ("*", "keyword.operator.engql"),
        ("FROM", "keyword.other.engql"),
        ("historical", "support.class.endpoint.engql"),
        ("/*", "comment.block.engql"),
        ("all\nof them", "comment.block.engql"),
        ("*/", "comment.block.engql"),
        ("WHERE", "keyword.other.engql"),
        ("tweet.id", "keyword.other.engql"),
        ("IN", "keyword.other.engql"),
        (":ids", "variable.parameter.engql"),
        ("AND", "keyword.other.engql"),
        ("time", "keyword.other.engql"),
        ("BETWEEN", "keyword.other.engql"),
        ("'x'", "string.quoted.single.engql"),
        ("AND", "keyword.other.engql"),
        ("now", "constant.language.engql"),
        ("-", "keyword.operator.engql"),
        ("2", "constant.numeric.integer.engql"),
        ("days", "keyword.other.engql"),
        ("GROUP", "keyword.other.engql"),
        ("BY", "keyword.other.engql"),
        ("tweet.id", "entity.other.attribute-name.grouping-key.engql"),
        ("AS", "keyword.other.engql"),
        ('"by id"', "string.quoted.double.engql"),
        (";", "punctuation.terminator.statement.engql"),
        ("SELECT", "keyword.other.engql"),
        ("favourites", None),
        ("FROM", "keyword.other.engql"),
        ("totals", "support.class.endpoint.engql"),
        ("WHERE", "keyword.other.engql"),
        ("tweet", "keyword.other.engql"),
        ("=", "keyword.operator.engql"),
        ("20", "constant.numeric.integer.engql"),
        (";", "punctuation.terminator.statement.engql"),
    ]


def test_names_are_whole_words() -> None:
    """A name that holds a keyword, a metric or a number is one plain name."""
    assert words("select retweetsx frombies by2 as_ tweets") == [
        ("select", "keyword.other.engql"),
        ("retweetsx frombies by2 as_ tweets", None),
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_text_of_an_example_is_left_uncoloured(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [run for run, scope in words(text) if scope is None] == []


_PYGMENTS_SCOPES = {
    Comment.Single: "comment.line.double-dash.engql",
    Comment.Multiline: "comment.block.engql",
    Keyword: "keyword.other.engql",
    Keyword.Constant: "constant.language.engql",
    Name.Builtin: "support.class.endpoint.engql",
    Name.Function: "support.function.metric.engql",
    Name.Attribute: "entity.other.attribute-name.grouping-key.engql",
    Name.Variable: "variable.parameter.engql",
    Number.Integer: "constant.numeric.integer.engql",
    String.Single: "string.quoted.single.engql",
    String.Double: "string.quoted.double.engql",
    Operator: "keyword.operator.engql",
}


def _pygments_kinds(text: str) -> list[str | None]:
    """What the shell colours each character as, in the grammar's scopes; a plain name
    may be a grouping's name, which the grammar colours and the lexer does not."""
    kinds: list[str | None] = []
    for _, token, value in EngqlLexer().get_tokens_unprocessed(text):
        kind = "punctuation" if token in Punctuation else _PYGMENTS_SCOPES.get(token)
        kinds += [kind] * len(value)
    return kinds


@pytest.mark.parametrize(
    "text",
    [
        *(p.read_text(encoding="utf-8") for p in EXAMPLES + QUERIES),
        *(block for _, block in DOC_BLOCKS),
    ],
    ids=[*(p.relative_to(ROOT).as_posix() for p in EXAMPLES + QUERIES), *dict(DOC_BLOCKS)],
)
def test_it_colours_as_the_shell_does(text: str) -> None:
    """Over every example, query file and engql block of the docs, character by character."""
    tokens = TOKENIZER.scopes(text)
    differ = []
    for index, (expected, scopes) in enumerate(zip(_pygments_kinds(text), tokens, strict=True)):
        found = kind(scopes)
        if found == "entity.name.grouping.engql" and expected is None:
            continue
        if expected == "punctuation" and found is not None and found.startswith("punctuation."):
            continue
        if found != expected and not text[index].isspace():
            differ.append((index, text[index], expected, found))
    assert differ == []


def _files_named(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("main", "path", "configuration") and isinstance(item, str):
                yield item
            else:
                yield from _files_named(item)
    elif isinstance(value, list):
        for item in value:
            yield from _files_named(item)


def test_the_extension_names_files_that_exist() -> None:
    named = list(_files_named(MANIFEST))
    assert sorted(named) == [
        "./extension.js",
        "./language-configuration.json",
        "./syntaxes/engql.tmLanguage.json",
    ]
    assert [n for n in named if not (VSCODE / n).is_file()] == []


def test_the_extension_colours_with_the_generated_grammar() -> None:
    (grammar,) = MANIFEST["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).read_text() == (EDITORS / "engql.tmLanguage.json").read_text()


def test_the_extension_gives_engql_files_the_grammar() -> None:
    (language,) = MANIFEST["contributes"]["languages"]
    (grammar,) = MANIFEST["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == GRAMMAR["name"] == "engql"
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.engql"
    assert language["extensions"] == [f".{e}" for e in GRAMMAR["fileTypes"]] == [".engql"]
    assert MANIFEST["activationEvents"] == ["onLanguage:engql"]
    assert "vscode-languageclient" in MANIFEST["dependencies"]


def test_the_extension_allows_no_files_unless_set() -> None:
    """By the name the server reads, so the setting cannot drift from it."""
    properties = MANIFEST["contributes"]["configuration"]["properties"]
    assert properties[f"{SECTION}.{ALLOW_FILES}"]["default"] is False
    assert properties["engql.path"]["default"] == "engql"


def test_the_language_configuration() -> None:
    configuration = json.loads((VSCODE / "language-configuration.json").read_text())
    assert configuration["comments"] == {"lineComment": "--", "blockComment": ["/*", "*/"]}
    assert configuration["brackets"] == [["(", ")"]]
    closing = {pair["open"]: pair["close"] for pair in configuration["autoClosingPairs"]}
    assert closing["'"] == "'" and closing['"'] == '"' and closing["("] == ")"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_extension_is_javascript_node_reads() -> None:
    """Syntax only: running it needs VS Code."""
    checked = subprocess.run(
        ["node", "--check", str(VSCODE / "extension.js")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_the_extension_starts_engql_lsp() -> None:
    script = (VSCODE / "extension.js").read_text()
    assert 'settings.get("path", "engql")' in script
    assert 'args: ["lsp"]' in script
    assert "TransportKind.stdio" in script
    assert 'require("vscode-languageclient/node")' in script


_SNIPPET = re.compile(r"^\[`(editors/[^`]+)`\]\(\.\./\1\):\n\n```\w+\n(.*?)^```$", re.M | re.S)
SNIPPETS = dict(_SNIPPET.findall(DOC))


def test_the_doc_shows_each_snippet_as_it_is() -> None:
    files = sorted(
        p.relative_to(ROOT).as_posix()
        for folder in ("nvim", "helix", "emacs")
        for p in (EDITORS / folder).iterdir()
    )
    assert sorted(SNIPPETS) == files
    for path, shown in SNIPPETS.items():
        assert shown == (ROOT / path).read_text(encoding="utf-8"), path


def test_helix_starts_engql_lsp_for_engql_files() -> None:
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text())
    server = config["language-server"]["engql"]
    assert [server["command"], *server["args"]] == ["engql", "lsp"]
    assert server["config"] == {"engql": {"allowFiles": False}}
    (language,) = config["language"]
    assert language["name"] == "engql" and language["scope"] == GRAMMAR["scopeName"]
    assert language["file-types"] == GRAMMAR["fileTypes"]
    assert language["language-servers"] == ["engql"]
    assert language["comment-token"] == "--"


def test_neovim_starts_engql_lsp_for_engql_files() -> None:
    lua = (EDITORS / "nvim" / "engql.lua").read_text()
    assert 'vim.filetype.add({ extension = { engql = "engql" } })' in lua
    assert 'cmd = { "engql", "lsp" },' in lua
    assert 'filetypes = { "engql" },' in lua
    assert "settings = { engql = { allowFiles = false } }," in lua
    assert 'vim.lsp.enable("engql")' in lua


def test_emacs_starts_engql_lsp_for_engql_files() -> None:
    elisp = (EDITORS / "emacs" / "engql.el").read_text()
    assert """(add-to-list 'auto-mode-alist '("\\\\.engql\\\\'" . engql-mode))""" in elisp
    assert """'eglot-server-programs '(engql-mode . ("engql" "lsp"))""" in elisp


_LUAC = shutil.which("luac") or shutil.which("luac5.4")


@pytest.mark.skipif(_LUAC is None, reason="Lua is not installed (.ci/run installs lua5.4)")
def test_the_neovim_snippet_is_lua() -> None:
    """Syntax only: Debian's Neovim is older than the 0.11 the snippet needs."""
    assert _LUAC is not None
    checked = subprocess.run(
        [_LUAC, "-p", str(EDITORS / "nvim" / "engql.lua")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


_EMACS_PROBE = """
(progn
  (setq byte-compile-error-on-warn t)
  (unless (byte-compile-file "engql.el") (error "engql.el does not compile"))
  (require 'engql)
  (remove-hook 'engql-mode-hook #'eglot-ensure)
  (find-file "t.engql")
  (insert "-- a\nSELECT x /* b */ FROM totals WHERE tweet = 'c';")
  (let ((at (lambda (text) (goto-char (point-min)) (search-forward text) (syntax-ppss))))
    (princ (format "%s %S %S %S %S %S"
                   major-mode comment-start
                   (nth 4 (funcall at "a")) (nth 4 (funcall at "b"))
                   (nth 3 (funcall at "'c")) (nth 8 (funcall at "totals"))))))
"""


@pytest.mark.skipif(
    shutil.which("emacs") is None, reason="Emacs is not installed (.ci/run installs emacs-nox)"
)
def test_the_emacs_mode_compiles_and_knows_comments_and_strings(tmp_path: Path) -> None:
    """Without eglot, which Emacs 29 brings and Debian 12's Emacs 28 lacks, so the
    mode's hook that starts it is taken off here."""
    (tmp_path / "engql.el").write_bytes((EDITORS / "emacs" / "engql.el").read_bytes())
    ran = subprocess.run(
        ["emacs", "--batch", "-Q", "-L", ".", "--eval", _EMACS_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == 'engql-mode "-- " t t 39 nil'


def test_the_docs_install_the_extra_that_brings_the_server() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("pygls") for r in project["optional-dependencies"]["lsp"])
    assert "pip install 'engql[lsp]'" in (ROOT / "docs" / "editors.md").read_text()
