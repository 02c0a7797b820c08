"""Compile ``tweet IN FILE 'ids.txt'`` with 1,000,000 IDs, against the minimal baseline.

engql reads the file, validates and plans the statement and serialises every request
body; the baseline reads the same file and does the least work to the same end
(harness.minimal_bodies). Target: at most 2× the baseline. The peak memory of one more run
of each (tracemalloc, not timed) is printed for information.

    .venv/bin/python bench/file_bench.py [--repeat 5] [--ids 1000000]
"""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    Row,
    argument_parser,
    machine,
    median,
    minimal_bodies,
    print_table,
    random_tweet_ids,
    time_interleaved,
)

import engql

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
QUERY = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';"
TARGET = 2.0


def engql_bodies(folder: Path) -> list[str]:
    plan = engql.compile(QUERY, now=NOW, allow_files=True, base_dir=folder)
    return [json.dumps(request.body) for request in plan.requests]


def baseline_bodies(folder: Path) -> list[str]:
    return minimal_bodies((folder / "ids.txt").read_text(encoding="utf-8"))


def peak_bytes(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--ids", type=int, default=1_000_000, help="IDs in the file (1000000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="engql-bench-") as temp:
        folder = Path(temp)
        ids_file = folder / "ids.txt"
        ids_file.write_text("\n".join(random_tweet_ids(args.ids, args.seed)) + "\n")
        expected = baseline_bodies(folder)
        same = engql_bodies(folder) == expected  # the first compile also loads the parser

        times = time_interleaved(
            [lambda: baseline_bodies(folder), lambda: engql_bodies(folder)], args.repeat
        )
        baseline, compiled = map(median, times)
        baseline_peak = peak_bytes(lambda: baseline_bodies(folder))
        compiled_peak = peak_bytes(lambda: engql_bodies(folder))
        size = ids_file.stat().st_size

    print(
        f"{args.ids:,} Tweet IDs in a {size / 2**20:.1f} MiB file, {len(expected):,} requests; "
        f"median of {args.repeat}; {machine()}"
    )
    print(f"bodies identical to the baseline's: {same}")
    print_table(
        "compile FILE (includes reading the file and json.dumps of every body)",
        Row("baseline: read, regex, check, dedupe, batch, json.dumps", baseline),
        [Row("engql.compile with allow_files=True", compiled, TARGET)],
    )
    mib = 2**20
    print(
        f"peak traced memory (tracemalloc, one run each): baseline {baseline_peak / mib:.0f} MiB, "
        f"engql {compiled_peak / mib:.0f} MiB ({compiled_peak / baseline_peak:.2f}×)"
    )


if __name__ == "__main__":
    main()
