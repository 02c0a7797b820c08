"""Check a 10 MB inline ID list: quoted and mixed with URLs against plain integers.

A plain list ``(1, 2, ...)`` is one ID_LIST token; a list with quoted IDs or Tweet URLs
takes the general list path (one MIXED_LIST token, an ast.PackedList). The target is
that the general path costs at most 3× the plain one, in time and in peak memory, for
the same IDs. Time is ``engql.check`` (parse and validate, as a service would call it);
peak memory is tracemalloc's over one untimed run of each, after the timing.

    .venv/bin/python bench/list_bench.py [--repeat 3] [--ids 500000]
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

from harness import (
    Row,
    argument_parser,
    machine,
    median,
    print_table,
    random_tweet_ids,
    time_interleaved,
)

import engql

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TARGET = 3.0


def statement(items: list[str]) -> str:
    return f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(items)});"


def peak_bytes(run: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=3)
    parser.add_argument("--ids", type=int, default=500_000, help="Tweet IDs (500000: 10 MB)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    ids = random_tweet_ids(args.ids, args.seed)
    texts = {
        "plain integers (ID_LIST)": statement(ids),
        "all quoted (general path)": statement([f"'{i}'" for i in ids]),
        "half Tweet URLs (general path)": statement(
            [f"'https://x.com/u/status/{i}'" if n % 2 else f"'{i}'" for n, i in enumerate(ids)]
        ),
    }
    checks = {name: (lambda t=text: engql.check(t, now=NOW)) for name, text in texts.items()}
    same = {name: len(run()) for name, run in checks.items()}  # also loads the parser
    times = time_interleaved(list(checks.values()), args.repeat)
    peaks = {name: peak_bytes(run) for name, run in checks.items()}

    print(f"{args.ids:,} inline Tweet IDs; median of {args.repeat}; {machine()}")
    for name, text in texts.items():
        print(f"  {name}: {len(text) / 2**20:,.1f} MiB of text, {same[name]} diagnostics")
    (plain, *general) = list(texts)
    seconds = dict(zip(texts, map(median, times), strict=True))
    print_table(
        "engql.check time",
        Row(plain, seconds[plain]),
        [Row(name, seconds[name], TARGET) for name in general],
    )
    print("peak traced memory (MiB; the ratio column is against the plain list)")
    for name in texts:
        ratio = peaks[name] / peaks[plain]
        verdict = (
            "baseline"
            if name == plain
            else f"≤ {TARGET:g}× ({'met' if ratio <= TARGET else 'MISSED'})"
        )
        print(f"  {name:<32} {peaks[name] / 2**20:>8.0f}  {ratio:>6.2f}×  {verdict}")


if __name__ == "__main__":
    main()
