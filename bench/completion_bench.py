"""Time one completion per keystroke in the shell, against parsing the same statement.

Each complete() call runs with the cursor at the end of a statement that ends in
``GROUP BY tweet.id, `` (the user is typing a grouping key), as the shell calls it after a
keystroke: it lexes and parses the whole statement before the cursor again. The baseline is
engql.parse of the same statement completed (``engagement.type;`` added). Target: every
call under the keystroke budget of 50 ms; the ratio to parsing is for information.

The long statements hold 1,000 inline Tweet IDs, the first one quoted. A list with a
comment inside is many tokens (one per ID and comma, the general path of the grammar);
without it, the quoted list is one MIXED_LIST token.

    .venv/bin/python bench/completion_bench.py [--repeat 30] [--ids 1000]
"""

from __future__ import annotations

from collections.abc import Callable

from harness import argument_parser, machine, median, random_tweet_ids, time_interleaved

import engql
from engql.repl.completion import complete
from engql.syntax.parser import lark_parser

BUDGET_MS = 50.0
"""A keystroke's completion slower than this is a visible delay."""
SHORT_CALLS = 100
"""complete() calls in one timed run of the short statement, which takes microseconds."""
TYPED = "GROUP BY tweet.id, "
COMPLETED = "engagement.type;"


def long_statement(ids: list[str], comment: bool) -> str:
    first = f"'{ids[0]}'," + (" -- the launch\n" if comment else " ")
    return (
        "SELECT favorites, retweets, replies\nFROM totals\n"
        f"WHERE tweet IN ({first}{', '.join(ids[1:])})\n{TYPED}"
    )


def tokens_before_cursor(text: str) -> int:
    return len(lark_parser().parse_interactive(text).exhaust_lexer())


def per_call(run: Callable[[str], object], text: str, calls: int) -> Callable[[], None]:
    def timed() -> None:
        for _ in range(calls):
            run(text)

    return timed


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=30)
    parser.add_argument("--ids", type=int, default=1_000, help="inline Tweet IDs (1000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    ids = random_tweet_ids(args.ids, args.seed)
    cases = [
        (
            "short statement",
            f"SELECT favorites FROM totals WHERE tweet = {ids[0]} {TYPED}",
            SHORT_CALLS,
        ),
        (f"{args.ids:,} IDs, comment in list", long_statement(ids, comment=True), 1),
        (f"{args.ids:,} IDs, one MIXED_LIST token", long_statement(ids, comment=False), 1),
    ]
    expected = all(  # the first call also loads the parser
        [s.text for s in complete(text, len(text))] == ["engagement.type"] for _, text, _ in cases
    )
    candidates = []
    for _, text, calls in cases:
        candidates.append(per_call(lambda t: engql.parse(t + COMPLETED), text, calls))
        candidates.append(per_call(lambda t: complete(t, len(t)), text, calls))
    times = time_interleaved(candidates, args.repeat)

    print(f"complete() with the cursor after {TYPED!r}; median of {args.repeat}; {machine()}")
    print(f"every statement gets exactly the suggestion engagement.type: {expected}")
    width = max(len(label) for label, _, _ in cases)
    print(
        f"  {'statement':<{width}}  {'chars':>6}  {'tokens':>6}  {'parse ms':>8}  "
        f"{'complete ms':>11}  {'ratio':>6}  target"
    )
    for n, (label, text, calls) in enumerate(cases):
        parse_ms, complete_ms = (median(times[2 * n + k]) / calls * 1000 for k in (0, 1))
        verdict = "met" if complete_ms <= BUDGET_MS else "MISSED"
        print(
            f"  {label:<{width}}  {len(text):>6,}  {tokens_before_cursor(text):>6,}  "
            f"{parse_ms:>8.3f}  {complete_ms:>11.3f}  {complete_ms / parse_ms:>5.2f}×  "
            f"≤ {BUDGET_MS:g} ms ({verdict})"
        )


if __name__ == "__main__":
    main()
