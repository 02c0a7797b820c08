"""Time the language server's work after a keystroke, against parsing the same text.

A 1,000-line document of statements (each with a comment, five Tweet IDs and a
grouping) is edited by one keystroke in its middle, as a user types: each run checks the
text one keystroke away from the last run's. "diagnostics" is what the server does once
the debounce pause is over: engql check's analysis of the whole text, with the trees of
the statements the keystroke left as they were reused (engql/lsp/reparse.py), and its
conversion to LSP diagnostics (UTF-16 ranges, links); "diagnostics, all parsed" the same
without reusing trees. "completion" is a textDocument/completion at the cursor. The
baseline is engql's parse of the same text (syntax only). Target: each under the
keystroke budget of 50 ms; the ratio to the parse is for information. In process,
without the JSON-RPC framing, which pygls adds for every request alike.

    .venv/bin/python bench/lsp_bench.py [--repeat 30] [--lines 1000]
"""

from __future__ import annotations

from collections.abc import Callable

from harness import argument_parser, machine, median, random_tweet_ids, time_interleaved
from lsprotocol import types

from engql.lsp.completion import completions
from engql.lsp.diagnostics import found, to_lsp_all
from engql.lsp.positions import position
from engql.lsp.reparse import StatementTrees
from engql.lsp.settings import Settings
from engql.syntax.parser import parse_script
from engql.syntax.source import Source

BUDGET_MS = 50.0
"""A keystroke's answer slower than this is a visible delay."""
UTF16 = types.PositionEncodingKind.Utf16
LINES_A_STATEMENT = 6
TYPED = "GROUP BY tweet.id, engagement.t"
"""The line being typed in the middle of the document: a grouping key, half written."""


def document(lines: int, seed: int) -> tuple[str, int]:
    """The text and the offset of the cursor, at the end of the half-typed line."""
    count = -(-lines // LINES_A_STATEMENT)
    ids = random_tweet_ids(5 * count, seed)
    statements = [
        f"-- statement {n}\nSELECT favorites, retweets, replies\nFROM totals\n"
        f"WHERE tweet IN ({', '.join(ids[5 * n : 5 * n + 5])})\n"
        + (TYPED if n == count // 2 else "GROUP BY tweet.id, engagement.type;")
        + "\n"
        for n in range(count)
    ]
    text = "\n".join(statements)
    return text, text.index(TYPED) + len(TYPED)


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=30)
    parser.add_argument("--lines", type=int, default=1_000, help="lines of the document (1000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    text, cursor = document(args.lines, args.seed)
    source = Source(text, "/bench/doc.engql")
    opts = Settings().check_options(source.name)
    at = position(source, cursor, UTF16)

    keystrokes = [text, text[:cursor] + "y" + text[cursor:]]
    trees = StatementTrees()
    found(Source(keystrokes[1], source.name), opts, trees)

    def checked(reuse: StatementTrees | None) -> Callable[[], object]:
        def run() -> object:
            keystrokes.reverse()  # the other text: one keystroke from the last one
            script, diagnostics = found(Source(keystrokes[0], source.name), opts, reuse)
            return to_lsp_all(script, diagnostics, UTF16)

        return run

    def completion() -> object:
        return completions(Source(text, source.name), at, UTF16)

    runs: list[tuple[str, Callable[[], object]]] = [
        ("parse (baseline)", lambda: parse_script(Source(text, source.name))),
        ("diagnostics", checked(trees)),
        ("diagnostics, all parsed", checked(None)),
        ("completion", completion),
    ]
    labels = [item.label for item in completion().items]  # type: ignore[attr-defined]
    times = time_interleaved([run for _, run in runs], args.repeat)
    base = median(times[0]) * 1000
    print(
        f"engql lsp after a keystroke in a {text.count(chr(10)) + 1:,}-line document; "
        f"median of {args.repeat}; {machine()}"
    )
    print(f"completion offers {labels}")
    print(f"  {'measured':<24}  {'ms':>8}  {'ratio':>6}  target")
    for (label, _), seconds in zip(runs, times, strict=True):
        ms = median(seconds) * 1000
        target = "baseline" if label.endswith("(baseline)") else f"≤ {BUDGET_MS:g} ms"
        if not label.endswith("(baseline)"):
            target += " (met)" if ms <= BUDGET_MS else " (MISSED)"
        print(f"  {label:<24}  {ms:>8.2f}  {ms / base:>5.2f}×  {target}")


if __name__ == "__main__":
    main()
