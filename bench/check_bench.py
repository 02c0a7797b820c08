"""Check time against input size for long-line shapes: time per KB should not grow.

Each shape is checked at several sizes, and its diagnostics rendered as `engql check`
prints them. The figure is the time per KB of text; its ratio to the smallest size of the
same shape is 1 when checking is linear and would double with each doubling if it were
quadratic (as it was: each diagnostic re-rendered its whole line). The shapes are one
line each, so every diagnostic stands on the same long line.

    .venv/bin/python bench/check_bench.py [--repeat 3] [--sizes 4]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from harness import argument_parser, machine, median, time_interleaved

import engql
from engql.limits import MAX_STATEMENTS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def syntax_errors(n: int) -> str:
    """``SELECT ;`` n times: one E002 each (the issue's shape)."""
    return "SELECT ;" * n


def check_errors(n: int) -> str:
    """Statements that parse, each with an unknown metric (E102)."""
    return "SELECT x FROM totals WHERE tweet = 1;" * n


def bad_items(n: int) -> str:
    """One statement, n items that are not Tweets (E304, counted past 20)."""
    items = ", ".join(f"'x{i}'" for i in range(n))
    return f"SELECT favorites FROM totals WHERE tweet IN ({items});"


def duplicates(n: int) -> str:
    """One statement, one ID n times (W301, counted past 20)."""
    return "SELECT favorites FROM totals WHERE tweet IN (" + "20, " * n + "20);"


def long_value(n: int) -> str:
    """One quoted value of n characters that is not a Tweet (E304)."""
    return f"SELECT favorites FROM totals WHERE tweet = '{'a' * n}';"


SHAPES: list[tuple[str, Callable[[int], str], int]] = [
    ("SELECT ; repeated", syntax_errors, MAX_STATEMENTS // 8),
    ("unknown metric, statements", check_errors, MAX_STATEMENTS // 8),
    ("non-Tweet list items", bad_items, 12_500),
    ("one ID repeated", duplicates, 25_000),
    ("one long non-Tweet value", long_value, 125_000),
]
"""Name, text for n, the smallest n; sizes double from it (statements stay in the limit)."""


def check_and_render(text: str) -> int:
    diagnostics = engql.check(text, now=NOW)
    for d in diagnostics:
        d.render()
    return len(diagnostics)


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=3)
    parser.add_argument("--sizes", type=int, default=4, help="doublings of each shape (4)")
    args = parser.parse_args()
    check_and_render(syntax_errors(1))  # loads the parser

    print(f"check + render of one-line inputs; median of {args.repeat}; {machine()}")
    header = f"  {'shape':<28} {'KB':>8} {'diagnostics':>11} {'median s':>9} {'µs/KB':>8} ratio"
    print(header)
    for name, make, smallest in SHAPES:
        texts = [make(smallest << k) for k in range(args.sizes)]
        counts = [check_and_render(text) for text in texts]
        times = time_interleaved([lambda t=t: check_and_render(t) for t in texts], args.repeat)
        first = None
        for text, count, seconds in zip(texts, counts, map(median, times), strict=True):
            kb = len(text) / 1024
            per_kb = seconds / kb * 1e6
            first = first or per_kb
            print(
                f"  {name:<28} {kb:>8,.0f} {count:>11,} {seconds:>9.4f} "
                f"{per_kb:>8.1f} {per_kb / first:.2f}×"
            )
    print("ratio: time per KB against the smallest size of the same shape (1 = linear)")


if __name__ == "__main__":
    main()
